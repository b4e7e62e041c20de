import type { Knex } from 'knex';
import type { SeedPlan } from '../subgraph-server';
import { hasRows } from './fill';
import { DEFAULT_PLAN, scaledPlan } from './population';

/**
 * Every seed of a store, recorded in that store: a row when it begins, its `finished_at` as its
 * very last step. `fillTable` commits each chunk on its own (one transaction of a million rows
 * would be slow and huge), so a seed that is interrupted or fails leaves rows behind: only this
 * record tells such a store from a complete one. The table is made by the first seed that needs
 * it, not by a migration: a store seeded before seeds were recorded has none (see `readSeedState`).
 */
export const SEED_RUNS_TABLE = 'seed_runs';

/** What a department's seed fills, for telling its three states apart. */
export interface SeededStore {
  /** The department, as `npm run seed -- --only` names it. */
  name: string;
  /** Every table its seed fills: any holding rows, without a finished seed recorded, is a seed left part-way. */
  tables: readonly string[];
}

export type SeedState =
  | { kind: 'empty' }
  /** `finishedAt` and `plan` are null for a store seeded before seeds were recorded. */
  | { kind: 'complete'; finishedAt: string | null; plan: SeedPlan | null }
  | { kind: 'half-seeded'; why: string; plan: SeedPlan | null };

interface SeedRunRow {
  id: number;
  started_at: string;
  finished_at: string | null;
  seed: number | string;
  persons: number | string;
  legal_persons: number | string;
  parcels: number | string;
  projects: number | string;
}

/**
 * Empty, complete or half-seeded. With the record of seeds (every store seeded by this version):
 * complete when the last seed begun finished; otherwise half-seeded where any seeded table holds
 * rows, empty where none does (a seed stopped before its first chunk committed left nothing to
 * take for data). Without the record, a store that holds rows is complete, as before seeds were
 * recorded: it was filled by `npm run import`, which may leave any table empty (projects without
 * approval steps), or by an earlier version's seed, whose interruption cannot be told now.
 */
export async function readSeedState(db: Knex, store: SeededStore): Promise<SeedState> {
  const recorded = await db.schema.hasTable(SEED_RUNS_TABLE);
  const last: SeedRunRow | undefined = recorded ? await db(SEED_RUNS_TABLE).orderBy('id', 'desc').first() : undefined;
  if (last?.finished_at) return { kind: 'complete', finishedAt: last.finished_at, plan: planOf(last) };

  const filled = await Promise.all(store.tables.map((table) => hasRows(db, table)));
  const withRows = store.tables.filter((_, i) => filled[i]);
  const withoutRows = store.tables.filter((_, i) => !filled[i]);
  if (!withRows.length) return { kind: 'empty' };
  const holding = `it holds rows in ${withRows.join(', ')}${withoutRows.length ? ` (none in ${withoutRows.join(', ')})` : ''}`;
  // Never seeded by this version: loaded by `npm run import` (a load may leave any table empty:
  // projects without approval steps), or seeded before seeds were recorded. Taken as it always was.
  if (!recorded) return { kind: 'complete', finishedAt: null, plan: null };
  if (!last) return { kind: 'half-seeded', why: `${holding}, but its record of seeds (table ${SEED_RUNS_TABLE}) holds none`, plan: null };
  const plan = planOf(last);
  return {
    kind: 'half-seeded',
    why: `${holding}, but the seed begun at ${last.started_at} (${describePlan(plan)}) never recorded that it finished: it was interrupted or failed part-way, or is still running elsewhere`,
    plan,
  };
}

/**
 * For the `Department.isSeeded` every caller already asks: true when complete, false when empty,
 * and a half-seeded store is neither: `HalfSeededStore`, which says how to seed it again.
 */
export async function seedFinished(db: Knex, store: SeededStore): Promise<boolean> {
  const state = await readSeedState(db, store);
  if (state.kind === 'half-seeded') throw new HalfSeededStore(store.name, state.why, state.plan);
  return state.kind === 'complete';
}

/**
 * A department's two looks at its store: its state (`readSeedState`), and `Department.isSeeded`
 * (`seedFinished`), both about the tables its seed fills.
 */
