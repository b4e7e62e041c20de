import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Config, readConfig } from '../../config';
import { dropStore } from '../../db';
import { DEPARTMENTS, DepartmentName, envName } from '../../departments';
import { openDepartmentStore, SeedPlan } from '../../subgraph-server';
import { fillTable, FillTable } from '../fill';
import { DEFAULT_PLAN, scaledPlan } from '../population';
import { DIVISIONS } from '../province';
import { HalfSeededStore, SEED_RUNS_TABLE, SeedState } from '../runs';
import { departments } from '../../../subgraphs';
import * as creditSeed from '../../../subgraphs/credit/seed';
import * as geoSeed from '../../../subgraphs/geo/seed';
import * as legalPersonsSeed from '../../../subgraphs/legal-persons/seed';
import * as personsSeed from '../../../subgraphs/persons/seed';
import * as projectsSeed from '../../../subgraphs/projects/seed';
import { seedDepartments } from '../../../scripts/seeding';
import { freePort } from '../../../scripts/processes';
import { describeWithStore, mysqlUrl, StoreKind } from '../../../tests/support/stack';
import { runScript } from '../../../tests/support/scripts';

/**
 * A seed commits each 10,000-row chunk on its own, so one interrupted or failed leaves rows behind.
 * Each department records in its own store that its seed finished, as the seed's last step: a store
 * with rows and no such record is half-seeded, which `seed --if-empty` and `npm start` refuse,
 * naming it and the command that seeds it again, instead of skipping it as complete. The
 * interruption is a fill (fillTable's stand-in, given to the department's seed) that throws after
 * its first chunk has committed: the store is left as Ctrl-C leaves it. SQLite, and MySQL when
 * ONESOURCE_MYSQL_URL is set (databases `onesource_test_seed_runs_*`).
 */

const SEEDS = { persons: personsSeed, 'legal-persons': legalPersonsSeed, geo: geoSeed, projects: projectsSeed, credit: creditSeed };
const ALL = DEPARTMENTS.map((d) => d.name);
/** 20,000 persons: two chunks of the persons seed, so that one interrupted after its first leaves half of them. */
const PLAN: SeedPlan = scaledPlan(20_000, 7);
const RESEED_OPTIONS = '--scale 20000 --seed 7';

class Interrupted extends Error {}

/** fillTable, but the whole seed stops (throws) once `chunks` chunks have committed: 0 before the first. */
function interruptedAfter(chunks: number): FillTable {
  let committed = 0;
  return (db, table, total, makeRows, progress, rowsPerInsert) => {
    if (chunks === 0) return Promise.reject(new Interrupted(`interrupted before ${table}`));
    return fillTable(db, table, total, makeRows, (done, all) => {
      progress?.(done, all);
      if (++committed === chunks) throw new Interrupted(`interrupted after ${committed} chunk(s), in ${table}`);
    }, rowsPerInsert);
  };
}

const SQLITE_ONLY: NodeJS.ProcessEnv = { ONESOURCE_MYSQL_URL: '' };

