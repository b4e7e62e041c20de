import fs from 'node:fs';
import path from 'node:path';
import { makeDataDirectory } from '../../shared/db';
import type { Agreement, Burst } from './load';
import type { Operation, OperationId } from './operations';
import type { TargetDefinition, TargetId } from './targets';

/** Everything about a run that is not a measurement: where, when, how. */
export interface RunInfo {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; os: string; loadAverage: number[] };
  node: string;
  /** The commit of the code measured. */
  revision: string;
  database: string;
  scale: number;
  plan: { persons: number; legalPersons: number; parcels: number; projects: number; seed: number };
  seed: 'reused' | 'seeded';
  settings: { rounds: number; duration: number; warmup: number; connections: number; rate?: number };
  authentication: string;
  versions: Record<string, string>;
  minutes: number;
}

export interface Measurement {
  target: TargetDefinition;
  operation: Operation;
  agreement: Agreement;
  bursts: Burst[];
}

export interface Figures {
  rps: number;
  p50: number;
  p99: number;
  /**
   * Each burst's own p99, in the order run: how far the tail moved from one burst to the next on
   * the same code, which a single pooled p99 hides (on a shared machine, by half its value).
   */
  p99ByBurst: number[];
  peakMiB: number;
  /** CPU ms of the target's own processes per good answer. */
  cpuMsPerAnswer: number;
  /** CPU ms of the whole stack (target, departments, database, Redis) per good answer. */
  stackCpuMsPerAnswer: number;
  /** The same by part of the stack: `target`, each department, `mariadb`, `redis`. */
  stackCpuMsByPart: Record<string, number>;
  answers: number;
  failed: number;
  firstFailure?: string;
}

const MiB = 1024 * 1024;

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Rounds pooled: throughput is the good answers of all bursts over their summed time; p50 and p99
 * are taken over every response time of every burst; memory is the highest burst peak.
 */
export function figuresOf(bursts: Burst[]): Figures {
  const latencies = bursts.flatMap((b) => b.latencies).sort((a, b) => a - b);
  const seconds = bursts.reduce((s, b) => s + b.seconds, 0);
  const ok = bursts.reduce((s, b) => s + b.ok, 0);
  return {
    rps: seconds ? ok / seconds : 0,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    p99ByBurst: bursts.map((b) => percentile([...b.latencies].sort((x, y) => x - y), 0.99)),
    peakMiB: Math.max(0, ...bursts.map((b) => b.peakBytes)) / MiB,
    cpuMsPerAnswer: ok ? (bursts.reduce((s, b) => s + b.cpuSeconds, 0) * 1000) / ok : NaN,
    stackCpuMsPerAnswer: ok && bursts.every((b) => b.stackCpuSeconds !== undefined) ? (bursts.reduce((s, b) => s + b.stackCpuSeconds!, 0) * 1000) / ok : NaN,
    stackCpuMsByPart: ok ? msPerAnswerByPart(bursts, ok) : {},
    answers: ok + bursts.reduce((s, b) => s + b.failed, 0),
    failed: bursts.reduce((s, b) => s + b.failed, 0),
    firstFailure: bursts.find((b) => b.firstFailure)?.firstFailure,
  };
}

function msPerAnswerByPart(bursts: Burst[], ok: number): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const b of bursts) for (const [part, seconds] of Object.entries(b.stackCpuSecondsByPart ?? {})) sums[part] = (sums[part] ?? 0) + seconds;
  return Object.fromEntries(Object.entries(sums).map(([part, seconds]) => [part, (seconds * 1000) / ok]));
}

export interface Report {
  info: RunInfo;
  operations: readonly Operation[];
  targets: readonly TargetDefinition[];
  figures: Map<OperationId, Map<TargetId, Figures & { agreement: Agreement }>>;
  /** Resident memory of each target once all the load is over. */
  residentAfter: Map<TargetId, number>;
}

export function buildReport(info: RunInfo, operations: readonly Operation[], targets: readonly TargetDefinition[], measurements: Measurement[], residentAfter: Map<TargetId, number>): Report {
  const figures: Report['figures'] = new Map();
  for (const m of measurements) {
    if (!figures.has(m.operation.id)) figures.set(m.operation.id, new Map());
    figures.get(m.operation.id)!.set(m.target.id, { ...figuresOf(m.bursts), agreement: m.agreement });
  }
  return { info, operations, targets, figures, residentAfter };
}

