import type { MultiBar } from 'cli-progress';
import type { Knex } from 'knex';
import type { Config } from '../shared/config';
import type { DepartmentName } from '../shared/departments';
import { dropStore, storeExists } from '../shared/db';
import { HalfSeededStore, reseedCommand } from '../shared/seed/runs';
import { openDepartmentStore, SeedPlan, SeedProgress } from '../shared/subgraph-server';
import { departments } from '../subgraphs';

export interface SeedOptions {
  /** Leave a department's store alone when a seed completed in it. A half-seeded store is refused all the same. */
  ifEmpty?: boolean;
  /** Drop each store first. */
  reset?: boolean;
  progress?: (department: DepartmentName) => SeedProgress;
}

/**
 * Why not every department named was seeded: one problem for each department that failed or was
 * refused, what to do about them (where one command does for all), and those seeded all the same.
 */
export class SeedingFailed extends Error {
  constructor(
    readonly problems: readonly string[],
    readonly seeded: readonly DepartmentName[],
    readonly advice = '',
  ) {
    const outcome = `${advice ? `${advice}. ` : ''}${seeded.length ? `Seeded ${seeded.join(', ')}.` : 'No store was seeded.'}`;
    super(problems.length === 1 ? `${problems[0]}. ${outcome}` : `${problems.length} stores were not seeded:\n${problems.map((p) => `  - ${p}`).join('\n')}\n${outcome}`);
    this.name = 'SeedingFailed';
  }
}

/**
 * Seeds each named department's own store, all at once; each department's seed writes only its
 * own data. Without --reset every store is looked at first, and a store that is half-seeded, or
 * (without `ifEmpty`) holds data, stops them all before any is written to. A seed that fails does
 * not stop the others (they are all let finish, so that none is cut off mid-write): every failure
 * is reported together, in a SeedingFailed. Returns the departments that were seeded.
 */
export async function seedDepartments(
  config: Config,
  plan: SeedPlan,
  names: readonly DepartmentName[],
  options: SeedOptions = {},
): Promise<DepartmentName[]> {
  const toSeed = options.reset ? [...names] : await storesToSeed(config, names, Boolean(options.ifEmpty));
  const outcomes = await Promise.allSettled(
    toSeed.map(async (name) => {
      if (options.reset) await dropStore(config, name);
      await withStore(config, name, (db) => departments[name].seed(db, plan, options.progress?.(name) ?? (() => {})));
    }),
  );
  const failed = toSeed.filter((_, i) => outcomes[i].status === 'rejected');
  if (!failed.length) return toSeed;
  const problems = failed.map((name) => `the ${name} seed failed: ${reason((outcomes[toSeed.indexOf(name)] as PromiseRejectedResult).reason)}`);
  const advice = `${failed.length === 1 ? 'That store is' : 'Those stores are'} not taken as seeded: run \`${reseedCommand(failed, plan)}\` to seed ${failed.length === 1 ? 'it' : 'them'} again`;
  throw new SeedingFailed(problems, toSeed.filter((name) => !failed.includes(name)), advice);
}

/**
 * The stores to seed: the empty ones. Any store refused (half-seeded, holding data without
 * `ifEmpty`, or unreadable) refuses them all, before anything is written.
 */
async function storesToSeed(config: Config, names: readonly DepartmentName[], ifEmpty: boolean): Promise<DepartmentName[]> {
  // A store not there yet is empty: not made here, where all may yet be refused.
  const seeded = async (name: DepartmentName) => (await storeExists(config, name)) && withStore(config, name, (db) => departments[name].isSeeded(db));
  const outcomes = await Promise.allSettled(names.map(seeded));
  const halfSeeded = outcomes.flatMap((o) => (o.status === 'rejected' && o.reason instanceof HalfSeededStore ? [o.reason] : []));
  const problems: string[] = [];
  const empty: DepartmentName[] = [];
  outcomes.forEach((outcome, i) => {
    const name = names[i];
    if (outcome.status === 'fulfilled') {
      if (!outcome.value) empty.push(name);
      else if (!ifEmpty) problems.push(`the ${name} store already holds data: use --reset to replace it`);
    } else if (!(outcome.reason instanceof HalfSeededStore)) {
      problems.push(`the ${name} store could not be read: ${reason(outcome.reason)}`);
    } else if (halfSeeded.length === 1) {
      problems.push(outcome.reason.message);
    } else {
      problems.push(`the ${name} store is half-seeded: ${outcome.reason.why}`);
    }
  });
  if (!problems.length) return empty;
  throw new SeedingFailed(problems, [], halfSeeded.length > 1 ? reseedAdvice(halfSeeded) : '');
}

/** One command for several half-seeded stores: with the plan they were begun with, where they agree on one. */
function reseedAdvice(stores: readonly HalfSeededStore[]): string {
  const plans = new Set(stores.map((s) => JSON.stringify(s.plan)));
  const plan = plans.size === 1 ? stores[0].plan : null;
  return (
    `They are not taken as seeded: run \`${reseedCommand(stores.map((s) => s.store), plan)}\` to drop them and seed them again` +
    (plan ? '' : ' (with the --scale and --seed the other stores were seeded with)')
  );
}

async function withStore<T>(config: Config, name: DepartmentName, work: (db: Knex) => Promise<T>): Promise<T> {
  const db = await openDepartmentStore(config, departments[name]);
  try {
    return await work(db);
  } finally {
    await db.destroy();
  }
}

const reason = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** `progress` for seedDepartments: a bar on `bars` for each department, from its first row to its last. */
export function barPerDepartment(bars: MultiBar): NonNullable<SeedOptions['progress']> {
  return (department) => {
    const bar = bars.create(1, 0, { department: department.padEnd(13) });
    return (done, total) => {
      bar.setTotal(total);
      bar.update(done);
    };
  };
}