function defineSuite(store: StoreKind) {
  describeWithStore(store, 'a seed that did not finish', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let config: Config;

    const inStore = async <T>(name: DepartmentName, work: (db: Knex) => Promise<T>): Promise<T> => {
      const db = await openDepartmentStore(config, departments[name]);
      try {
        return await work(db);
      } finally {
        await db.destroy();
      }
    };
    const stateOf = (name: DepartmentName): Promise<SeedState> => inStore(name, (db) => SEEDS[name].seedState(db));
    const rows = (name: DepartmentName, table: string) => inStore(name, async (db) => Number((await db(table).count({ n: '*' }))[0].n));
    /** Drops `name`'s store and runs its seed with `fill`, which is expected to interrupt it. */
    const interruptedSeed = async (name: DepartmentName, fill: FillTable) => {
      await dropStore(config, name);
      await expect(inStore(name, (db) => SEEDS[name].seed(db, PLAN, () => {}, fill))).rejects.toBeInstanceOf(Interrupted);
    };
    const completeSeed = (names: DepartmentName[]) => seedDepartments(config, PLAN, names, { reset: true });

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-seed-runs-'));
      env = store === 'mysql' ? { ONESOURCE_MYSQL_URL: mysqlUrl, ONESOURCE_DB_PREFIX: 'onesource_test_seed_runs_', ONESOURCE_DATA_DIR: dir } : { ...SQLITE_ONLY, ONESOURCE_DATA_DIR: dir };
      config = readConfig(env);
    });
    afterAll(async () => {
      if (store === 'mysql') for (const name of ALL) await dropStore(config, name);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('an empty store is empty: isSeeded false, and --if-empty seeds it', async () => {
      await dropStore(config, 'persons');
      expect(await stateOf('persons')).toEqual({ kind: 'empty' });
      expect(await inStore('persons', (db) => departments.persons.isSeeded(db))).toBe(false);
      expect(await seedDepartments(config, PLAN, ['persons'], { ifEmpty: true })).toEqual(['persons']);
      expect(await stateOf('persons')).toMatchObject({ kind: 'complete', plan: PLAN });
    });

    it('a completed seed is complete, with when it finished and its plan, and --if-empty leaves it', async () => {
      expect(await completeSeed(ALL)).toEqual(ALL);
      for (const name of ALL) {
        expect(await stateOf(name)).toEqual({ kind: 'complete', finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), plan: PLAN });
        expect(await inStore(name, (db) => departments[name].isSeeded(db))).toBe(true);
      }
      expect(await seedDepartments(config, PLAN, ALL, { ifEmpty: true })).toEqual([]);
      await expect(seedDepartments(config, PLAN, ['persons'])).rejects.toThrow(/the persons store already holds data: use --reset to replace it/);
    });

    it('persons interrupted after its first 10,000-row chunk is half-seeded: --if-empty refuses it, naming it, and changes nothing', async () => {
      await completeSeed(ALL);
      await interruptedSeed('persons', interruptedAfter(1));
      expect(await rows('persons', 'natural_persons')).toBe(10_000);
      const state = await stateOf('persons');
      expect(state).toMatchObject({ kind: 'half-seeded', plan: PLAN });
      expect((state as { why: string }).why).toMatch(/holds rows in natural_persons, but the seed begun at .* never recorded that it finished/);
      await expect(inStore('persons', (db) => departments.persons.isSeeded(db))).rejects.toBeInstanceOf(HalfSeededStore);

      const refusal = seedDepartments(config, PLAN, ALL, { ifEmpty: true });
      await expect(refusal).rejects.toThrow(/^the persons store is half-seeded: .*It is not taken as seeded: run `npm run seed -- --reset --only persons --scale 20000 --seed 7` to drop it and seed it again\. No store was seeded\.$/s);
      expect(await rows('persons', 'natural_persons')).toBe(10_000);

      // What the message says to run, then --if-empty finds every store complete.
      expect(await seedDepartments(config, PLAN, ['persons'], { reset: true })).toEqual(['persons']);
      expect(await rows('persons', 'natural_persons')).toBe(20_000);
      expect(await seedDepartments(config, PLAN, ALL, { ifEmpty: true })).toEqual([]);
    });

    it('geo interrupted after its divisions (no parcels) is half-seeded, and so is every department stopped part-way', async () => {
      await completeSeed(ALL);
      await interruptedSeed('geo', interruptedAfter(1));
      expect(await rows('geo', 'administrative_divisions')).toBe(DIVISIONS.length);
      expect(await rows('geo', 'land_parcels')).toBe(0);
      expect(await stateOf('geo')).toMatchObject({ kind: 'half-seeded', why: expect.stringMatching(/holds rows in administrative_divisions \(none in land_parcels\)/) });
      // Projects and credit stopped after the first chunk of their first table; legal-persons (one chunk in all) just before its record.
      await interruptedSeed('projects', interruptedAfter(1));
      await interruptedSeed('credit', interruptedAfter(1));
      await interruptedSeed('legal-persons', interruptedAfter(1));
      for (const name of ['geo', 'projects', 'credit', 'legal-persons'] as const) expect((await stateOf(name)).kind).toBe('half-seeded');

      await expect(seedDepartments(config, PLAN, ALL, { ifEmpty: true })).rejects.toThrow(
        new RegExp(
          '^4 stores were not seeded:\\n  - the legal-persons store is half-seeded: .*\\n  - the geo store is half-seeded: .*\\n  - the projects store is half-seeded: .*\\n  - the credit store is half-seeded: .*\\n' +
            `They are not taken as seeded: run \`npm run seed -- --reset --only legal-persons,geo,projects,credit ${RESEED_OPTIONS}\` to drop them and seed them again\\. No store was seeded\\.$`,
        ),
      );
      expect(await rows('geo', 'land_parcels')).toBe(0);
    });

    it('a seed stopped before its first chunk committed left nothing: the store is empty, and --if-empty seeds it', async () => {
      await completeSeed(ALL);
      await interruptedSeed('legal-persons', interruptedAfter(0));
      expect(await stateOf('legal-persons')).toEqual({ kind: 'empty' });
      expect(await seedDepartments(config, PLAN, ALL, { ifEmpty: true })).toEqual(['legal-persons']);
      expect(await stateOf('legal-persons')).toMatchObject({ kind: 'complete', plan: PLAN });
    });

    it('a store with rows and no record of seeds (loaded by import, or seeded by an earlier version) is complete, whatever tables it left empty', async () => {
      await completeSeed(ALL);
      const forgetRuns = (name: DepartmentName) => inStore(name, (db) => db.schema.dropTable(SEED_RUNS_TABLE));
      for (const name of ALL) await forgetRuns(name);
      for (const name of ALL) expect(await stateOf(name)).toEqual({ kind: 'complete', finishedAt: null, plan: null });
      // Projects loaded without approval steps or parcels: not a broken seed.
      await inStore('projects', async (db) => {
        await db('approval_steps').delete();
        await db('project_parcels').delete();
      });
      expect(await stateOf('projects')).toEqual({ kind: 'complete', finishedAt: null, plan: null });
      expect(await seedDepartments(config, PLAN, ALL, { ifEmpty: true })).toEqual([]);
    });

    it('one department failing does not cut the others off: each is seeded to the end, and every failure is reported', async () => {
      const failing = (names: DepartmentName[], message: string) => (name: DepartmentName) => () => {
        if (names.includes(name)) throw new Error(message);
      };
      await expect(seedDepartments(config, PLAN, ALL, { reset: true, progress: failing(['geo'], 'disk full') })).rejects.toThrow(
        /^the geo seed failed: disk full\. That store is not taken as seeded: run `npm run seed -- --reset --only geo --scale 20000 --seed 7` to seed it again\. Seeded persons, legal-persons, projects, credit\.$/,
      );
      // Settled by the time the failure is told: none of the others is still writing.
      for (const name of ALL.filter((n) => n !== 'geo')) expect(await stateOf(name)).toMatchObject({ kind: 'complete', plan: PLAN });
      expect(await stateOf('geo')).toMatchObject({ kind: 'half-seeded' });
      expect(await rows('persons', 'natural_persons')).toBe(PLAN.persons);

      await expect(seedDepartments(config, PLAN, ALL, { reset: true, progress: failing(['geo', 'credit'], 'disk full') })).rejects.toThrow(
        /^2 stores were not seeded:\n  - the geo seed failed: disk full\n  - the credit seed failed: disk full\nThose stores are not taken as seeded: run `npm run seed -- --reset --only geo,credit --scale 20000 --seed 7` to seed them again\. Seeded persons, legal-persons, projects\.$/,
      );
    });
  });
}