// -- formatting ---------------------------------------------------------------------------------

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '—');
/** A target's figure cut, not rounded, so that a miss never prints as the threshold itself (39.96% as 40%). */
const down = (n: number, digits: number) => (Math.floor(n * 10 ** digits) / 10 ** digits).toFixed(digits);
const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${(a / b).toFixed(2)}×` : '—');

interface Table {
  head: string[];
  rows: string[][];
  /** Columns aligned right (numbers). */
  right: number[];
}

const RESULT_COLUMNS = ['operation', 'target', 'req/s', 'p50 ms', 'p99 ms', 'peak RSS MiB', 'CPU ms/answer', 'stack CPU ms/answer', 'failed', 'answers'];

/** Each operation's figures for each target that has them, in the report's order (operations, then targets). */
function figuresInOrder(report: Report): { op: Operation; target: TargetDefinition; f: Figures & { agreement: Agreement } }[] {
  return report.operations.flatMap((op) =>
    report.targets.flatMap((target) => {
      const f = report.figures.get(op.id)?.get(target.id);
      return f ? [{ op, target, f }] : [];
    }),
  );
}

function resultsTable(report: Report): Table {
  const rows = figuresInOrder(report).map(({ op, target, f }) =>
    !f.agreement.measurable
      ? [op.title, target.title, ...RESULT_COLUMNS.slice(2, -1).map(() => '—'), f.agreement.label]
      : [
          op.title,
          target.title,
          fixed(f.rps, 1),
          fixed(f.p50, 1),
          fixed(f.p99, 1),
          fixed(f.peakMiB, 0),
          fixed(f.cpuMsPerAnswer, 2),
          fixed(f.stackCpuMsPerAnswer, 2),
          f.failed ? `${f.failed} of ${f.answers}` : '0',
          f.agreement.label,
        ],
  );
  return { head: RESULT_COLUMNS, rows, right: [2, 3, 4, 5, 6, 7, 8] };
}

/**
 * A target's throughput, where it answered what OneSource answered: a target whose answers differed
 * (or failed) did other work, and a ratio against it would compare nothing.
 */
function comparableRps(report: Report, op: OperationId, target: TargetId): number | undefined {
  const f = report.figures.get(op)?.get(target);
  return f?.agreement.ok ? f.rps : undefined;
}

function ratioTable(report: Report): Table {
  const rows = report.operations.map((op) => {
    const one = report.figures.get(op.id)?.get('onesource');
    const rps = (target: TargetId) => comparableRps(report, op.id, target);
    return [
      op.title,
      ratio(rps('onesource'), rps('hive')),
      ratio(rps('onesource'), rps('apollo')),
      ratio(rps('onesource'), rps('direct')),
      ratio(rps('onesource'), rps('onesource-open')),
      one?.agreement.measurable ? ratio(one.p99, one.p50) : '—',
    ];
  });
  return { head: ['operation', 'OneSource/Hive', 'OneSource/bare Apollo', 'OneSource/direct', 'OneSource/trust layer off', 'OneSource p99/p50'], rows, right: [1, 2, 3, 4, 5] };
}

/** Issue 7's (and issue 3's) targets for the five-department review, as far as this run measured them. */
function reviewTargets(report: Report): string[] {
  const f = report.figures.get('review');
  const one = f?.get('onesource');
  if (!one || !one.agreement.measurable) return [];
  const check = (label: string, value: number | undefined, pass: (v: number) => boolean, shown: (v: number) => string) =>
    value === undefined || !Number.isFinite(value) ? `- ${label}: not measured` : `- ${pass(value) ? '✓' : '✗'} ${label}: ${shown(value)}`;
  const hive = comparableRps(report, 'review', 'hive');
  const apollo = comparableRps(report, 'review', 'apollo');
  const direct = comparableRps(report, 'review', 'direct');
  const open = comparableRps(report, 'review', 'onesource-open');
  return [
    check('(issue 3) throughput with identity, policy and audit ≥ 0.9× without', open ? one.rps / open : undefined, (v) => v >= 0.9, (v) => `${down(v, 2)}×`),
    check('throughput ≥ 1.2× Hive Gateway', hive ? one.rps / hive : undefined, (v) => v >= 1.2, (v) => `${down(v, 2)}×`),
    check('throughput ≥ 2× bare Apollo', apollo ? one.rps / apollo : undefined, (v) => v >= 2, (v) => `${down(v, 2)}×`),
    check('p99 < 3× p50', one.p99 / one.p50, (v) => v < 3, (v) => `${down(v, 2)}×`),
    check('throughput ≥ 40% of the direct baseline', direct ? one.rps / direct : undefined, (v) => v >= 0.4, (v) => `${down(v * 100, 1)}%`),
  ];
}

function failures(report: Report): string[] {
  return figuresInOrder(report).flatMap(({ op, target, f }) => [
    ...(f.agreement.ok ? [] : [`- ${op.title} · ${target.title}: ${f.agreement.note}`]),
    ...(f.firstFailure ? [`- ${op.title} · ${target.title}: ${f.failed} failed; first: ${f.firstFailure}`] : []),
  ]);
}

function markdownTable({ head, rows, right }: Table): string {
  const align = head.map((_, i) => (right.includes(i) ? '---:' : '---'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function textTable({ head, rows, right }: Table): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function settingsLine(info: RunInfo): string {
  const s = info.settings;
  return `${s.rounds} round${s.rounds === 1 ? '' : 's'} × ${s.duration} s bursts, ${s.connections} connections${s.rate ? `, ${s.rate} req/s arriving at a constant rate (each timed from when it was due)` : ', as fast as answered'}, ${s.warmup} s warm-up per target and operation`;
}

/** One row per operation and target whose answers were measurable: its titles, then `cells` of its figures. */
function measuredRows(report: Report, cells: (f: Figures) => string[]): string[][] {
  return figuresInOrder(report).flatMap(({ op, target, f }) => (f.agreement.measurable ? [[op.title, target.title, ...cells(f)]] : []));
}

/** Where each target's stack CPU went: the target's own process, each department, the servers. */
function partsTable(report: Report): Table {
  const names = [...new Set([...report.figures.values()].flatMap((byTarget) => [...byTarget.values()].flatMap((f) => Object.keys(f.stackCpuMsByPart))))];
  const rows = measuredRows(report, (f) => names.map((n) => fixed(f.stackCpuMsByPart[n] ?? NaN, 2)));
  return { head: ['operation', 'target', ...names], rows, right: names.map((_, i) => i + 2) };
}

/** Each burst's own p99, in the order run. */
function burstsTable(report: Report): Table {
  const rows = measuredRows(report, (f) => [f.p99ByBurst.map((p) => fixed(p, 1)).join('  ')]);
  return { head: ['operation', 'target', 'p99 ms by burst'], rows, right: [] };
}

/** What the console shows at the end of a run. */
export function consoleReport(report: Report): string {
  const { info } = report;
  return [
    '',
    `Results (${info.scale.toLocaleString('en')} persons, ${settingsLine(info)}):`,
    '',
    textTable(resultsTable(report)),
    '',
    'Throughput ratios:',
    '',
    textTable(ratioTable(report)),
    '',
    'Stack CPU ms/answer by process:',
    '',
    textTable(partsTable(report)),
    '',
    'p99 ms of each burst, in the order run:',
    '',
    textTable(burstsTable(report)),
    '',
    ...(reviewTargets(report).length ? ['Issue 7 targets, project review:', ...reviewTargets(report), ''] : []),
    ...(failures(report).length ? ['Problems:', ...failures(report), ''] : []),
  ].join('\n');
}

const BEGIN = '<!-- bench:begin (written by npm run bench: edits between these markers are replaced) -->';
const END = '<!-- bench:end -->';

function markdownReport(report: Report): string {
  const { info } = report;
  const resident = report.targets
    .filter((t) => report.residentAfter.has(t.id))
    .map((t) => `${t.title} ${fixed(report.residentAfter.get(t.id)! / MiB, 0)} MiB`)
    .join(', ');
  return [
    BEGIN,
    '',
    `## Latest run: ${info.date}`,
    '',
    `- Machine: ${info.machine.cpu}, ${info.machine.cores} cores, ${info.machine.memoryGiB.toFixed(1)} GiB memory, ${info.machine.os}; load average at start ${info.machine.loadAverage.map((l) => l.toFixed(2)).join(' ')} (the machine is shared)`,
    `- Code: ${info.revision}; Node ${info.node}; ${info.database}`,
    `- Scale: ${info.scale.toLocaleString('en')} persons (${info.plan.legalPersons.toLocaleString('en')} legal persons, ${info.plan.parcels.toLocaleString('en')} parcels, ${info.plan.projects.toLocaleString('en')} projects; seed ${info.plan.seed}, ${info.seed === 'reused' ? 'reused from an earlier run' : 'seeded for this run'})`,
    `- Settings: ${settingsLine(info)}; ${info.minutes.toFixed(1)} minutes in all`,
    `- Requests: ${info.authentication}`,
    `- Versions: ${Object.entries(info.versions).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
    '### Results',
    '',
    markdownTable(resultsTable(report)),
    '',
    'req/s counts answers that were HTTP 200 without GraphQL errors; p50 and p99 are response times over every',
    'request of every round; peak RSS is the highest resident memory of the target process during the bursts of',
    'that operation. CPU ms/answer is the user and system time of the target\'s own processes during the bursts over',
    'its good answers: the departments and MySQL, which every target shares, are not in it (nor is MySQL\'s share of',
    'the direct baseline\'s work). Stack CPU ms/answer is what the whole stack spent per good answer, from the start',
    'of each burst until the target and the subgraphs were idle again: the target, the five subgraphs, the MySQL and Redis servers (not',
    `the load generator); it is what one answer costs the machine, wherever the work was done. "answers" says whether the target gave the same data as the reference before measuring. Resident`,
    `memory once the whole run was over: ${resident}.`,
    '',
    '### OneSource against the others (throughput ratio)',
    '',
    markdownTable(ratioTable(report)),
    '',
    ...(reviewTargets(report).length ? ['Issue 7 targets for the five-department review:', '', ...reviewTargets(report), ''] : []),
    ...(failures(report).length ? ['### Problems seen', '', ...failures(report), ''] : []),
    '### How it is measured',
    '',
    '- One MySQL stack, seeded with `seedDepartments` at the chosen scale in databases `onesource_bench_*` (the seed',
    '  is kept and reused while the scale is the same). The five subgraphs run as five processes, shared by every',
    '  target; the supergraph is composed once from the departments\' SDL (`composeSupergraph`).',
    '- Targets, each its own process: (a) OneSource\'s gateway (`scripts/gateway.ts`); (b) Hive Gateway\'s runtime',
    '  (`createGatewayRuntime`, default settings) on node http; (c) a bare `@apollo/gateway` in `@apollo/server`\'s',
    '  standalone server, default settings (stock `@apollo/gateway` refuses Router-only security links such as',
    '  `@policy` `for: SECURITY`: it gets them without `for:`, serving those fields unenforced); (d) the direct',
    '  baseline: one process that answers the same operations from the five stores with the subgraphs\' own store',
    '  modules and DataLoaders, no GraphQL and no HTTP between departments: the floor the databases set.',
    '- Only OneSource authenticates the consumer, enforces share types and keeps the audit trail; the peers and the',
    '  baseline do none of that, and every operation asks only for fields any registered consumer may read.',
    '- Operations: a person lookup (`naturalPerson`, five fields); the five-department project review',
    '  (`PROJECT_REVIEW`); a page of 50 projects with applicant, representative and both credit profiles',
    '  (`PROJECT_PAGE`); 100 verifications as 100 aliased `verifyNaturalPerson` fields (about 90% MATCH, 5% MISMATCH,',
    '  5% NOT_FOUND), and the same batches as one `verifyNaturalPersons` field with a list of 100 requests. Variables',
    '  rotate through thousands of seeded keys; every target is sent the same sequence.',
    '- Interleaved: each round runs every operation against every target in turn (rounds go in pairs, the second in',
    '  the reverse order of the first, each pair starting one target further on), so drift of the shared machine falls',
    '  on all targets alike. The load comes from the bench',
    '  process on the same machine, as do MySQL and the subgraphs: autocannon as fast as answered; with `--rate`,',
    '  requests arriving at a constant rate, each timed from when it was due. After each burst the bench waits until',
    '  the target and the five subgraphs are idle (under a tenth of a core), so a target that fell behind does not',
    '  leave its backlog to the next.',
    '- Peak memory: VmHWM from /proc, reset at the start of each burst, summed over the target\'s process tree.',
    '',
    END,
  ].join('\n');
}

const PREAMBLE = `# Benchmarks

