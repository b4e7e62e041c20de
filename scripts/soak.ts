import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command, InvalidArgumentError } from 'commander';
import { Config, readConfig } from '../shared/config';
import { storeLocation } from '../shared/db';
import { DEPARTMENTS, DepartmentName, envName, isDepartmentName } from '../shared/departments';
import { ensureKeyPair } from '../shared/keys';
import { createLogger, Logger } from '../shared/logger';
import { scaledPlan } from '../shared/seed/population';
import { issueDevToken } from '../gateway/auth/dev-tokens';
import { wholeNumber } from './cli-options';
import { freePort, supervise, Supervised, waitUntilAnswering } from './processes';
import { seedDepartments } from './seeding';
import { exitOnWrongUsage, exitWhenWritten } from './exit';
import { stopOnSignals } from './signals';

/**
 * `npm run soak`: mixed load on the real stack (five subgraph processes and the gateway, SQLite
 * in a temporary directory) for a set time, while one department is killed at a third of the
 * time and started again at two thirds. Prints requests, the error rate by code, p99 latency and
 * the gateway's resident memory at start and end. Not part of `npm test`.
 */

const DEPARTMENT_NAMES = DEPARTMENTS.map((d) => d.name);

/** `--department`: one of the five, by its folder name. */
function departmentName(value: string): DepartmentName {
  if (!isDepartmentName(value)) throw new InvalidArgumentError(`one of ${DEPARTMENT_NAMES.join(', ')}`);
  return value;
}

interface SoakOptions {
  duration: number;
  connections: number;
  department: DepartmentName;
  scale: number;
}

function soakOptions(): SoakOptions {
  return new Command('soak')
    .description('Mixed load on the whole stack (five subgraphs and the gateway, on SQLite in a temporary directory, removed afterwards) while one department is killed at a third of the time and started again at two thirds.')
    .addHelpText('after', '\nIts stores are never those of ONESOURCE_DATA_DIR or MySQL: every ONESOURCE_*MYSQL_URL and ONESOURCE_DB_PREFIX is ignored.\nExit code: 0 done, 1 failed, 2 wrong usage, 130/143 stopped by Ctrl-C/SIGTERM (the temporary directory removed).')
    // At least 9 s: the department is killed at a third and its restart waited for at two thirds.
    .option('--duration <seconds>', 'how long the load runs, 9 to 86,400 s', wholeNumber({ min: 9, max: 86_400, of: 'seconds' }), 60)
    .option('--connections <n>', 'concurrent connections, 1 to 1,000', wholeNumber({ min: 1, max: 1_000, of: 'connections' }), 8)
    .option('--department <name>', `the department killed and restored: ${DEPARTMENT_NAMES.join(', ')}`, departmentName, 'credit' as DepartmentName)
    // scaledPlan's limit: one person per county and birth date.
    .option('--scale <persons>', 'persons in the seeded province, 1 to 2,000,000 (others in proportion)', wholeNumber({ min: 1, max: 2_000_000, of: 'persons' }), 2000)
    .showHelpAfterError()
    .exitOverride(exitOnWrongUsage)
    .parse()
    .opts<SoakOptions>();
}

/** Every store the soak's stack opens: the five departments' and the gateway's. */
const SOAK_STORES: readonly string[] = [...DEPARTMENT_NAMES, 'gateway'];

/**
 * The environment of the soak and of the stack it starts: the caller's, with every store on SQLite
 * in `dataDir`, Redis keys of its own, fresh ports, and the departments called where the soak starts them. The seeding
 * resets each store (drops it), so every setting that would place one elsewhere is removed: each
 * ONESOURCE_*MYSQL_URL (the common one, a department's or the gateway's own server) and
 * ONESOURCE_DB_PREFIX; and each department's call URL (ONESOURCE_<NAME>_URL).
 */
export async function soakEnvironment(base: NodeJS.ProcessEnv, dataDir: string, victim: DepartmentName): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(base).filter(([name]) => !/^ONESOURCE_.*MYSQL_URL$/.test(name) && name !== 'ONESOURCE_DB_PREFIX'));
  Object.assign(env, {
    ONESOURCE_DATA_DIR: dataDir,
    // Its own keys in the shared Redis: its thousands of requests a second as drc-approval would
    // otherwise count against the limit every gateway on that Redis holds drc-approval to.
    ONESOURCE_REDIS_PREFIX: `onesource-soak-${path.basename(dataDir)}:`,
    ONESOURCE_LOG_LEVEL: 'error',
    ONESOURCE_GATEWAY_PORT: String(await freePort()),
    // The soak measures behaviour under faults, not the per-consumer quota: lifted unless set.
    ONESOURCE_RATE_LIMIT: base.ONESOURCE_RATE_LIMIT ?? '100000000',
    // A quick half-open, so the restored department is used again within the run.
    [`ONESOURCE_${envName(victim)}_HALF_OPEN_MS`]: base[`ONESOURCE_${envName(victim)}_HALF_OPEN_MS`] ?? '1000',
  });
  for (const d of DEPARTMENTS) {
    env[`ONESOURCE_${envName(d.name)}_PORT`] = String(await freePort());
    delete env[`ONESOURCE_${envName(d.name)}_URL`];
  }
  return env;
}