defineSuite('sqlite');
defineSuite('mysql');

describe('the commands on a half-seeded store [sqlite]', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  /** The command with none of this shell's ONESOURCE_ settings: only the suite's own. */
  const run = (script: string, args: string[], extra: NodeJS.ProcessEnv = {}) => {
    const environment = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^ONESOURCE_/.test(name)));
    return runScript(script, args, { ...environment, ...env, ...extra }, 60_000);
  };

  /** The persons store as a seed with `plan` interrupted after its first chunk leaves it. */
  async function halfSeededPersons(plan: SeedPlan): Promise<void> {
    const config = readConfig(env);
    await dropStore(config, 'persons');
    const db = await openDepartmentStore(config, departments.persons);
    try {
      await expect(personsSeed.seed(db, plan, () => {}, interruptedAfter(1))).rejects.toBeInstanceOf(Interrupted);
    } finally {
      await db.destroy();
    }
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-half-seeded-'));
    env = { ...SQLITE_ONLY, ONESOURCE_DATA_DIR: dir };
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('npm run seed -- --if-empty exits 1 naming the store and the command, seeding nothing', async () => {
    await halfSeededPersons(PLAN);
    const outcome = await run('seed.ts', ['--if-empty', '--scale', '20000', '--seed', '7']);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/seed failed: the persons store is half-seeded: .* run `npm run seed -- --reset --only persons --scale 20000 --seed 7` to drop it and seed it again\. No store was seeded\./);
    expect(outcome.stdout).not.toMatch(/Seeded/);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite'))).toEqual(['persons.sqlite']);
  });

  it('npm start exits 1 naming the store and the command, and starts nothing', async () => {
    await halfSeededPersons(DEFAULT_PLAN);
    const ports: NodeJS.ProcessEnv = { ONESOURCE_GATEWAY_PORT: String(await freePort()) };
    for (const { name } of DEPARTMENTS) ports[`ONESOURCE_${envName(name)}_PORT`] = String(await freePort());
    const outcome = await run('start-all.ts', [], { ...ports, ONESOURCE_SEED_EMPTY_STORES: 'on', ONESOURCE_LOG_LEVEL: 'warn' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/start failed: the persons store is half-seeded: .* run `npm run seed -- --reset --only persons` to drop it and seed it again\. No store was seeded\./);
    expect(outcome.stdout).not.toMatch(/OneSource is up/);
  });
});