\`npm run bench\` (\`scripts/bench.ts\`) measures OneSource's gateway against Hive Gateway, a bare Apollo Gateway and a
direct-SQL baseline over the same five subgraphs; see README.md, "Benchmark". Each run rewrites the section between
the markers below; the rest of this file is kept.

`;

const CHANGES = `
## What each change bought

Profile before optimising (\`node --cpu-prof\`), then record here each change to the gateway with the figures of
\`npm run bench\` before and after it.
`;

/** Writes the run into BENCHMARKS.md between its markers, keeping whatever else the file says. */
export function writeBenchmarks(file: string, report: Report): void {
  const section = markdownReport(report);
  let text: string;
  if (fs.existsSync(file)) {
    const old = fs.readFileSync(file, 'utf8');
    const begin = old.indexOf('<!-- bench:begin');
    const end = old.indexOf(END);
    text = begin >= 0 && end > begin ? old.slice(0, begin) + section + old.slice(end + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  } else {
    text = `${PREAMBLE}${section}\n${CHANGES}`;
  }
  fs.writeFileSync(file, text);
}

/** The raw figures of a run, for whoever wants to compare runs later. */
export function writeRawResults(dir: string, report: Report): string {
  makeDataDirectory(dir);
  const file = path.join(dir, `bench-${report.info.date.replace(/[:.]/g, '-')}.json`);
  const figures = Object.fromEntries([...report.figures].map(([op, byTarget]) => [op, Object.fromEntries(byTarget)]));
  fs.writeFileSync(file, `${JSON.stringify({ info: report.info, figures, residentAfter: Object.fromEntries(report.residentAfter) }, null, 2)}\n`);
  return file;
}
