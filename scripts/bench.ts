import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import { readConfig } from '../shared/config';
import { dropStore, openStore } from '../shared/db';
import { createLogger } from '../shared/logger';
import { DEPARTMENTS } from '../shared/departments';
import { scaledPlan } from '../shared/seed/population';
import { consumerHeaders } from './bench/consumer';
import { Agreement, BodyRotation, Burst, burst, checkAnswers, LoadSettings } from './bench/load';
import { drawVariables, Operation, OPERATIONS, requestBodies } from './bench/operations';
import { buildReport, consoleReport, Measurement, RunInfo, writeBenchmarks, writeRawResults } from './bench/report';
import { benchEnvironment, CPU_PROFILE_DIR, ensureSeeded, logDirectory, ROOT, startSubgraphs, writeSupergraph } from './bench/stack';
import { cpuSecondsOf, processesNamed, settle } from './bench/process-watch';
import { roundOrder, RunningTarget, startTarget, TargetDefinition, TargetId, TARGETS } from './bench/targets';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run bench`: OneSource's gateway next to Hive Gateway, a bare Apollo Gateway and a direct-SQL
 * baseline, over the same five subgraph processes on MySQL, measured with autocannon in interleaved
 * rounds; prints the figures and writes them to BENCHMARKS.md. Not part of `npm test`.
 */

const whole = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be a whole number ≥ ${min}`);
  return n;
};

const program = new Command('bench')
  .description('Side-by-side benchmark of OneSource, Hive Gateway, bare Apollo Gateway and direct SQL (issue 7).')
  .option('--scale <persons>', 'persons in the bench databases; the other stores in proportion', whole('--scale', 1), 100_000)
  .option('--duration <seconds>', 'length of each burst', whole('--duration', 1), 10)
  .option('--rounds <n>', 'rounds of bursts (each operation × target once per round; an even number balances the targets\' order exactly)', whole('--rounds', 1), 3)
  .option('--connections <n>', 'concurrent connections (with --rate: at most this many)', whole('--connections', 1), 16)
  .option('--warmup <seconds>', 'unrecorded burst per target and operation before the first round', whole('--warmup', 0), 3)
  .option('--rate <requests>', 'requests/s arriving at a constant rate, each timed from when it was due, over at most --connections connections (default: as fast as answered)', whole('--rate', 1))
  .option('--targets <list>', `which targets, comma-separated: ${TARGETS.map((t) => t.id).join(',')}`, TARGETS.map((t) => t.id).join(','))
  .option('--operations <list>', `which operations, comma-separated: ${OPERATIONS.map((o) => o.id).join(',')}`, OPERATIONS.map((o) => o.id).join(','))
  .option('--purpose <text>', 'X-Purpose sent with the bearer token (once the gateway authenticates)', 'investment-project-review')
  .option('--reseed', 'seed again even when the bench databases already hold this scale')
  .option('--no-write', 'print only; leave BENCHMARKS.md alone')
  .option('--cpu-prof <dir>', 'every process of the stack writes a V8 CPU profile (node --cpu-prof) into <dir> when the bench ends; BENCHMARKS.md is then left alone (profiling slows the stack)')
  .exitOverride(exitOnWrongUsage)
  .parse();

interface Options {
  scale: number;
  duration: number;
  rounds: number;
  connections: number;
  warmup: number;
  rate?: number;
  targets: string;
  operations: string;
  purpose: string;
  reseed?: boolean;
  write: boolean;
  cpuProf?: string;
}

