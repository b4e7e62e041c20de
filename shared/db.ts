import fs from 'node:fs';
import path from 'node:path';
import knex, { Knex } from 'knex';
import type { Config } from './config';

/** A store's migrations, listed in code so they run the same under tsx, jest and compiled JS. */
export interface Migration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
}

export interface StoreLocation {
  client: 'better-sqlite3' | 'mysql2';
  /** File path (SQLite) or database name (MySQL). */
  where: string;
}

/** The MySQL server of one store: its own setting if it has one, else the common one; undefined = SQLite. */
export function storeMysqlUrl(config: Config, store: string): string | undefined {
  return config.storeMysqlUrls?.[store] ?? config.mysqlUrl;
}

export function storeLocation(config: Config, store: string): StoreLocation {
  return storeMysqlUrl(config, store)
    ? { client: 'mysql2', where: `${config.databasePrefix}${store.replace(/-/g, '_')}` }
    : { client: 'better-sqlite3', where: path.join(config.dataDir, `${store}.sqlite`) };
}

/**
 * Makes a data directory, and any parent missing, for this user alone (0700): the stores in it hold
 * personal data. One that exists keeps the mode its operator gave it (a backup group's 0750, say).
 */
export function makeDataDirectory(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Opens one store: `.data/<store>.sqlite` by default, or the MySQL database `onesource_<store>`,
 * created if missing, when ONESOURCE_MYSQL_URL is set.
 */
export async function openStore(config: Config, store: string): Promise<Knex> {
  const location = storeLocation(config, store);
  if (location.client === 'better-sqlite3') {
    makeDataDirectory(path.dirname(location.where));
    return knex({
      client: 'better-sqlite3',
      connection: { filename: location.where },
      useNullAsDefault: true,
      log: KNEX_LOG,
      pool: {
        // WAL lets the seed script and readers overlap; NORMAL sync is safe with WAL.
        afterCreate(conn: { pragma(s: string): void }, done: (err: Error | null, conn: unknown) => void) {
          conn.pragma('journal_mode = WAL');
          conn.pragma('synchronous = NORMAL');
          conn.pragma('foreign_keys = ON');
          done(null, conn);
        },
      },
    });
  }
  const connection = mysqlServer(storeMysqlUrl(config, store) as string);
  const admin = knex({ client: 'mysql2', connection, pool: { min: 0, max: 1 } });
  try {
    await admin.raw('CREATE DATABASE IF NOT EXISTS ?? CHARACTER SET utf8mb4 COLLATE utf8mb4_bin', [location.where]);
  } finally {
    await admin.destroy();
  }
  return knex({
    client: 'mysql2',
    connection: { ...connection, database: location.where },
    pool: { min: 0, max: 10 },
    log: KNEX_LOG,
  });
}

/**
 * knex's own warnings, but for those of a held migration lock: `migrate` says that itself, in
 * this project's words (knex's advice, `knex migrate:unlock`, names a command this project does
 * not have).
 */
const KNEX_LOG = {
  warn(message: unknown) {
    if (!/lock to run migrations|migrate:unlock/.test(String(message))) console.warn(message);
  },
};

function mysqlServer(url: string) {
  const server = new URL(url);
  return {
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username || 'root'),
    password: decodeURIComponent(server.password),
    charset: 'utf8mb4',
    // DATE columns come back as 'YYYY-MM-DD' strings, as on SQLite, not as local-time Dates.
    dateStrings: true,
    supportBigNumbers: true,
  };
}

/** Whether `db` is a MySQL-compatible store (else SQLite): where their SQL differs. */
export function usesMysql(db: Knex): boolean {
  return (db.client.config as Knex.Config).client === 'mysql2';
}

/**
 * A write that could not have its store's lock: its transaction was rolled back, so nothing of it
 * was made. `waitedMs`: how long it waited; null where the database broke a deadlock at once.
 */
export class StoreBusy extends Error {
  constructor(readonly waitedMs: number | null) {
    super(waitedMs === null ? 'the write was rolled back to break a deadlock' : `the store's write lock was not free within ${waitedMs} ms`);
  }
}

/**
 * How long a write waits for its lock: well inside the gateway's default 5 s call timeout, so that
 * the caller hears "not made, try again" from the department, not "not known" from the gateway.
 */
