import { runScript } from '../../tests/support/scripts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../shared/config';
import { DEPARTMENTS, envName } from '../../shared/departments';
import { storeLocation } from '../../shared/db';
import { checkSoakStores, soakEnvironment } from '../soak';

/**
 * `npm run soak` seeds with `{ reset: true }`, which drops each store: it must only ever reach the
 * SQLite files of its own temporary directory, whatever MySQL settings the shell has, and a bad
 * option must stop it before anything starts. No MySQL server is needed: none is ever reached.
 */

const STORES = [...DEPARTMENTS.map((d) => d.name), 'gateway'];
/** Every setting that would put a store on MySQL, or rename its database (port 1: nothing answers there). */
const MYSQL_SETTINGS: NodeJS.ProcessEnv = {
  ONESOURCE_MYSQL_URL: 'mysql://x@127.0.0.1:1',
  ONESOURCE_GATEWAY_MYSQL_URL: 'mysql://x@127.0.0.1:1',
  ONESOURCE_DB_PREFIX: 'production_',
  ...Object.fromEntries(DEPARTMENTS.map((d) => [`ONESOURCE_${envName(d.name)}_MYSQL_URL`, 'mysql://x@127.0.0.1:1'])),
};

describe('the soak\'s stores', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-soak-test-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('are all SQLite in its temporary directory, whatever ONESOURCE_*MYSQL_URL, ONESOURCE_DB_PREFIX or call URL the shell has', async () => {
    const env = await soakEnvironment(
      { ...process.env, ...MYSQL_SETTINGS, ONESOURCE_DATA_DIR: '/var/lib/onesource', ONESOURCE_CREDIT_URL: 'http://credit.example:4005/graphql', ONESOURCE_REDIS_PREFIX: 'onesource:' },
      dataDir,
      'credit',
    );
    expect(Object.keys(env).filter((name) => /^ONESOURCE_.*MYSQL_URL$/.test(name) || name === 'ONESOURCE_DB_PREFIX')).toEqual([]);
    const config = readConfig(env);
    for (const store of STORES) expect([store, storeLocation(config, store)]).toEqual([store, { client: 'better-sqlite3', where: path.join(dataDir, `${store}.sqlite`) }]);
    expect(config.subgraphs.credit.url).toBe(`http://127.0.0.1:${config.subgraphs.credit.port}/graphql`);
    expect(() => checkSoakStores(config, dataDir)).not.toThrow();
    // Its rate counts and persisted queries under keys of its own, not those of the gateways on that Redis.
    expect(env.ONESOURCE_REDIS_PREFIX).toBe(`onesource-soak-${path.basename(dataDir)}:`);
  });

  it('are refused, by name, where one would be on MySQL or outside the temporary directory', () => {
    const sqlite = { ONESOURCE_DATA_DIR: dataDir };
    expect(() => checkSoakStores(readConfig({ ...sqlite, ONESOURCE_PERSONS_MYSQL_URL: 'mysql://x@127.0.0.1:1' }), dataDir)).toThrow(
      `the soak would reset the persons store on MySQL (database onesource_persons), not SQLite in its temporary directory ${dataDir}: refused, nothing was changed`,
    );
    expect(() => checkSoakStores(readConfig({ ...sqlite, ONESOURCE_GATEWAY_MYSQL_URL: 'mysql://x@127.0.0.1:1' }), dataDir)).toThrow('the soak would reset the gateway store on MySQL');
    const elsewhere = path.join(dataDir, '..', 'not-the-soaks');
    expect(() => checkSoakStores(readConfig({ ONESOURCE_DATA_DIR: elsewhere }), dataDir)).toThrow(
      `the soak would reset the persons store at ${path.join(elsewhere, 'persons.sqlite')}, outside its temporary directory ${dataDir}`,
    );
  });
});

describe('npm run soak: a bad option exits 2 naming it, before anything starts', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-soak-options-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The soak with TMPDIR of its own, so that a temporary directory it made would be seen. */
  const soak = (args: string[]) => runScript('soak.ts', args, { ...process.env, ...MYSQL_SETTINGS, TMPDIR: tmp }, 60_000);

  it.each([
    ['--duration', '<seconds>', ['abc', '8', '1e3', '86401', '99999999999999'], 'a whole number of seconds from 9 to 86,400'],
    ['--connections', '<n>', ['abc', '0', '1001'], 'a whole number of connections from 1 to 1,000'],
    ['--scale', '<persons>', ['abc', '0', '-3', '2000001'], 'a whole number of persons from 1 to 2,000,000'],
    ['--department', '<name>', ['nobody', ''], 'one of persons, legal-persons, geo, projects, credit'],
  ])('%s', async (option, placeholder, values, accepts) => {
    for (const value of values) {
      const outcome = await soak([option, value]);
      expect([value, outcome.code]).toEqual([value, 2]);
      expect(outcome.stderr).toContain(`option '${option} ${placeholder}' argument '${value}' is invalid. ${accepts}`);
      expect(outcome.stdout).not.toMatch(/seeding/);
    }
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('onesource-soak-'))).toEqual([]);
  });
});
