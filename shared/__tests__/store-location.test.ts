import { readConfig } from '../config';
import { storeLocation, storeMysqlUrl } from '../db';

describe('where each store lives', () => {
  it('moves one department to its own MySQL-compatible server by configuration alone', () => {
    const config = readConfig({ ONESOURCE_DATA_DIR: '/tmp/x', ONESOURCE_PERSONS_MYSQL_URL: 'mysql://u@tidb:4000' });
    expect(storeLocation(config, 'persons')).toEqual({ client: 'mysql2', where: 'onesource_persons' });
    expect(storeMysqlUrl(config, 'persons')).toBe('mysql://u@tidb:4000');
    expect(storeLocation(config, 'geo')).toEqual({ client: 'better-sqlite3', where: '/tmp/x/geo.sqlite' });
  });

  it('lets a store override the common server, the gateway included', () => {
    const config = readConfig({ ONESOURCE_MYSQL_URL: 'mysql://root@db:3306', ONESOURCE_LEGAL_PERSONS_MYSQL_URL: 'mysql://u@proxysql:6033', ONESOURCE_GATEWAY_MYSQL_URL: 'mysql://u@gw:3306' });
    expect(storeMysqlUrl(config, 'legal-persons')).toBe('mysql://u@proxysql:6033');
    expect(storeMysqlUrl(config, 'gateway')).toBe('mysql://u@gw:3306');
    expect(storeMysqlUrl(config, 'credit')).toBe('mysql://root@db:3306');
  });

  it('reads the gateway workers setting: a number, or 0/auto for one per core', () => {
    expect(readConfig({}).gatewayWorkers).toBe(1);
    expect(readConfig({ ONESOURCE_GATEWAY_WORKERS: '3' }).gatewayWorkers).toBe(3);
    expect(readConfig({ ONESOURCE_GATEWAY_WORKERS: 'auto' }).gatewayWorkers).toBeGreaterThanOrEqual(1);
    expect(readConfig({ ONESOURCE_GATEWAY_WORKERS: '0' }).gatewayWorkers).toBe(readConfig({ ONESOURCE_GATEWAY_WORKERS: 'auto' }).gatewayWorkers);
    expect(() => readConfig({ ONESOURCE_APQ_CACHE: 'disk' })).toThrow(/ONESOURCE_APQ_CACHE/);
  });
});