function pick<T extends { id: string }>(all: readonly T[], list: string, what: string): T[] {
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !all.some((x) => x.id === id));
  if (unknown.length || !ids.length) throw new Error(`unknown ${what} ${unknown.join(', ')}: choose from ${all.map((x) => x.id).join(', ')}`);
  return all.filter((x) => ids.includes(x.id));
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** The code measured: the commit, and whether the gateway's or departments' code differs from it. */
function revision(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const changed = git('status', '--porcelain', '--', 'gateway', 'shared', 'subgraphs') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${changed ? ' with uncommitted changes to gateway/, shared/ or subgraphs/' : ''}`;
  } catch {
    return 'not a git checkout';
  }
}

async function main() {
  const opts = program.opts<Options>();
  const operations = pick(OPERATIONS, opts.operations, 'operation');
  const definitions = pick(TARGETS, opts.targets, 'target');
  const settings: LoadSettings = { duration: opts.duration, connections: opts.connections, rate: opts.rate };
  const startedAt = new Date();

  const mysqlUrl = process.env.ONESOURCE_MYSQL_URL || 'mysql://root@127.0.0.1:3306';
  const env = await benchEnvironment(mysqlUrl);
  if (opts.cpuProf) env[CPU_PROFILE_DIR] = path.resolve(opts.cpuProf);
  const config = readConfig(env);
  const logger = createLogger('bench', 'warn');
  const plan = scaledPlan(opts.scale);
  const loadAverage = os.loadavg();

  const seed = await ensureSeeded(config, plan, Boolean(opts.reseed));
  console.log(seed === 'reused' ? `Reusing the bench databases seeded with ${plan.persons.toLocaleString('en')} persons.` : 'Seeded.');
  // Every run starts with an empty audit trail: a trail grown by earlier runs (100 subject rows per
  // verification batch) outgrows MySQL's buffer pool and slows the audited targets, so runs would
  // not compare. The gateway makes its store again, with the seeded consumers, when it starts.
  await dropStore(config, 'gateway');

  const persons = await openStore(config, 'persons');
  let variables: Awaited<ReturnType<typeof drawVariables>>;
  let databaseVersion: string;
  try {
    variables = await drawVariables(plan, persons);
    // The buffer pool says whether a million persons are read from memory or from disk: MariaDB's
    // default of 128 MiB holds about half the persons table, so lookups at that scale wait on the disk.
    const [rows] = (await persons.raw('SELECT VERSION() AS version, @@innodb_buffer_pool_size AS pool')) as [{ version: string; pool: number | string }[]];
    const poolMiB = Math.round(Number(rows[0].pool) / 2 ** 20);
    databaseVersion = `${rows[0].version}, InnoDB buffer pool ${poolMiB} MiB`;
    console.log(`MySQL-compatible server ${databaseVersion}`);
    // About 1 GiB holds a million persons with their indexes; a server restarted since (the test
    // suite restarts MariaDB) is back at its default, and its runs do not compare with the others.
    if (plan.persons >= 500_000 && poolMiB < 1024) {
      console.warn(`! The buffer pool (${poolMiB} MiB) holds only part of ${plan.persons.toLocaleString('en-US')} persons: lookups will wait on the disk. For runs that compare: SET GLOBAL innodb_buffer_pool_size = 1073741824`);
    }
  } finally {
    await persons.destroy();
  }
  const bodies = new Map<Operation, string[]>(operations.map((op) => [op, requestBodies(op, variables[op.id])]));

  const supergraphFile = writeSupergraph(config);
  const logs = logDirectory(config);
  const children: { stop(): Promise<void> }[] = [];
  const targets: RunningTarget[] = [];
  let stopping = false;
  const stopAll = async () => {
    stopping = true;
    await Promise.all(targets.map((t) => t.stop()));
    await Promise.all(children.map((c) => c.stop()));
  };
  // Ctrl-C, or a `timeout` / cancelled job's SIGTERM: the stack is stopped either way.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      console.log('\nStopping…');
      stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    });
  }

  try {
    console.log(`Starting the five subgraphs and ${definitions.map((d) => d.title).join(', ')} (logs in ${path.relative(ROOT, logs)}/)…`);
    // OneSource's gateway first: it writes the key departments verify its internal tokens with.
    // No gateway calls a subgraph before the first query, so the order costs nothing.
    const notStarted = new Map<TargetId, string>();
    const start = async (definition: TargetDefinition) => {
      try {
        targets.push(await startTarget(definition, env, supergraphFile, logger, logs));
      } catch (e) {
        // One target that does not start (its code changing under us) leaves the others measurable.
        notStarted.set(definition.id, (e as Error).message);
        console.warn(`! ${(e as Error).message}`);
      }
    };
    for (const definition of definitions.filter((d) => d.id === 'onesource')) await start(definition);
    const departments = await startSubgraphs(env, logger, logs);
    children.push(...departments);
    for (const definition of definitions.filter((d) => d.id !== 'onesource')) await start(definition);
    if (!targets.length) throw new Error('no target started');
    // Answers are checked against the first target that answers well, in the order of TARGETS.
    targets.sort((a, b) => definitions.indexOf(a.definition) - definitions.indexOf(b.definition));

    let consumer = await consumerHeaders(env, opts.purpose);
    console.log(`Requests carry ${consumer.note}.`);

    const agreements = new Map<string, Agreement>();
    const key = (op: Operation, target: TargetId) => `${op.id}/${target}`;
    for (const op of operations) {
      const checked = await checkAnswers(targets, bodies.get(op)!, consumer.headers);
      for (const [t, a] of checked) {
        agreements.set(key(op, t.definition.id), a);
        if (!a.ok) console.warn(`! ${op.title} · ${t.definition.title}: ${a.note}`);
      }
      for (const [id, why] of notStarted) {
        const said = why.split('\n').map((l) => l.trim()).filter(Boolean).join(' / ').slice(0, 400);
        agreements.set(key(op, id), { ok: false, label: 'NOT STARTED', measurable: false, note: said });
      }
    }

    const pairs = [...agreements.values()].filter((a) => a.measurable).length;
    const totalSeconds = pairs * (opts.warmup + opts.rounds * opts.duration);
    const bar = new SingleBar(
      { format: ' {bar} {percentage}% | ETA {eta_formatted} | {phase}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 15_000, etaBuffer: 30 },
      Presets.shades_classic,
    );
    bar.start(totalSeconds, 0, { phase: 'warming up' });
    let done = 0;
    // What every target shares: the departments and the servers (whose CPU counts in "stack CPU").
    const departmentPids = () => departments.map((d) => d.current().pid ?? 0).filter(Boolean);
    const servers = processesNamed(['mariadbd', 'mysqld', 'redis-server']);
    const database = processesNamed(['mariadbd', 'mysqld']);
    const redis = processesNamed(['redis-server']);
    // Each part's processes, for where the stack's CPU went (printed, and kept in the raw figures).
    const parts = (target: RunningTarget): [string, number[]][] => [
      ['target', [target.pid]],
      ...departments.map((d, i): [string, number[]] => [DEPARTMENTS[i].name, [d.current().pid ?? 0].filter(Boolean)]),
      ['mariadb', database],
      ['redis', redis],
    ];
    const cpuByPart = (target: RunningTarget) => Object.fromEntries(parts(target).map(([name, pids]) => [name, cpuSecondsOf(pids)]));
    const run = async (target: RunningTarget, rotation: BodyRotation, seconds: number, phase: string): Promise<Burst> => {
      const stack = () => [target.pid, ...departmentPids(), ...servers];
      const stackBefore = cpuSecondsOf(stack());
      const partsBefore = cpuByPart(target);
      const b: Burst = target.alive()
        ? await burst(target, rotation, consumer.headers, { ...settings, duration: seconds }, (answers) =>
            bar.increment(1, { phase: `${phase} · ${answers} req/s` }),
          )
        : { ok: 0, failed: 0, seconds, latencies: [], peakBytes: 0, cpuSeconds: 0, firstFailure: `${target.definition.title} had exited (see its log)` };
      done += seconds;
      bar.update(done, { phase });
      // The next burst starts on a quiet stack, whatever backlog this one left.
      const quiet = await settle([target.pid, ...departmentPids()]);
      if (!quiet.idle) console.warn(`\n! ${target.definition.title} and the departments were still busy ${Math.round(quiet.waitedMs / 1000)} s after ${phase}`);
      const partsAfter = cpuByPart(target);
      const stackCpuSecondsByPart = Object.fromEntries(Object.entries(partsAfter).map(([name, after]) => [name, after - partsBefore[name]]));
      return { ...b, stackCpuSeconds: cpuSecondsOf(stack()) - stackBefore, stackCpuSecondsByPart };
    };

    if (opts.warmup > 0) {
      for (const op of operations) {
        const list = bodies.get(op)!;
        for (const t of targets) {
          if (!agreements.get(key(op, t.definition.id))!.measurable) continue;
          await run(t, new BodyRotation(list.slice(Math.floor(list.length / 2))), opts.warmup, `warm-up · ${op.title} · ${t.definition.title}`);
        }
      }
    }

    const measurements = new Map<string, Measurement>();
    const rotations = new Map<string, BodyRotation>();
    for (const op of operations) {
      for (const d of definitions) measurements.set(key(op, d.id), { target: d, operation: op, agreement: agreements.get(key(op, d.id))!, bursts: [] });
      for (const t of targets) rotations.set(key(op, t.definition.id), new BodyRotation(bodies.get(op)!));
    }
    for (let r = 0; r < opts.rounds; r++) {
      // A token may be short-lived: a fresh one for every round.
      if (r > 0) consumer = await consumerHeaders(env, opts.purpose);
      for (const op of operations) {
        for (const t of roundOrder(targets, r)) {
          if (!agreements.get(key(op, t.definition.id))!.measurable) continue;
          const phase = `round ${r + 1}/${opts.rounds} · ${op.title} · ${t.definition.title}`;
          measurements.get(key(op, t.definition.id))!.bursts.push(await run(t, rotations.get(key(op, t.definition.id))!, opts.duration, phase));
        }
      }
    }
    bar.stop();

    const residentAfter = new Map<TargetId, number>(targets.map((t) => [t.definition.id, t.watch.resident()]));
    const info: RunInfo = {
      date: startedAt.toISOString(),
      machine: {
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        cores: os.cpus().length,
        memoryGiB: os.totalmem() / 1024 ** 3,
        os: `${os.type()} ${os.release()}`,
        loadAverage,
      },
      node: process.version,
      revision: revision(),
      database: `MySQL-compatible server ${databaseVersion}`,
      scale: opts.scale,
      plan,
      seed,
      settings: { rounds: opts.rounds, duration: opts.duration, warmup: opts.warmup, connections: opts.connections, rate: opts.rate },
      authentication: `${consumer.note}; the same headers go to every target`,
      versions: Object.fromEntries(
        ['@apollo/gateway', '@apollo/server', '@graphql-hive/gateway', '@graphql-hive/gateway-runtime', 'autocannon'].map((p) => [p, packageVersion(p)]),
      ),
      minutes: (Date.now() - startedAt.getTime()) / 60_000,
    };
    const report = buildReport(info, operations, definitions, [...measurements.values()], residentAfter);
    console.log(consoleReport(report));
    const raw = writeRawResults(path.join(config.dataDir, 'results'), report);
    if (opts.write && !opts.cpuProf) {
      writeBenchmarks(path.join(ROOT, 'BENCHMARKS.md'), report);
      console.log(`Written to BENCHMARKS.md (raw figures in ${path.relative(ROOT, raw)}).`);
    } else {
      // A profiled stack is a slower one (on this 2-core machine the stack's CPU per answer was two to four
      // times the unprofiled figure): its run is for reading the profiles, never the latest figures.
      const why = opts.cpuProf ? ': the stack was profiled (--cpu-prof), so these figures are not comparable' : ' (--no-write)';
      console.log(`Raw figures in ${path.relative(ROOT, raw)}; BENCHMARKS.md left alone${why}.`);
    }
  } finally {
    await stopAll();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`bench failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
