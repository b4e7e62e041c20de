import { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, DepartmentName, isDepartmentName } from '../shared/departments';
import { DEFAULT_PLAN, scaledPlan } from '../shared/seed/population';
import { seedDepartments } from './seeding';

const program = new Command('seed')
  .description('Fill the department stores with a deterministic, realistic province (Fujian).')
  .option('--scale <persons>', 'number of persons; the other stores grow in proportion', (v) => Number(v))
  .option('--seed <number>', 'seed number: the same number gives the same province', (v) => Number(v), DEFAULT_PLAN.seed)
  .option('--only <departments>', 'comma-separated departments to seed (default: all five)')
  .option('--if-empty', 'skip a department whose store already holds data')
  .option('--reset', 'drop each store first')
  .parse();

async function main() {
  const opts = program.opts<{ scale?: number; seed: number; only?: string; ifEmpty?: boolean; reset?: boolean }>();
  const plan = opts.scale ? scaledPlan(opts.scale, opts.seed) : { ...DEFAULT_PLAN, seed: opts.seed };
  const names = (opts.only ? opts.only.split(',') : DEPARTMENTS.map((d) => d.name)).map((n) => n.trim());
  const unknown = names.filter((n) => !isDepartmentName(n));
  if (unknown.length) throw new Error(`unknown department ${unknown.join(', ')}: one of ${DEPARTMENTS.map((d) => d.name).join(', ')}`);

  const config = readConfig();
  const bars = new MultiBar(
    { format: ' {department} |{bar}| {percentage}% {value}/{total} {duration_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
    Presets.shades_classic,
  );
  console.log(`Seeding ${names.join(', ')} (seed ${plan.seed}: ${plan.persons} persons, ${plan.legalPersons} legal persons, ${plan.parcels} parcels, ${plan.projects} projects) on ${config.mysqlUrl ? 'MySQL' : `SQLite in ${config.dataDir}`}`);
  const started = Date.now();
  const seeded = await seedDepartments(config, plan, names as DepartmentName[], {
    ifEmpty: opts.ifEmpty,
    reset: opts.reset,
    progress: (department) => {
      const bar = bars.create(1, 0, { department: department.padEnd(13) });
      return (done, total) => {
        bar.setTotal(total);
        bar.update(done);
      };
    },
  });
  bars.stop();
  console.log(seeded.length ? `Seeded ${seeded.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'Every store already holds data; nothing seeded.');
}

main().catch((e) => {
  console.error(`seed failed: ${e.message}`);
  process.exit(1);
});
