import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../config';
import { internalSigner } from '../internal-token';
import { ensureKeyPair, loadPrivateKey } from '../keys';
import { gatewayVerifier } from '../subgraph-server';

/**
 * A department that trusts the key file the gateway wrote (no ONESOURCE_GATEWAY_JWKS_URL) follows
 * the gateway to a new key without being restarted, and still trusts no other.
 */
describe("a department's check of the gateway's internal tokens, by its key file", () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-verifier-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  const caller = { consumer: 'drc-approval', kind: 'SYSTEM' as const, roles: [] };
  const tokenFrom = async (dir: string) => {
    const { key, kid } = await loadPrivateKey(dir, 'gateway-signing');
    return internalSigner(key, kid)('persons', caller);
  };

  it('accepts the tokens of a key the gateway made after it started, and of no key the file does not hold', async () => {
    await ensureKeyPair(dataDir, 'gateway-signing');
    const verify = await gatewayVerifier(readConfig({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' }), 'persons');
    await expect(verify(await tokenFrom(dataDir))).resolves.toMatchObject({ consumer: 'drc-approval' });

    // The gateway started again without its old key (a new data directory's keys copied in, or the
    // old ones removed): it writes a new pair and signs with it.
    fs.rmSync(path.join(dataDir, 'keys'), { recursive: true });
    await ensureKeyPair(dataDir, 'gateway-signing');
    await expect(verify(await tokenFrom(dataDir))).resolves.toMatchObject({ consumer: 'drc-approval' });

    // A key of somebody else's is refused as ever.
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-verifier-other-'));
    try {
      await ensureKeyPair(elsewhere, 'gateway-signing');
      await expect(verify(await tokenFrom(elsewhere))).rejects.toThrow(/signature verification failed/);
    } finally {
      fs.rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it("accepts a token signed this second by a gateway whose clock runs a little ahead of the department's", async () => {
    await ensureKeyPair(dataDir, 'gateway-signing');
    const verify = await gatewayVerifier(readConfig({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' }), 'persons');
    const token = await tokenFrom(dataDir);
    // The department's clock 2 s behind: the token's iat is in its future.
    jest.useFakeTimers({ now: Date.now() - 2_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      await expect(verify(token)).resolves.toMatchObject({ consumer: 'drc-approval' });
    } finally {
      jest.useRealTimers();
    }
  });
});
