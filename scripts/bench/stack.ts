import fs from 'node:fs';
import path from 'node:path';
import { MultiBar, Presets } from 'cli-progress';
import { Config, readConfig } from '../../shared/config';
import { makeDataDirectory, openStore } from '../../shared/db';
import { DEPARTMENTS, envName } from '../../shared/departments';
import type { Logger } from '../../shared/logger';
import type { SeedPlan } from '../../shared/subgraph-server';
import { departments } from '../../subgraphs';
import { composeSupergraph, readSubgraphSources } from '../../gateway/supergraph';
import { freePort, supervise, Supervised } from '../processes';
import { barPerDepartment, seedDepartments } from '../seeding';
import { PROJECT_ROOT } from '../../shared/project-root';
import { internalSubgraphHeaders } from './internal-headers';

export const ROOT = PROJECT_ROOT;

/** The bench's own databases (`onesource_bench_persons`, …): never anybody else's data. */
export const BENCH_DATABASE_PREFIX = 'onesource_bench_';

/** Where the bench's children write CPU profiles, when asked (`--cpu-prof DIR`). */
export const CPU_PROFILE_DIR = 'ONESOURCE_BENCH_CPU_PROFILE_DIR';

/**
 * The environment every bench process runs in: MySQL with the bench prefix, files (supergraph,
 * logs, seed marker) under `.data/bench`, free ports for the five subgraphs and the gateway, and
 * quiet logs (warnings and errors only, into the log files).
 */
export async function benchEnvironment(mysqlUrl: string): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ONESOURCE_MYSQL_URL: mysqlUrl,
    ONESOURCE_DB_PREFIX: BENCH_DATABASE_PREFIX,
    ONESOURCE_DATA_DIR: path.join(ROOT, '.data', 'bench'),
    ONESOURCE_LOG_LEVEL: 'warn',
    // Every process of every target runs as in production: graphql-js then leaves out its checks
    // for development (its `instanceOf` looks for a second copy of graphql on every failed type
    // test: 4–5% of the gateway's and the persons department's CPU in a profile of verification
    // batches), and so do the libraries over it. What the bench needs of development, its
    // consumers and their tokens, it asks for by name.
    NODE_ENV: 'production',
    ONESOURCE_DEV_TOKENS: 'on',
    ONESOURCE_SEED_EMPTY_STORES: 'on',
    // Nothing in a closed network may call Apollo's telemetry: the bare Apollo peer included.
    APOLLO_TELEMETRY_DISABLED: '1',
    ONESOURCE_GATEWAY_PORT: String(await freePort()),
    // The bench measures throughput, not the per-consumer limiter: drc-approval may send as fast
    // as it is answered (the limiter's Redis round trip is still made and measured).
    ONESOURCE_RATE_LIMIT_BY_CONSUMER: 'drc-approval=1000000000',
  };
  for (const d of DEPARTMENTS) {
    env[`ONESOURCE_${envName(d.name)}_PORT`] = String(await freePort());
    delete env[`ONESOURCE_${envName(d.name)}_URL`];
  }
  return env;
}

interface SeedMarker {
  plan: SeedPlan;
  database: string;
  seededAt: string;
  seconds: number;
}

function markerFile(config: Config): string {
  return path.join(config.dataDir, 'seed.json');
}

function databaseName(config: Config): string {
  const url = new URL(config.mysqlUrl as string);
  return `${url.hostname}:${url.port || 3306}/${config.databasePrefix}*`;
}

/**
 * True when the bench databases already hold exactly this plan: the marker written after the last
 * complete seed says so, every department reports data, and the persons table has the planned rows
 * (a marker left behind by dropped databases is not trusted).
 */
async function holdsPlan(config: Config, plan: SeedPlan): Promise<boolean> {
  let marker: SeedMarker;
  try {
    marker = JSON.parse(fs.readFileSync(markerFile(config), 'utf8')) as SeedMarker;
  } catch {
    return false;
  }
  if (JSON.stringify(marker.plan) !== JSON.stringify(plan) || marker.database !== databaseName(config)) return false;
  for (const { name } of DEPARTMENTS) {
    const db = await openStore(config, name);
    try {
      if (!(await departments[name].isSeeded(db))) return false;
      if (name === 'persons') {
        const [{ n }] = await db('natural_persons').count({ n: '*' });
        if (Number(n) !== plan.persons) return false;
      }
    } catch {
      return false;
    } finally {
      await db.destroy();
    }
  }
  return true;
}