export const WRITE_LOCK_WAIT_MS = 2_000;
const WRITE_LOCK_RETRY_MS = 20;
/** better-sqlite3's own busy timeout, which every other statement keeps. */
const SQLITE_BUSY_TIMEOUT_MS = 5_000;
/** A lock not had: SQLite's busy store; MySQL's lock wait timeout, or the deadlock it broke by rolling back. */
const lockNotHad = (e: unknown) => {
  const code = String((e as { code?: unknown })?.code ?? '');
  return code.startsWith('SQLITE_BUSY') || code === 'ER_LOCK_WAIT_TIMEOUT' || code === DEADLOCK;
};
const DEADLOCK = 'ER_LOCK_DEADLOCK';

/**
 * A transaction that changes a department's records (a correction, an approval step, a credit
 * withdrawal) while others may be writing too (a load, `npm run import`, holds the store's write
 * lock for the whole load). On SQLite its first statement takes the write lock: a transaction
 * begun by a read cannot take the lock once another has written, and fails at once though it
 * changed nothing. The lock is tried in short steps, each in a transaction of its own, so that the
 * store's one connection answers reads in between
 * (better-sqlite3's own wait would block the process). On MySQL each row lock is waited for as
 * long, no longer (a write that meets several held locks may wait that long at each). Either way, a
 * write that cannot have its lock is StoreBusy: rolled back, not made.
 */
export async function writeTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
  for (;;) {
    try {
      return await db.transaction(async (trx) => {
        if (!usesMysql(db)) {
          await takeSqliteWriteLock(trx);
          return work(trx);
        }
        // For this write only: the connection goes back to the pool with the server's own wait.
        await trx.raw('SET SESSION innodb_lock_wait_timeout = ?', [Math.ceil(WRITE_LOCK_WAIT_MS / 1000)]);
        try {
          return await work(trx);
        } finally {
          await trx.raw('SET SESSION innodb_lock_wait_timeout = DEFAULT');
        }
      });
    } catch (e) {
      if (e instanceof LockNotYet && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, WRITE_LOCK_RETRY_MS));
        continue;
      }
      if (e instanceof LockNotYet || lockNotHad(e)) throw new StoreBusy((e as { code?: string }).code === DEADLOCK ? null : WRITE_LOCK_WAIT_MS);
      throw e;
    }
  }
}

/** SQLite's write lock was held by another connection: nothing has been done yet, so the transaction may be tried again. */
class LockNotYet extends Error {}

/**
 * Takes a SQLite store's write lock at the start of a transaction: a write of no rows, which changes
 * nothing. Every migrated store has `knex_migrations`.
 */
const TAKE_SQLITE_WRITE_LOCK = 'DELETE FROM knex_migrations WHERE 0';