export function seedChecks(store: SeededStore) {
  return {
    seedState: (db: Knex) => readSeedState(db, store),
    isSeeded: (db: Knex) => seedFinished(db, store),
  };
}

/** A store that a seed left part-way: never served, skipped or seeded over as if complete or empty. */
export class HalfSeededStore extends Error {
  constructor(
    readonly store: string,
    readonly why: string,
    readonly plan: SeedPlan | null,
  ) {
    super(
      `the ${store} store is half-seeded: ${why}. It is not taken as seeded: run \`${reseedCommand([store], plan)}\` to drop it and seed it again` +
        (plan ? '' : ' (with the --scale and --seed the other stores were seeded with)'),
    );
    this.name = 'HalfSeededStore';
  }
}

/**
 * Runs a department's seed (`fill`: all its fillTable calls) between the two entries of its run:
 * begun before the first row, finished as the very last step. Two small writes a seed, none a row.
 */
export async function recordSeed(db: Knex, plan: SeedPlan, fill: () => Promise<void>): Promise<void> {
  await ensureSeedRunsTable(db);
  const [id] = await db(SEED_RUNS_TABLE).insert({
    started_at: new Date().toISOString(),
    finished_at: null,
    seed: plan.seed,
    persons: plan.persons,
    legal_persons: plan.legalPersons,
    parcels: plan.parcels,
    projects: plan.projects,
  });
  await fill();
  await db(SEED_RUNS_TABLE).where('id', id).update({ finished_at: new Date().toISOString() });
}

async function ensureSeedRunsTable(db: Knex): Promise<void> {
  if (await db.schema.hasTable(SEED_RUNS_TABLE)) return;
  try {
    await db.schema.createTable(SEED_RUNS_TABLE, (t) => {
      t.increments('id');
      t.string('started_at', 24).notNullable();
      t.string('finished_at', 24).nullable();
      // Seed numbers go to 2^32 - 1: past a signed INT on MySQL.
      t.bigInteger('seed').notNullable();
      t.integer('persons').notNullable();
      t.integer('legal_persons').notNullable();
      t.integer('parcels').notNullable();
      t.integer('projects').notNullable();
    });
  } catch (e) {
    // Another seed of this store made it meanwhile.
    if (!(await db.schema.hasTable(SEED_RUNS_TABLE))) throw e;
  }
}

const planOf = (row: SeedRunRow): SeedPlan => ({
  seed: Number(row.seed),
  persons: Number(row.persons),
  legalPersons: Number(row.legal_persons),
  parcels: Number(row.parcels),
  projects: Number(row.projects),
});

const samePlan = (a: SeedPlan, b: SeedPlan) =>
  a.seed === b.seed && a.persons === b.persons && a.legalPersons === b.legalPersons && a.parcels === b.parcels && a.projects === b.projects;

/**
 * `plan` as `npm run seed` options, leaving out what is the default; '' for a plan the command
 * cannot name (a test's own proportions).
 */
function planOptions(plan: SeedPlan | null): string {
  if (!plan || !Number.isInteger(plan.persons) || plan.persons < 1 || plan.persons > 2_000_000) return '';
  if (!samePlan(plan, scaledPlan(plan.persons, plan.seed))) return '';
  const scale = samePlan(plan, { ...DEFAULT_PLAN, seed: plan.seed }) ? '' : ` --scale ${plan.persons}`;
  const seed = plan.seed === DEFAULT_PLAN.seed ? '' : ` --seed ${plan.seed}`;
  return `${scale}${seed}`;
}

function describePlan(plan: SeedPlan): string {
  return `seed ${plan.seed}: ${plan.persons} persons, ${plan.legalPersons} legal persons, ${plan.parcels} parcels, ${plan.projects} projects`;
}

/** The command that drops `stores` and seeds them again with `plan` (where the command can name it). */
export function reseedCommand(stores: readonly string[], plan: SeedPlan | null): string {
  return `npm run seed -- --reset --only ${stores.join(',')}${planOptions(plan)}`;
}