/** Seeds the bench databases for `plan` unless they already hold it. */
export async function ensureSeeded(config: Config, plan: SeedPlan, reseed: boolean): Promise<'reused' | 'seeded'> {
  if (!reseed && (await holdsPlan(config, plan))) return 'reused';
  makeDataDirectory(config.dataDir);
  fs.rmSync(markerFile(config), { force: true });
  console.log(
    `Seeding the bench databases ${databaseName(config)}: ${plan.persons} persons, ${plan.legalPersons} legal persons, ` +
      `${plan.parcels} parcels, ${plan.projects} projects (kept for later runs at this scale)`,
  );
  const bars = new MultiBar(
    { format: ' seed {department} |{bar}| {percentage}% {value}/{total} {duration_formatted}', hideCursor: true, noTTYOutput: true, notTTYSchedule: 10_000 },
    Presets.shades_classic,
  );
  const started = Date.now();
  try {
    await seedDepartments(config, plan, DEPARTMENTS.map((d) => d.name), {
      reset: true,
      progress: barPerDepartment(bars),
    });
  } finally {
    bars.stop();
  }
  const marker: SeedMarker = { plan, database: databaseName(config), seededAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
  fs.writeFileSync(markerFile(config), `${JSON.stringify(marker, null, 2)}\n`);
  return 'seeded';
}

/** Writes the supergraph every gateway of the bench runs on, composed from the departments' SDL. */
export function writeSupergraph(config: Config): string {
  const file = path.join(config.dataDir, 'supergraph.graphql');
  makeDataDirectory(config.dataDir);
  fs.writeFileSync(file, composeSupergraph(readSubgraphSources(config)));
  return file;
}

export function logDirectory(config: Config): string {
  const dir = path.join(config.dataDir, 'logs');
  makeDataDirectory(dir);
  return dir;
}

/** Runs one of our entry points as a child whose output goes to `<logs>/<name>.log`. */
export function spawnLogged(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv, logger: Logger, logs: string): Supervised {
  // `npm run bench -- --cpu-prof DIR`: every process of the stack writes a V8 CPU profile there on exit.
  const profileDir = env[CPU_PROFILE_DIR];
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const running = supervise(name, entry, args, env, logger, { restart: false, stdio: 'pipe', nodeArgs });
  const log = fs.createWriteStream(path.join(logs, `${name}.log`), { flags: 'w' });
  running.current().stdout?.pipe(log, { end: false });
  running.current().stderr?.pipe(log, { end: false });
  return running;
}

/** The last lines a child wrote, to say why it did not come up. */
export function logTail(logs: string, name: string, lines = 15): string {
  try {
    return fs.readFileSync(path.join(logs, `${name}.log`), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

class Refused extends Error {}

/**
 * Polls until `url` answers 2xx (a GET, or a `{ __typename }` query for /graphql). Unlike
 * waitUntilAnswering it gives up at once, with the end of the log, when the process has exited or
 * when it answers 401/403 (up, but refusing the bench's credentials): no two minutes of waiting.
 */
export async function waitUntilUp(
  name: string,
  url: string,
  child: Supervised,
  logs: string,
  headers: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const { exitCode, signalCode } = child.current();
    if (exitCode !== null || signalCode !== null) {
      throw new Error(`${name} exited (${exitCode ?? signalCode}) before answering:\n${logTail(logs, name)}`);
    }
    try {
      const res = url.endsWith('/graphql')
        ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ __typename }' }) })
        : await fetch(url, { headers });
      if (res.ok) return;
      if (res.status === 401 || res.status === 403) throw new Refused(`${name} refuses the bench (HTTP ${res.status}): ${(await res.text()).slice(0, 300)}`);
      last = `HTTP ${res.status}`;
    } catch (e) {
      if (e instanceof Refused) throw e;
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not answer ${url} within ${timeoutMs / 1000} s (${last}):\n${logTail(logs, name)}`);
}

/**
 * The five departments' subgraphs, each its own process, as `npm start` runs them. A subgraph that
 * is up but refuses the bench's internal headers is reported and kept: the gateways that cannot
 * call it then fail their answer check and are not measured, the others still are.
 */
export async function startSubgraphs(env: NodeJS.ProcessEnv, logger: Logger, logs: string): Promise<Supervised[]> {
  const config = readConfig(env);
  const running = DEPARTMENTS.map(({ name }) => spawnLogged(name, 'scripts/subgraph.ts', [name], env, logger, logs));
  const refusing: string[] = [];
  try {
    await Promise.all(
      DEPARTMENTS.map(async ({ name }, i) => {
        try {
          await waitUntilUp(name, config.subgraphs[name].url, running[i], logs, await internalSubgraphHeaders(name, env));
        } catch (e) {
          if (!(e instanceof Refused)) throw new Error(`the ${name} subgraph did not come up: ${(e as Error).message}`);
          refusing.push(name);
        }
      }),
    );
  } catch (e) {
    await Promise.all(running.map((r) => r.stop()));
    throw e;
  }
  if (refusing.length) {
    console.warn(
      `! The ${refusing.join(', ')} subgraph${refusing.length > 1 ? 's refuse' : ' refuses'} calls without an internal token: ` +
        'Hive and bare Apollo cannot be measured until internalSubgraphHeaders() in scripts/bench/internal-headers.ts gives one.',
    );
  }
  return running;
}
