import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../shared/config';
import { ensureKeyPair } from '../../shared/keys';
import { createAuthenticator } from '../auth/consumer-token';
import type { ConsumerRegistry } from '../consumers';

describe('the identity provider consumer tokens are checked with', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-consumer-token-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const registry = { byId: async () => null } as unknown as ConsumerRegistry;

  it('is named in production: a development key left in the data directory is not trusted there', async () => {
    // A data directory that served development tokens before it moved to production.
    await ensureKeyPair(dataDir, 'dev-idp');
    const production = readConfig({ NODE_ENV: 'production', ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' });
    await expect(createAuthenticator(production, registry)).rejects.toThrow(
      'no identity provider to check consumer tokens with: set ONESOURCE_JWKS_URL to its key set (JWKS), or ONESOURCE_DEV_TOKENS=true for development tokens',
    );
    const development = readConfig({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' });
    await expect(createAuthenticator(development, registry)).resolves.toEqual(expect.any(Function));
  });
});
