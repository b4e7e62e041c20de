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
 * Opens one store: `.data/<store>.sqlite` by default, or the MySQL database `onesource_<store>`,
 * created if missing, when ONESOURCE_MYSQL_URL is set.
 */
export async function openStore(config: Config, store: string): Promise<Knex> {
  const location = storeLocation(config, store);
  if (location.client === 'better-sqlite3') {
    // The stores hold personal data: a data directory made here is for this user alone (0700).
    fs.mkdirSync(path.dirname(location.where), { recursive: true, mode: 0o700 });
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

const migrationSource = (migrations: readonly Migration[]) => ({
  getMigrations: async () => migrations.map((m) => m.name),
  getMigrationName: (name: string) => name,
  getMigration: async (name: string) => migrations.find((m) => m.name === name) as Migration,
});

export async function migrate(db: Knex, migrations: readonly Migration[]): Promise<void> {
  try {
    await db.migrate.latest({ migrationSource: migrationSource(migrations) });
  } catch (error) {
    if ((error as Error).name !== 'MigrationLocked') throw error;
    throw new Error(
      'the store is being migrated by another process (its migration lock, in the table knex_migrations_lock, is held): try again once that is done. '
        + 'If no other process is running, one stopped while migrating left the lock: set is_locked to 0 in knex_migrations_lock, then try again',
    );
  }
}

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