/**
 * Refuses, naming the store, unless every store the soak would open (and its seeding drop) is a
 * SQLite file inside `dataDir`, its own temporary directory: whatever setting a later version reads,
 * the soak never resets a department's real store.
 */
export function checkSoakStores(config: Config, dataDir: string): void {
  for (const store of SOAK_STORES) {
    const { client, where } = storeLocation(config, store);
    if (client !== 'better-sqlite3') {
      throw new Error(`the soak would reset the ${store} store on MySQL (database ${where}), not SQLite in its temporary directory ${dataDir}: refused, nothing was changed`);
    }
    const inside = path.relative(path.resolve(dataDir), path.resolve(where));
    if (!inside || inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new Error(`the soak would reset the ${store} store at ${where}, outside its temporary directory ${dataDir}: refused, nothing was changed`);
    }
  }
}

const REVIEW = `query Review($code: ID!) { investmentProject(projectCode: $code) { projectCode name status
  division { name } parcels { parcelCode landUse } approvals { department status }
  applicant { uscc name credit { onBlacklist rating } legalRepresentative { idNumber name credit { onBlacklist } } } } }`;
const PERSON = `query Person($id: ID!) { naturalPerson(idNumber: $id) { idNumber name gender status householdDivision { name } credit { onBlacklist } } }`;
const PAGE = `query Page { investmentProjects(first: 20) { edges { node { projectCode applicant { name credit { rating } } } } } }`;
const VERIFY = `query Verify($id: ID!, $name: String!) { verifyNaturalPerson(idNumber: $id, name: $name) }`;

