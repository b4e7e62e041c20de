import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureKeyPair } from '../keys';

/** Processes starting together in a fresh data directory (replicas, `npm run token` at first start) all make the gateway's key. */
describe('a key pair made by several at once', () => {
  it('places the public half of the private key that stands: another process may have placed it first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-keys-'));
    try {
      // Another process has placed its private key and not yet its public one.
      const other = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-keys-other-'));
      await ensureKeyPair(other, 'gateway-signing');
      fs.mkdirSync(path.join(dir, 'keys'));
      fs.copyFileSync(path.join(other, 'keys', 'gateway-signing.private.jwk'), path.join(dir, 'keys', 'gateway-signing.private.jwk'));
      fs.rmSync(other, { recursive: true, force: true });

      await ensureKeyPair(dir, 'gateway-signing');
      const half = (part: string) => JSON.parse(fs.readFileSync(path.join(dir, 'keys', `gateway-signing.${part}.jwk`), 'utf8'));
      expect(half('public')).toMatchObject({ x: half('private').x, y: half('private').y, kid: half('private').kid });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has halves of one pair, whoever placed which', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-keys-'));
    try {
      for (let run = 0; run < 20; run++) {
        const dir = path.join(base, String(run));
        await Promise.all(Array.from({ length: 6 }, () => ensureKeyPair(dir, 'gateway-signing')));
        const half = (part: string) => JSON.parse(fs.readFileSync(path.join(dir, 'keys', `gateway-signing.${part}.jwk`), 'utf8'));
        const [privateKey, publicKey] = [half('private'), half('public')];
        expect(publicKey).toEqual({ kty: 'EC', crv: 'P-256', x: privateKey.x, y: privateKey.y, kid: privateKey.kid, alg: 'ES256', use: 'sig' });
        expect(fs.readdirSync(path.join(dir, 'keys')).sort()).toEqual(['gateway-signing.private.jwk', 'gateway-signing.public.jwk']);
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
