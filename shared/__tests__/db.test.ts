import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig } from '../config';
import { Migration, migrate, openStore, storeLocation } from '../db';
import { isFetchBlockedPort, listen } from '../http';
import { publicJwk } from '../keys';

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

/** The message readConfig refuses `env` with (fails the test when it does not refuse it). */
function refusal(env: NodeJS.ProcessEnv): string {
  try {
    readConfig(env);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`readConfig accepted ${JSON.stringify(env)}`);
}

describe('settings refused at start-up, naming the variable and what it accepts', () => {
  it('takes only a mysql:// or mariadb:// server for ONESOURCE_MYSQL_URL and ONESOURCE_<NAME>_MYSQL_URL, never echoing a password', () => {
    expect(refusal({ ONESOURCE_MYSQL_URL: 'not a url' })).toMatch(/^ONESOURCE_MYSQL_URL is not a URL: it must be a mysql:\/\/ or mariadb:\/\/ URL/);
    const postgres = refusal({ ONESOURCE_MYSQL_URL: 'postgres://admin:s3cret-pw@db:5432/app' });
    expect(postgres).toMatch(/^ONESOURCE_MYSQL_URL must be a mysql:\/\/ or mariadb:\/\/ URL .*"postgres"/);
    expect(postgres).not.toContain('s3cret-pw');
    const unparseable = refusal({ ONESOURCE_PERSONS_MYSQL_URL: 'mysql://root:s3cret-pw@db:port' });
    expect(unparseable).toMatch(/^ONESOURCE_PERSONS_MYSQL_URL is not a URL/);
    expect(unparseable).not.toContain('s3cret-pw');
    expect(refusal({ ONESOURCE_GATEWAY_MYSQL_URL: 'http://db:3306' })).toMatch(/^ONESOURCE_GATEWAY_MYSQL_URL must be a mysql:\/\/ or mariadb:\/\/ URL/);
    expect(refusal({ ONESOURCE_MYSQL_URL: 'mysql://' })).toMatch(/^ONESOURCE_MYSQL_URL must name a host/);
    expect(readConfig({ ONESOURCE_CREDIT_MYSQL_URL: 'mariadb://u:p@maria:3306' }).storeMysqlUrls.credit).toBe('mariadb://u:p@maria:3306');
  });

  it('takes a pino level for ONESOURCE_LOG_LEVEL, in any case', () => {
    expect(refusal({ ONESOURCE_LOG_LEVEL: 'loud' })).toBe('ONESOURCE_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent (any case), not "loud"');
    expect(readConfig({ ONESOURCE_LOG_LEVEL: 'WARN' }).logLevel).toBe('warn');
    expect(readConfig({ ONESOURCE_LOG_LEVEL: 'SILENT' }).logLevel).toBe('silent');
    expect(readConfig({}).logLevel).toBe('info');
  });

  it('reads whole numbers in decimal digits only', () => {
    for (const raw of ['0x10', '1e3', '-1', '1.5', ' 80', '12abc']) {
      expect(refusal({ ONESOURCE_MAX_DEPTH: raw })).toBe(`ONESOURCE_MAX_DEPTH must be a whole number written in digits (0-9), not "${raw}"`);
    }
    expect(refusal({ ONESOURCE_CREDIT_TIMEOUT_MS: '5e3' })).toMatch(/^ONESOURCE_CREDIT_TIMEOUT_MS must be a whole number/);
    expect(readConfig({ ONESOURCE_MAX_DEPTH: '007' }).limits.maxDepth).toBe(7);
  });

  it("refuses 0 for a department's breaker and timeout: a circuit opening before any failure, a call timing out at once", () => {
    expect(refusal({ ONESOURCE_GEO_BREAKER_FAILURES: '0' })).toBe('ONESOURCE_GEO_BREAKER_FAILURES must be a whole number of at least 1, not 0: the circuit would open before any call failed');
    expect(refusal({ ONESOURCE_CREDIT_TIMEOUT_MS: '0' })).toBe('ONESOURCE_CREDIT_TIMEOUT_MS must be a whole number of at least 1, not 0: every call to the department would time out at once');
  });

  it("names the setting that finds the gateway's key where its file is not", () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-keys-'));
    try {
      expect(() => publicJwk(empty, 'gateway-signing')).toThrow(/start the gateway once with this ONESOURCE_DATA_DIR \(npm start\), or point ONESOURCE_GATEWAY_JWKS_URL at the gateway's \/\.well-known\/jwks\.json$/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('names ONESOURCE_HOST when it is no address of this machine to listen on', async () => {
    await expect(listen(() => undefined, 0, 'no such host')).rejects.toThrow(/^ONESOURCE_HOST "no such host" is not an address of this machine to listen on \(E[A-Z_]+\): use 127\.0\.0\.1, 0\.0\.0\.0/);
  });

  it('takes ports from 1 to 65535, one per process', () => {
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '99999' })).toBe('ONESOURCE_GATEWAY_PORT must be a port number from 1 to 65535, not "99999"');
    expect(refusal({ ONESOURCE_GEO_PORT: '0' })).toMatch(/^ONESOURCE_GEO_PORT must be a port number from 1 to 65535/);
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '0x10' })).toMatch(/^ONESOURCE_GATEWAY_PORT must be a whole number/);
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '1e3' })).toMatch(/^ONESOURCE_GATEWAY_PORT must be a whole number/);
    expect(readConfig({ ONESOURCE_GATEWAY_PORT: '65535' }).gatewayPort).toBe(65535);
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '5000', ONESOURCE_CREDIT_PORT: '5000' })).toBe('ONESOURCE_GATEWAY_PORT and ONESOURCE_CREDIT_PORT are both 5000: each process needs a port of its own');
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '4001' })).toBe('ONESOURCE_GATEWAY_PORT and ONESOURCE_PERSONS_PORT (unset: its default) are both 4001: each process needs a port of its own');
    expect(refusal({ ONESOURCE_GEO_PORT: '4005' })).toMatch(/^ONESOURCE_GEO_PORT and ONESOURCE_CREDIT_PORT \(unset: its default\) are both 4005/);
  });

  it('refuses a port that browsers and fetch will not connect to, by its name', () => {
    expect(refusal({ ONESOURCE_GATEWAY_PORT: '6000' })).toBe(
      "ONESOURCE_GATEWAY_PORT is 6000, a port browsers and fetch refuse to connect to (the Fetch standard's bad ports): choose another",
    );
    expect(refusal({ ONESOURCE_CREDIT_PORT: '10080' })).toMatch(/^ONESOURCE_CREDIT_PORT is 10080, a port browsers and fetch refuse/);
    expect(refusal({ ONESOURCE_GEO_URL: 'http://geo.internal:6667/graphql' })).toBe(
      "ONESOURCE_GEO_URL names port 6667, a port browsers and fetch refuse to connect to (the Fetch standard's bad ports): choose another",
    );
    // A MySQL server is not reached by fetch, nor a JWKS (jose asks with node:http): their ports are their own affair.
    expect(readConfig({ ONESOURCE_MYSQL_URL: 'mysql://db.internal:6000' }).mysqlUrl).toBe('mysql://db.internal:6000');
    expect(readConfig({ ONESOURCE_JWKS_URL: 'http://idp.internal:6666/jwks.json' }).auth.jwksUrl).toBe('http://idp.internal:6666/jwks.json');
  });

  it("knows the very ports Node's fetch refuses", async () => {
    const refused = async (port: number) => {
      const failure = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
        () => undefined,
        (error: Error & { cause?: Error }) => error.cause?.message,
      );
      return failure === 'bad port';
    };
    const listed = [...Array(65_536).keys()].filter(isFetchBlockedPort);
    expect(listed.length).toBeGreaterThan(70);
    for (const port of listed) expect([port, await refused(port)]).toEqual([port, true]);
    // Their neighbours are let through (refused as closed, if anything, not as bad).
    for (const port of listed.map((p) => p + 1).filter((p) => !isFetchBlockedPort(p))) expect([port, await refused(port)]).toEqual([port, false]);
  });

  it('takes http(s) URLs for the JWKS and the subgraphs, redis(s) for Redis', () => {
    expect(refusal({ ONESOURCE_JWKS_URL: 'not a url' })).toMatch(/^ONESOURCE_JWKS_URL is not a URL: it must be a http:\/\/ or https:\/\/ URL/);
    expect(refusal({ ONESOURCE_JWKS_URL: 'ftp://idp/jwks.json' })).toMatch(/^ONESOURCE_JWKS_URL must be a http:\/\/ or https:\/\/ URL .*"ftp"/);
    expect(refusal({ ONESOURCE_GATEWAY_JWKS_URL: 'gateway/.well-known/jwks.json' })).toMatch(/^ONESOURCE_GATEWAY_JWKS_URL is not a URL/);
    expect(refusal({ ONESOURCE_PERSONS_URL: 'localhost:4001/graphql' })).toMatch(/^ONESOURCE_PERSONS_URL must be a http:\/\/ or https:\/\/ URL .*"localhost"/);
    expect(refusal({ ONESOURCE_REDIS_URL: 'http://cache:6379' })).toMatch(/^ONESOURCE_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(refusal({ ONESOURCE_REDIS_URL: 'redis://:pw@cache:port' })).not.toContain('pw@');
    const config = readConfig({ ONESOURCE_JWKS_URL: 'https://idp/jwks.json', ONESOURCE_LEGAL_PERSONS_URL: 'https://lp:443/graphql', ONESOURCE_REDIS_URL: 'rediss://cache:6380' });
    expect(config.auth.jwksUrl).toBe('https://idp/jwks.json');
    expect(config.subgraphs['legal-persons'].url).toBe('https://lp:443/graphql');
    expect(config.limits.rateLimit.redisUrl).toBe('rediss://cache:6380');
    expect(config.persistedQueries.redisUrl).toBe('rediss://cache:6380');
  });

  it('refuses 0 where it can only be a mistake, and keeps it where it has a meaning', () => {
    expect(refusal({ ONESOURCE_RATE_LIMIT: '0' })).toMatch(/^ONESOURCE_RATE_LIMIT must be a whole number of at least 1, not 0/);
    expect(refusal({ ONESOURCE_RATE_LIMIT_WINDOW: '0' })).toMatch(/^ONESOURCE_RATE_LIMIT_WINDOW must be a whole number of at least 1, not 0/);
    expect(refusal({ ONESOURCE_MAX_BODY_BYTES: '0' })).toMatch(/^ONESOURCE_MAX_BODY_BYTES must be a whole number of at least 1, not 0/);
    for (const name of ['ONESOURCE_MAX_DEPTH', 'ONESOURCE_MAX_TOKENS', 'ONESOURCE_MAX_COST']) {
      expect(refusal({ [name]: '0' })).toMatch(new RegExp(`^${name} must be a whole number of at least 1, not 0`));
    }
    const zeros = readConfig({ ONESOURCE_APQ_TTL: '0', ONESOURCE_SCHEMA_POLL_MS: '0', ONESOURCE_MAX_HEAP_MB: '0', ONESOURCE_HEAP_GROWING_PERCENT: '0', ONESOURCE_MAX_SEMI_SPACE_MB: '0', ONESOURCE_MAX_ALIASES: '0', ONESOURCE_MAX_DIRECTIVES: '0' });
    expect(zeros.persistedQueries.ttlSeconds).toBe(0);
    expect(zeros.schemaPollMs).toBe(0);
    expect(zeros.maxHeapMb).toBe(0);
    expect(zeros.heapGrowingPercent).toBe(0);
    expect(zeros.maxSemiSpaceMb).toBe(0);
    expect(zeros.limits.maxAliases).toBe(0);
    expect(zeros.limits.maxDirectives).toBe(0);
  });

  it('refuses a malformed per-consumer entry, naming the variable and the entry', () => {
    expect(refusal({ ONESOURCE_RATE_LIMIT_BY_CONSUMER: 'a=1000=5' })).toBe(
      'ONESOURCE_RATE_LIMIT_BY_CONSUMER must read consumer=requests,consumer=requests with whole numbers of at least 1: "a=1000=5" is not such an entry',
    );
    for (const entry of ['=5', 'a=', 'a', 'a=0x10', 'a=1e3', 'a=0', 'a b=5']) {
      expect(refusal({ ONESOURCE_MAX_COST_BY_CONSUMER: `market-portal=1000,${entry}` })).toMatch(
        new RegExp(`^ONESOURCE_MAX_COST_BY_CONSUMER must read consumer=cost,consumer=cost .*: "${entry}" is not such an entry$`),
      );
    }
    expect(refusal({ ONESOURCE_MAX_COST_BY_CONSUMER: 'a=1,a=2' })).toBe('ONESOURCE_MAX_COST_BY_CONSUMER names consumer "a" twice');
    expect(readConfig({ ONESOURCE_MAX_COST_BY_CONSUMER: ' market-portal = 1000 , drc-approval=20000,' }).limits.costByConsumer).toEqual({ 'market-portal': 1000, 'drc-approval': 20000 });
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

describe('production defaults', () => {
  it('never fills an empty store with the synthetic province in production, unless told to', () => {
    expect(readConfig({}).seedEmptyStores).toBe(true);
    expect(readConfig({ NODE_ENV: 'production' }).seedEmptyStores).toBe(false);
    expect(readConfig({ NODE_ENV: 'production', ONESOURCE_SEED_EMPTY_STORES: 'true' }).seedEmptyStores).toBe(true);
    expect(readConfig({ ONESOURCE_SEED_EMPTY_STORES: 'false' }).seedEmptyStores).toBe(false);
  });
});

describe('migrating a store', () => {
  it('takes turns with other processes migrating a fresh store at the same moment: each starts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-migrate-together-'));
    const config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' });
    const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(config, 'credit')));
    try {
      const steps = ['001_step', '002_step'].map((name) => ({ name, up: (db: Knex) => db.schema.createTable(`t_${name}`, (t) => t.increments()), down: async () => undefined }));
      await Promise.all(stores.map((db) => migrate(db, steps)));
      expect(await stores[0]('knex_migrations').orderBy('id').pluck('name')).toEqual(['001_step', '002_step']);
    } finally {
      for (const db of stores) await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  /** A fresh credit store with one migration run, knex's warnings held back for `work`. */
  async function withOneStepRun(work: (db: Knex, step: Migration, warn: jest.SpyInstance) => Promise<void>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-lock-'));
    const db = await openStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }), 'credit');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const step = { name: '001_step', up: async () => undefined, down: async () => undefined };
      await migrate(db, [step]);
      await work(db, step, warn);
    } finally {
      warn.mockRestore();
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('mends a lock table given two rows by processes that made it together, which no process could ever lock again', () =>
    withOneStepRun(async (db, step) => {
      await db('knex_migrations_lock').insert({ is_locked: 0 });
      await migrate(db, [step, { ...step, name: '002_step' }], 300);
      expect(await db('knex_migrations').orderBy('id').pluck('name')).toEqual(['001_step', '002_step']);
      expect(await db('knex_migrations_lock').pluck('is_locked')).toEqual([0]);
    }));

  it('says in its own words, without knex\'s advice, when another process holds the migration lock', () =>
    withOneStepRun(async (db, step, warn) => {
      await db('knex_migrations_lock').update({ is_locked: 1 });
      // It waits a while for the other process first (here 300 ms).
      await expect(migrate(db, [step, { ...step, name: '002_step' }], 300)).rejects.toThrow(
        /^the store is being migrated by another process \(its migration lock, in the table knex_migrations_lock, is held\): try again once that is done\. If no other process is running/,
      );
      expect(warn.mock.calls.flat().join('\n')).not.toMatch(/migrate:unlock/);
    }));
});