async function takeSqliteWriteLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw('PRAGMA busy_timeout = 0');
  try {
    await trx.raw(TAKE_SQLITE_WRITE_LOCK);
  } catch (e) {
    throw lockNotHad(e) ? new LockNotYet() : e;
  } finally {
    await trx.raw(`PRAGMA busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
  }
}

/**
 * Begins a load's transaction by taking a SQLite store's write lock, waiting for a department's
 * short write to end as better-sqlite3 waits (its busy timeout; `npm run import` is a process of its
 * own, so its waiting blocks nobody). Begun by a read instead, the load would fail whole if a
 * correction committed before the load's first write: SQLite refuses a reader's write then.
 */
export async function lockStoreForLoad(trx: Knex.Transaction): Promise<void> {
  if (!usesMysql(trx)) await trx.raw(TAKE_SQLITE_WRITE_LOCK);
}

const migrationSource = (migrations: readonly Migration[]) => ({
  getMigrations: async () => migrations.map((m) => m.name),
  getMigrationName: (name: string) => name,
  getMigration: async (name: string) => migrations.find((m) => m.name === name) as Migration,
});

/** How long a process starting with others waits for their migration of the same store. */
const MIGRATION_WAIT_MS = 15_000;

/**
 * Runs the migrations not yet run. Processes starting together on a fresh store (replicas of a
 * rolling deploy) take turns: one migrates, the others wait for it (knex's migration lock), then
 * find nothing left to run. Knex makes its own two tables without that lock, so a process that
 * finds them made under it by another (`already exists`) tries again too.
 */
export async function migrate(db: Knex, migrations: readonly Migration[], waitMs = MIGRATION_WAIT_MS): Promise<void> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await db.migrate.latest({ migrationSource: migrationSource(migrations) });
      return;
    } catch (error) {
      const locked = (error as Error).name === 'MigrationLocked';
      if (!locked && !/knex_migrations(_lock)?\W.*already exists/.test((error as Error).message)) throw error;
      if (locked && (await removeDuplicateLockRows(db))) continue;
      if (Date.now() >= deadline) throw locked ? migrationLockHeld() : error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
  }
}

/**
 * Knex gives its lock table its one row outside any lock: processes making the table together may
 * each add one. Knex then takes the lock only where it changes exactly one row, so with two rows no
 * process could ever take it again. Extra rows are removed while none of them is held.
 */
async function removeDuplicateLockRows(db: Knex): Promise<boolean> {
  const rows: { index: number; is_locked: number }[] = await db('knex_migrations_lock').select('index', 'is_locked').orderBy('index');
  if (rows.length < 2 || rows.some((r) => Number(r.is_locked))) return false;
  return (await db('knex_migrations_lock').where('index', '>', rows[0].index).delete()) > 0;
}

const migrationLockHeld = () =>
  new Error(
    'the store is being migrated by another process (its migration lock, in the table knex_migrations_lock, is held): try again once that is done. '
      + 'If no other process is running, one stopped while migrating left the lock: set is_locked to 0 in knex_migrations_lock, then try again',
  );

/** The names of `migrations` not yet run on `db`, in order, without running them. */
export async function pendingMigrations(db: Knex, migrations: readonly Migration[]): Promise<string[]> {
  const [, pending] = (await db.migrate.list({ migrationSource: migrationSource(migrations) })) as [unknown[], string[]];
  return pending;
}


/** Whether a store is there (its SQLite file, or its MySQL database), without creating it. */
export async function storeExists(config: Config, store: string): Promise<boolean> {
  const location = storeLocation(config, store);
  if (location.client === 'better-sqlite3') return fs.existsSync(location.where);
  const admin = knex({ client: 'mysql2', connection: mysqlServer(storeMysqlUrl(config, store) as string), pool: { min: 0, max: 1 } });
  try {
    const [rows] = await admin.raw('SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [location.where]);
    return (rows as unknown[]).length > 0;
  } finally {
    await admin.destroy();
  }
}

export type StoreFound = 'none' | 'onesource' | 'foreign';

/** knex's table of the migrations run on a store: `migrate` gives knex no other name for it. */
const MIGRATIONS_TABLE = 'knex_migrations';

/**
 * What is where a store should be: nothing (`none`); OneSource's store, whose migrations table
 * records `firstMigration` (`onesource`, of whatever version: later migrations may not have run
 * yet); or something else (`foreign`: an empty file, a file that is not a database, a database of
 * other tables). Nothing is created or changed: the SQLite file is opened read-only, without the
 * pragmas `openStore` sets (WAL mode would rewrite its header); on MySQL the database is only read.
 * A foreign SQLite file in WAL mode gets the `-wal` and `-shm` files any reader of it makes.
 */
export async function storeFound(config: Config, store: string, firstMigration: string): Promise<StoreFound> {
  const location = storeLocation(config, store);
  if (!(await storeExists(config, store))) return 'none';
  const db = location.client === 'better-sqlite3'
    ? knex({ client: 'better-sqlite3', connection: { filename: location.where, options: { readonly: true } }, useNullAsDefault: true })
    : knex({ client: 'mysql2', connection: { ...mysqlServer(storeMysqlUrl(config, store) as string), database: location.where }, pool: { min: 0, max: 1 } });
  try {
    if (!(await db.schema.hasTable(MIGRATIONS_TABLE))) return 'foreign';
    return (await db(MIGRATIONS_TABLE).where('name', firstMigration).first('name')) ? 'onesource' : 'foreign';
  } catch (e) {
    // A file SQLite does not read as a database (a text file, an encrypted one) holds no migrations either.
    if ((e as { code?: unknown }).code === 'SQLITE_NOTADB') return 'foreign';
    throw e;
  } finally {
    await db.destroy();
  }
}

/** Removes a store entirely (its SQLite file, or its MySQL database): for `seed --reset` and tests. */
export async function dropStore(config: Config, store: string): Promise<void> {
  const location = storeLocation(config, store);
  if (location.client === 'better-sqlite3') {
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(location.where + suffix, { force: true });
    return;
  }
  const admin = knex({ client: 'mysql2', connection: mysqlServer(storeMysqlUrl(config, store) as string), pool: { min: 0, max: 1 } });
  try {
    await admin.raw('DROP DATABASE IF EXISTS ??', [location.where]);
  } finally {
    await admin.destroy();
  }
}
