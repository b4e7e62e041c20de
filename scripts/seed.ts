import { Command, InvalidArgumentError } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, DepartmentName, isDepartmentName } from '../shared/departments';
import { DEFAULT_PLAN, legalPersonFacts, projectFacts, scaledPlan } from '../shared/seed/population';
import type { SeedPlan } from '../shared/subgraph-server';
import { wholeNumber } from './cli-options';
import { barPerDepartment, seedDepartments } from './seeding';
import { exitOnWrongUsage, exitWhenWritten } from './exit';

/** scaledPlan's limit: one person per county and birth date. */
const MAX_PERSONS = 2_000_000;
/** The seed is mixed into 32-bit dice (shared/seed/random.ts): larger numbers would repeat smaller ones. */
const MAX_SEED = 2 ** 32 - 1;

const DEPARTMENT_NAMES = DEPARTMENTS.map((d) => d.name).join(', ');

/** `--only`: known department names, comma-separated, each once. */
function departmentList(value: string): DepartmentName[] {
  const names = [...new Set(value.split(',').map((n) => n.trim()))];
  const unknown = names.filter((n) => !isDepartmentName(n));
  if (unknown.length) {
    throw new InvalidArgumentError(`unknown department ${unknown.map((n) => `"${n}"`).join(', ')}: comma-separated names from ${DEPARTMENT_NAMES}`);
  }
  return names as DepartmentName[];
}

const program = new Command('seed')
  .description('Fill the department stores with a deterministic, realistic province (Fujian).')
  .option('--scale <persons>', 'number of persons; the other stores grow in proportion', wholeNumber({ min: 1, max: MAX_PERSONS, of: 'persons' }))
  .option('--seed <number>', 'seed number: the same number gives the same province', wholeNumber({ max: MAX_SEED }), DEFAULT_PLAN.seed)
  .option('--only <departments>', `comma-separated departments to seed (default: all five: ${DEPARTMENT_NAMES})`, departmentList)
  .option('--if-empty', 'skip a department whose store a seed completed in (a half-seeded store is refused: --reset it)')
  .option('--reset', 'drop each store first')
  .exitOverride(exitOnWrongUsage)
  .parse();

/**
 * Derives every company's and project's cross-department facts once, before any store is touched:
 * a small --scale can leave a seed with no person fit to represent a company (or no company fit to
 * apply for a project), and finding that half-way through would leave --reset's stores dropped.
 */
function checkPlan(plan: SeedPlan, scale: number | undefined): void {
  try {
    for (let j = 0; j < plan.legalPersons; j++) legalPersonFacts(plan, j);
    for (let m = 0; m < plan.projects; m++) projectFacts(plan, m);
  } catch (e) {
    throw new Error(
      `--scale ${scale ?? plan.persons} with --seed ${plan.seed} cannot be seeded (${(e as Error).message}): nothing was changed; choose a larger --scale or another --seed`,
    );
  }
}

async function main() {
  const opts = program.opts<{ scale?: number; seed: number; only?: DepartmentName[]; ifEmpty?: boolean; reset?: boolean }>();
  const plan = opts.scale !== undefined ? scaledPlan(opts.scale, opts.seed) : { ...DEFAULT_PLAN, seed: opts.seed };
  const names = opts.only ?? DEPARTMENTS.map((d) => d.name);
  try {
    checkPlan(plan, opts.scale);
  } catch (e) {
    // Options that cannot make a province are wrong usage, as a bad option is.
    console.error(`seed: ${(e as Error).message}`);
    process.exit(2);
  }

  const config = readConfig();
  const bars = new MultiBar(
    { format: ' {department} |{bar}| {percentage}% {value}/{total} {duration_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
    Presets.shades_classic,
  );
  console.log(`Seeding ${names.join(', ')} (seed ${plan.seed}: ${plan.persons} persons, ${plan.legalPersons} legal persons, ${plan.parcels} parcels, ${plan.projects} projects) on ${config.mysqlUrl ? 'MySQL' : `SQLite in ${config.dataDir}`}`);
  const started = Date.now();
  let seeded: DepartmentName[];
  try {
    seeded = await seedDepartments(config, plan, names, {
      ifEmpty: opts.ifEmpty,
      reset: opts.reset,
      progress: barPerDepartment(bars),
    });
  } finally {
    // Before any message: a bar drawn after it would hide it.
    bars.stop();
  }
  console.log(seeded.length ? `Seeded ${seeded.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'Every store already holds data; nothing seeded.');
}

main().catch((e) => {
  // Every department's failure, however many lines: all of it written before the exit.
  console.error(`seed failed: ${e.message}`);
  exitWhenWritten(1);
});
