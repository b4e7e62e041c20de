import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../config';
import { openStore, storeLocation } from '../db';

describe('where each department keeps its store', () => {
  it('is an SQLite file under .data/ by default', () => {
    const config = readConfig({});
    expect(storeLocation(config, 'legal-persons')).toEqual({
      client: 'better-sqlite3',
      where: path.join(config.dataDir, 'legal-persons.sqlite'),
    });
    expect(config.dataDir).toBe(path.resolve(__dirname, '..', '..', '.data'));
  });

  it('is the MySQL database onesource_<name> when ONESOURCE_MYSQL_URL is set', () => {
    const config = readConfig({ ONESOURCE_MYSQL_URL: 'mysql://root@127.0.0.1:3306' });
    expect(storeLocation(config, 'legal-persons')).toEqual({ client: 'mysql2', where: 'onesource_legal_persons' });
    expect(storeLocation(config, 'persons').where).toBe('onesource_persons');
  });

  it('refuses a setting that is not a number', () => {
    expect(() => readConfig({ ONESOURCE_GATEWAY_PORT: 'four thousand' })).toThrow(/ONESOURCE_GATEWAY_PORT must be a whole number/);
  });
});

describe('the data directory the stores make', () => {
  it('is readable by its own user alone: the stores hold personal data', async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-mode-'));
    const dataDir = path.join(parent, 'data');
    try {
      const db = await openStore(readConfig({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' }), 'persons');
      await db.raw('SELECT 1');
      await db.destroy();
      expect(fs.statSync(dataDir).mode & 0o077).toBe(0);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});
