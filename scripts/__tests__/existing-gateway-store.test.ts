import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex, { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import { migrate, openStore, storeFound } from '../../shared/db';
import { projectPath } from '../../shared/project-root';
import { migrations } from '../../gateway/migrations';
import { gatewayStoreFound, openGatewayStore } from '../../gateway/store';
import { Outcome, runScript as runScriptIn, snapshot, sqliteEnvironment } from '../../tests/support/scripts';

/**
 * The commands that never create a gateway store (consumers, audit:verify, audit:purge, report,
 * check) refuse what is not one: an empty gateway.sqlite, another application's database, a
 * department's store, a file that is not a database. They name the file, exit as for "no store",
 * and leave it byte for byte as it was, instead of migrating it into a gateway store. A real store,
 * of an older version too, is still opened (and migrated, as the gateway would). SQLite only.
 */


const runScript = (script: string, args: string[], dataDir: string): Promise<Outcome> => runScriptIn(script, args, sqliteEnvironment(dataDir));

/** A SQLite file opened as itself, outside OneSource's store code (read-only, or created if missing). */
async function withSqlite<T>(file: string, work: (db: Knex) => Promise<T>, readonly = false): Promise<T> {
  const db = knex({ client: 'better-sqlite3', connection: { filename: file, options: { readonly } }, useNullAsDefault: true });
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

const dirs: string[] = [];
const tempDir = (name: string) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `onesource-${name}-`));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** What may be found at `<dataDir>/gateway.sqlite` that is not a gateway store. */
const NOT_GATEWAY_STORES: Record<string, (file: string) => Promise<void>> = {
  'another application\'s SQLite database': (file) => withSqlite(file, async (db) => {
    await db.raw('CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount INTEGER)');
    await db.raw('INSERT INTO invoices (amount) VALUES (42)');
  }),
  'an empty (0-byte) file': async (file) => fs.writeFileSync(file, ''),
  'a department\'s store (its knex migrations, not the gateway\'s)': (file) => withSqlite(file, async (db) => {
    await db.raw('CREATE TABLE knex_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name VARCHAR(255), batch INTEGER, migration_time DATETIME)');
    await db.raw("INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('001_natural_persons', 1, 1767225600000)");
    await db.raw('CREATE TABLE natural_persons (id_number TEXT PRIMARY KEY)');
  }),
  'a file that is not a database': async (file) => fs.writeFileSync(file, 'id,amount\n1,42\n'),
};

/** A data directory whose gateway.sqlite is made by `make`. */
async function dataDirWith(make: (file: string) => Promise<void>): Promise<{ dataDir: string; file: string }> {
  const dataDir = tempDir('not-gateway-store');
  const file = path.join(dataDir, 'gateway.sqlite');
  await make(file);
  return { dataDir, file };
}

let proposal: string;
beforeAll(() => {
  // check's own proposal (the working copy is the very file the gateway composes from: refused first).
  proposal = path.join(tempDir('proposal'), 'schema.graphql');
  fs.copyFileSync(projectPath('subgraphs', 'persons', 'schema.graphql'), proposal);
});

/** Each command that never creates a store, its arguments, its exit code for "no store", and what it prints having opened one. */
const COMMANDS: [string, string, () => string[], number, RegExp][] = [
  ['consumers list', 'consumers.ts', () => ['list'], 1, /No consumer system is registered/],
  ['audit:purge', 'audit-purge.ts', () => [], 2, /Nothing to purge|Purged/],
  ['audit:verify', 'audit-verify.ts', () => [], 2, /intact/],
  ['report', 'report.ts', () => ['--year', '2026'], 1, /三数一率/],
  ['check', 'check.ts', () => ['persons', proposal, '--without-consumers'], 2, /recorded operation/],
];

describe.each(Object.entries(NOT_GATEWAY_STORES))('a gateway.sqlite that is %s', (_kind, make) => {
  it.each(COMMANDS)('is refused by %s, naming the file, with its "no store" exit code, and left as it was', async (_command, script, args, code, opened) => {
    const { dataDir, file } = await dataDirWith(make);
    const before = snapshot(dataDir);
    const outcome = await runScript(script, args(), dataDir);
    expect(outcome.stderr).toContain(`${file} is not a OneSource gateway store (it holds no gateway migrations): check ONESOURCE_DATA_DIR`);
    expect(outcome.code).toBe(code);
    expect(outcome.stdout).not.toMatch(opened);
    expect(snapshot(dataDir)).toEqual(before);
  });

  it('is found foreign without a change to it', async () => {
    const { dataDir } = await dataDirWith(make);
    const before = snapshot(dataDir);
    expect(await gatewayStoreFound(readConfig(sqliteEnvironment(dataDir)))).toBe('foreign');
    expect(snapshot(dataDir)).toEqual(before);
  });
});

describe('storeFound', () => {
  it('is none where there is no file, and makes none (nor the data directory)', async () => {
    const dataDir = path.join(tempDir('no-store'), 'mistyped');
    expect(await storeFound(readConfig(sqliteEnvironment(dataDir)), 'gateway', migrations[0].name)).toBe('none');
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('reads another application\'s WAL-mode database without changing its file', async () => {
    const { dataDir, file } = await dataDirWith((at) => withSqlite(at, async (db) => {
      await db.raw('PRAGMA journal_mode = WAL');
      await db.raw('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    }));
    const bytes = fs.readFileSync(file);
    expect(await gatewayStoreFound(readConfig(sqliteEnvironment(dataDir)))).toBe('foreign');
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    expect(await withSqlite(file, (db) => db('sqlite_master').where('type', 'table').pluck('name'), true)).toEqual(['invoices']);
  });
});

describe('a real gateway store is still opened', () => {
  it('as it is: consumers list and audit:purge run on it', async () => {
    const dataDir = tempDir('gateway-store');
    await (await openGatewayStore(readConfig(sqliteEnvironment(dataDir)))).destroy();
    expect(await gatewayStoreFound(readConfig(sqliteEnvironment(dataDir)))).toBe('onesource');
    expect(await runScript('consumers.ts', ['list'], dataDir)).toEqual({ code: 0, stdout: expect.stringContaining('No consumer system is registered'), stderr: '' });
    expect(await runScript('audit-purge.ts', [], dataDir)).toMatchObject({ code: 0, stdout: expect.stringContaining('Nothing to purge'), stderr: '' });
  });

  it('of an older version (fewer migrations run): accepted, and migrated as the gateway would', async () => {
    const dataDir = tempDir('older-gateway-store');
    const config = readConfig(sqliteEnvironment(dataDir));
    const older = await openStore(config, 'gateway');
    await migrate(older, migrations.slice(0, 3));
    await older.destroy();
    expect(await gatewayStoreFound(config)).toBe('onesource');

    expect(await runScript('consumers.ts', ['list'], dataDir)).toEqual({ code: 0, stdout: expect.stringContaining('No consumer system is registered'), stderr: '' });
    const run = await withSqlite(path.join(dataDir, 'gateway.sqlite'), (db) => db('knex_migrations').orderBy('id').pluck('name'), true);
    expect(run).toEqual(migrations.map((m) => m.name));
  });
});