/** Resident memory of a process, from /proc (Linux), in MiB. */
function residentMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
    return line ? Math.round(Number(line.split(/\s+/)[1]) / 102.4) / 10 : undefined;
  } catch {
    return undefined;
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Set once Ctrl-C or SIGTERM has asked the soak to stop: no process is started after it, and no figures are printed. */
let stopping = false;

/**
 * Ctrl-C or SIGTERM: the stack is stopped, the temporary directory removed (tens of MB of synthetic
 * personal data, and the stack's keys), and the soak exits 128 + the signal's number (130, 143),
 * without figures. scripts/signals.ts decides when: a Ctrl-C relayed by npm and tsx is the same
 * one, Ctrl-C pressed again exits at once, a stop still running after its deadline is cut short;
 * on those paths the directory goes with the process (the 'exit' handler in main).
 */
function stopWhenSignalled(dataDir: string, stopAll: () => Promise<unknown>, logger: Logger): void {
  let signal: NodeJS.Signals | undefined;
  for (const s of ['SIGINT', 'SIGTERM'] as const) process.once(s, () => (signal ??= s));
  stopOnSignals(async () => {
    stopping = true;
    console.error(`soak: ${signal ?? 'asked to stop'}: stopping the stack and removing ${dataDir}`);
    await stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
    console.error(`soak stopped before the end: no figures; ${dataDir} removed`);
    exitWhenWritten(signal ? 128 + os.constants.signals[signal] : 1);
    // Never returns: stopOnSignals would exit 0, as for a server asked to stop.
    return new Promise<never>(() => {});
  }, logger);
}

async function main({ duration, connections, department: victim, scale }: SoakOptions) {
  const logger = createLogger('soak', 'warn');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-soak-'));
  // However the process ends (an error, Ctrl-C pressed twice, a stop cut short), the directory goes too.
  process.on('exit', () => fs.rmSync(dataDir, { recursive: true, force: true }));
  const children = new Map<DepartmentName | 'gateway', Supervised>();
  const stopAll = () => Promise.all([...children.values()].map((c) => c.stop()));
  stopWhenSignalled(dataDir, stopAll, logger);

  try {
    const env = await soakEnvironment(process.env, dataDir, victim);
    const config = readConfig(env);
    checkSoakStores(config, dataDir);
    console.log(`seeding ${scale} persons into ${dataDir} ...`);
    await seedDepartments(config, scaledPlan(scale), DEPARTMENT_NAMES, { reset: true });
    await ensureKeyPair(config.dataDir, 'gateway-signing');
    // Once stopping, nothing new: a process started then would make the directory again to open its store.
    const start = (name: DepartmentName | 'gateway', entry: string, args: string[], stdio: 'ignore' | 'inherit') => {
      if (!stopping) children.set(name, supervise(name, entry, args, env, logger, { restart: false, stdio }));
    };
    const startDepartment = (name: DepartmentName) => start(name, 'scripts/subgraph.ts', [name], 'ignore');
    for (const { name } of DEPARTMENTS) startDepartment(name);
    await Promise.all(DEPARTMENTS.map(({ name }) => waitUntilAnswering(config.subgraphs[name].url)));
    start('gateway', 'scripts/gateway.ts', [], 'inherit');
    await waitUntilAnswering(`http://127.0.0.1:${config.gatewayPort}/health`);
    const url = `http://127.0.0.1:${config.gatewayPort}/graphql`;
    const headers = {
      'content-type': 'application/json',
      authorization: `Bearer ${await issueDevToken(config, { consumer: 'drc-approval' }, '4h')}`,
      'x-purpose': encodeURIComponent('soak: 并联审批'),
    };

    // Keys to rotate through, read through the gateway like any consumer would.
    const keys = await (await fetch(url, {
      method: 'POST', headers,
      body: JSON.stringify({ query: `{ investmentProjects(first: 100) { edges { node { projectCode applicant { legalRepresentative { idNumber name } } } } } }` }),
    })).json() as any;
    const nodes = keys.data.investmentProjects.edges.map((e: any) => e.node);
    const bodies: string[] = [];
    nodes.forEach((n: any, i: number) => {
      const person = n.applicant.legalRepresentative;
      bodies.push(JSON.stringify({ query: REVIEW, variables: { code: n.projectCode } }));
      bodies.push(JSON.stringify({ query: PERSON, variables: { id: person.idNumber } }));
      bodies.push(JSON.stringify({ query: VERIFY, variables: { id: person.idNumber, name: i % 10 ? person.name : '某某' } }));
      if (i % 5 === 0) bodies.push(JSON.stringify({ query: PAGE }));
    });

    // Warm up, so the memory at start is the gateway's working size, not its cold size.
    for (const body of bodies.slice(0, 40)) await fetch(url, { method: 'POST', headers, body });
    const gatewayPid = children.get('gateway')!.current().pid;
    const rssStart = residentMiB(gatewayPid);

    const byCode = new Map<string, number>();
    let answers = 0;
    let withErrors = 0;
    let next = 0;
    const count = (code: string) => byCode.set(code, (byCode.get(code) ?? 0) + 1);
    const instance = autocannon({
      url, method: 'POST', connections, duration, headers,
      requests: [{
        method: 'POST',
        setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
        onResponse: (status, body) => {
          answers++;
          if (status !== 200) count(`HTTP ${status}`);
          let parsed: { errors?: { extensions?: { code?: string; department?: string } }[] };
          try {
            parsed = JSON.parse(body);
          } catch {
            count('NOT_JSON');
            withErrors++;
            return;
          }
          if (!parsed.errors?.length) return;
          withErrors++;
          // One count per answer and code: an answer with 3 null credit paths is one failure.
          const codes = new Set(parsed.errors.map((e) => (e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' ? `SUBGRAPH_UNAVAILABLE (${e.extensions.department})` : e.extensions?.code ?? 'NO_CODE')));
          codes.forEach(count);
        },
      }],
    });

    // Kill a third of the way in; start again at two thirds; the load never pauses.
    const timeline: string[] = [];
    const t0 = Date.now();
    const at = (_: number) => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
    const chaos = (async () => {
      await pause((duration * 1000) / 3);
      children.get(victim)!.current().kill('SIGKILL');
      timeline.push(`${at(0)}: killed ${victim} (SIGKILL)`);
      await pause((duration * 1000) / 3);
      await children.get(victim)!.stop();
      startDepartment(victim);
      await waitUntilAnswering(`http://127.0.0.1:${config.subgraphs[victim].port}/graphql`);
      timeline.push(`${at(0)}: ${victim} answering again`);
    })();
    const result = await instance;
    await chaos;
    const rssEnd = residentMiB(gatewayPid);
    if (stopping) return;

    const rate = (n: number) => `${((100 * n) / Math.max(1, answers)).toFixed(2)} %`;
    const lines = [
      '',
      `Soak: ${result.duration.toFixed(0)} s, ${connections} connections, mixed review / person / verification / page; ${victim} killed and restored`,
      ...timeline.map((t) => `  ${t}`),
      `  requests answered:   ${answers} (${(answers / result.duration).toFixed(1)}/s); connection errors ${result.errors}, timeouts ${result.timeouts}`,
      `  answers with errors: ${withErrors} (${rate(withErrors)})`,
      ...[...byCode.entries()].sort((a, b) => b[1] - a[1]).map(([code, n]) => `    ${code}: ${n} (${rate(n)})`),
      `  latency: p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, max ${result.latency.max} ms`,
      `  gateway RSS: ${rssStart ?? '?'} MiB at start, ${rssEnd ?? '?'} MiB at end`,
    ];
    console.log(lines.join('\n'));
  } finally {
    await stopAll();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main(soakOptions()).then(
    // Once stopping, the signal's stop ends the process (stopWhenSignalled), with its own exit code.
    () => !stopping && process.exit(0),
    (e) => {
      if (stopping) return;
      console.error(`soak failed: ${e.message}`);
      process.exit(1);
    },
  );
}
