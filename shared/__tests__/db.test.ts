import path from 'node:path';
import { readConfig } from '../config';
import { storeLocation } from '../db';

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
