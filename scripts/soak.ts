import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, DepartmentName, envName, isDepartmentName } from '../shared/departments';
import { ensureKeyPair } from '../shared/keys';
import { createLogger } from '../shared/logger';
import { scaledPlan } from '../shared/seed/population';
import { issueDevToken } from '../gateway/auth/dev-tokens';
import { freePort, supervise, Supervised, waitUntilAnswering } from './processes';
import { seedDepartments } from './seeding';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run soak`: mixed load on the real stack (five subgraph processes and the gateway, SQLite
 * in a temporary directory) for a set time, while one department is killed at a third of the
 * time and started again at two thirds. Prints requests, the error rate by code, p99 latency and
 * the gateway's resident memory at start and end. Not part of `npm test`.
 */

const program = new Command()
  .name('soak')
  .option('--duration <seconds>', 'how long the load runs', '60')
  .option('--connections <n>', 'concurrent connections', '8')
  .option('--department <name>', 'the department killed and restored', 'credit')
  .option('--scale <persons>', 'persons in the seeded province (others in proportion)', '2000')
  .exitOverride(exitOnWrongUsage)
  .parse();

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

async function main() {
  const options = program.opts<{ duration: string; connections: string; department: string; scale: string }>();
  const duration = Number(options.duration);
  const connections = Number(options.connections);
  const victim = options.department;
  if (!isDepartmentName(victim)) throw new Error(`--department must be one of ${DEPARTMENTS.map((d) => d.name).join(', ')}`);
  if (!(duration >= 9)) throw new Error('--duration must be at least 9 seconds');

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-soak-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ONESOURCE_DATA_DIR: dataDir,
    ONESOURCE_LOG_LEVEL: 'error',
    ONESOURCE_GATEWAY_PORT: String(await freePort()),
    // The soak measures behaviour under faults, not the per-consumer quota: lifted unless set.
    ONESOURCE_RATE_LIMIT: process.env.ONESOURCE_RATE_LIMIT ?? '100000000',
    // A quick half-open, so the restored department is used again within the run.
    [`ONESOURCE_${envName(victim)}_HALF_OPEN_MS`]: process.env[`ONESOURCE_${envName(victim)}_HALF_OPEN_MS`] ?? '1000',
  };
  delete env.ONESOURCE_MYSQL_URL;
  for (const d of DEPARTMENTS) {
    env[`ONESOURCE_${envName(d.name)}_PORT`] = String(await freePort());
    delete env[`ONESOURCE_${envName(d.name)}_URL`];
  }
  const config = readConfig(env);
  const logger = createLogger('soak', 'warn');
  const children = new Map<DepartmentName | 'gateway', Supervised>();
  const stopAll = () => Promise.all([...children.values()].map((c) => c.stop()));

  try {
    console.log(`seeding ${options.scale} persons into ${dataDir} ...`);
    await seedDepartments(config, scaledPlan(Number(options.scale)), DEPARTMENTS.map((d) => d.name), { reset: true });
    await ensureKeyPair(config.dataDir, 'gateway-signing');
    const startDepartment = (name: DepartmentName) => children.set(name, supervise(name, 'scripts/subgraph.ts', [name], env, logger, { restart: false, stdio: 'ignore' }));
    for (const { name } of DEPARTMENTS) startDepartment(name);
    await Promise.all(DEPARTMENTS.map(({ name }) => waitUntilAnswering(config.subgraphs[name].url)));
    children.set('gateway', supervise('gateway', 'scripts/gateway.ts', [], env, logger, { restart: false, stdio: 'inherit' }));
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

main().then(
  () => process.exit(0),
  (e) => {
    console.error(`soak failed: ${e.message}`);
    process.exit(1);
  },
);
