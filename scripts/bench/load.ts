import http from 'node:http';
import autocannon from 'autocannon';
import type { BurstCost } from './process-watch';
import type { RunningTarget } from './targets';

export interface LoadSettings {
  /** Seconds per burst. */
  duration: number;
  connections: number;
  /** Requests per second over all connections; unset: as fast as the target answers. */
  rate?: number;
  /** With `rate`: how long after the last request was due the burst waits for answers (default 10 s, autocannon's timeout). */
  graceSeconds?: number;
}

/** What one burst of one operation against one target measured. */
export interface Burst extends BurstCost {
  /** Answers that were HTTP 200 without GraphQL errors. */
  ok: number;
  /** Answers with another status or with `errors`, plus connection errors and timeouts. */
  failed: number;
  seconds: number;
  /** Response time of every answer, ms; of a request never answered, how long it had waited when given up. */
  latencies: number[];
  firstFailure?: string;
  /**
   * CPU seconds of the whole stack (target, departments, database and Redis servers, not the load
   * generator) from the burst's start until the target and the subgraphs were idle again; set by the bench.
   */
  stackCpuSeconds?: number;
  /** The same, by part of the stack (`target`, each department by name, `mariadb`, `redis`). */
  stackCpuSecondsByPart?: Record<string, number>;
}

/**
 * The bodies of one operation, rotated through: each target starts at the first and goes on
 * where its previous burst stopped, so every target is sent the same sequence of variables.
 */
export class BodyRotation {
  private next = 0;
  constructor(private readonly bodies: readonly string[]) {}
  take(): string {
    const body = this.bodies[this.next];
    this.next = (this.next + 1) % this.bodies.length;
    return body;
  }
}

/**
 * One burst: closed-loop with autocannon (each connection sends its next request when the last is
 * answered) when no rate is set, at a constant arrival rate when one is.
 */
export const burst: BurstOf = (target, bodies, headers, settings, onSecond = () => {}) =>
  (settings.rate ? pacedBurst : closedLoopBurst)(target, bodies, headers, settings, onSecond);

/** What a burst needs of a target: where it answers, and its processes to watch. */
type LoadTarget = Pick<RunningTarget, 'url' | 'watch'>;
/** `onSecond` is told the answers of each second as it passes. */
type BurstOf = (target: LoadTarget, bodies: BodyRotation, headers: Record<string, string>, settings: LoadSettings, onSecond?: (answers: number) => void) => Promise<Burst>;

/** One autocannon burst, as fast as the target answers. */
const closedLoopBurst: BurstOf = async (target, bodies, headers, settings, onSecond = () => {}) => {
  const latencies: number[] = [];
  let failedAnswers = 0;
  let firstFailure: string | undefined;

  target.watch.begin();
  const instance = autocannon({
    url: target.url,
    method: 'POST',
    connections: settings.connections,
    duration: settings.duration,
    headers: { 'content-type': 'application/json', ...headers },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => ({ ...request, body: bodies.take() }),
        onResponse: (status, body) => {
          if (answeredWell(status, body)) return;
          failedAnswers++;
          firstFailure ??= `HTTP ${status}: ${body.slice(0, 400)}`;
        },
      },
    ],
  });
  instance.on('response', (_client: unknown, _status: number, _bytes: number, ms: number) => latencies.push(ms));
  instance.on('tick', ({ counter }: { counter: number }) => onSecond(counter));
  const result = await instance;
  const cost = target.watch.end();

  // autocannon counts a timeout among its errors too.
  const broken = result.errors;
  if (broken) firstFailure ??= `${result.errors} connection errors (${result.timeouts} of them timeouts)`;
  const ok = latencies.length - failedAnswers;
  // A request that timed out waited at least the timeout: left out, it would flatter the p99.
  for (let i = 0; i < result.timeouts; i++) latencies.push(AUTOCANNON_TIMEOUT_S * 1000);
  return { ok, failed: failedAnswers + broken, seconds: result.duration, latencies, ...cost, firstFailure };
};

/** autocannon's default timeout, after which it gives a request up. */
const AUTOCANNON_TIMEOUT_S = 10;

/** Whether an answer counts: HTTP 200 and no GraphQL errors (`"errors"` never appears in data). */
function answeredWell(status: number, body: string): boolean {
  return status === 200 && !body.includes('"errors"');
}

/**
 * A constant arrival rate: request i is due at start + i / rate, whether or not earlier ones were
 * answered, over at most `connections` keep-alive connections (a request due while all are busy
 * waits for one). Its response time is counted from when it was due, not from when it could be
 * sent, so a target that falls behind is charged for the wait (the "coordinated omission"
 * correction of wrk2; k6 calls this executor constant-arrival-rate).
 *
 * Why not autocannon's `overallRate`: it lets each connection send its share of a second as fast as
 * it is answered and then pause until the next second (autocannon issue #174), so "200 requests/s"
 * was a burst of 200 at the top of every second, and its p99 measured the queue of that burst.
 */
const pacedBurst: BurstOf = async (target, bodies, headers, settings, onSecond = () => {}) => {
  const rate = settings.rate!;
  const url = new URL(target.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: settings.connections });
  const total = Math.round(rate * settings.duration);
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let answeredThisSecond = 0;
  /** Set when the burst stops waiting: answers after it are not counted. */
  let over = false;

  /** When each request still unanswered was due. */
  const waiting = new Set<number>();
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const body = bodies.take();
      waiting.add(due);
      const request = http.request(
        { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('end', () => {
            if (over) return resolve();
            waiting.delete(due);
            const text = Buffer.concat(chunks).toString('utf8');
            latencies.push(performance.now() - due);
            answeredThisSecond++;
            if (answeredWell(response.statusCode ?? 0, text)) ok++;
            else {
              failed++;
              firstFailure ??= `HTTP ${response.statusCode}: ${text.slice(0, 400)}`;
            }
            resolve();
          });
        },
      );
      request.on('error', (e) => {
        if (over) return resolve();
        waiting.delete(due);
        failed++;
        firstFailure ??= `connection error: ${e.message}`;
        resolve();
      });
      request.end(body);
    });

  target.watch.begin();
  const ticker = setInterval(() => {
    onSecond(answeredThisSecond);
    answeredThisSecond = 0;
  }, 1000);
  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; ) {
    const now = performance.now();
    // Every request due by now is sent now: a late timer never lowers the rate.
    while (i < total && start + (i * 1000) / rate <= now) inFlight.push(send(start + (i++ * 1000) / rate));
    if (i < total) await new Promise((r) => setTimeout(r, Math.max(0, start + (i * 1000) / rate - performance.now())));
  }
  // A target far behind the rate would keep the burst going as long as its queue: it gets a grace
  // period, and what it has not answered by then counts as failed.
  const graceMs = (settings.graceSeconds ?? 10) * 1000;
  let grace: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(inFlight), new Promise((r) => (grace = setTimeout(r, graceMs)))]);
  clearTimeout(grace);
  over = true;
  // A request not answered by now waited at least this long: left out, it would flatter the p99.
  const givenUp = performance.now();
  for (const due of waiting) latencies.push(givenUp - due);
  const unanswered = total - ok - failed;
  if (unanswered > 0) {
    failed += unanswered;
    firstFailure ??= `${unanswered} requests not answered within ${graceMs / 1000} s of the last one due`;
  }
  clearInterval(ticker);
  agent.destroy();
  return { ok, failed, seconds: (performance.now() - start) / 1000, latencies, ...target.watch.end(), firstFailure };
};

// -- answers agree ------------------------------------------------------------------------------

export interface Agreement {
  /** Same data as the reference, no errors. */
  ok: boolean;
  /** For the results table: same, DIFFERENT, ERRORS or NOT STARTED. */
  label: string;
  /** False when the target answers with errors: measuring it would time failures. */
  measurable: boolean;
  note: string;
}

async function ask(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; answer: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  try {
    return { status: res.status, answer: JSON.parse(text) };
  } catch {
    return { status: res.status, answer: text };
  }
}

/** The first path at which two answers differ, or undefined when they are the same. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    return `${at || '(root)'}: ${JSON.stringify(a)?.slice(0, 80)} ≠ ${JSON.stringify(b)?.slice(0, 80)}`;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDifference((a as any)[k], (b as any)[k], at ? `${at}.${k}` : k);
    if (d) return d;
  }
  return undefined;
}

/**
 * Before measuring: sends the first few variable sets of an operation to every target and checks
 * that each answers 200 without errors and with the same data as the reference target (the first
 * listed, OneSource when it runs). A target that answers differently is measured doing other work
 * (and flagged); one that answers errors is not measured at all.
 */
export async function checkAnswers(
  targets: readonly RunningTarget[],
  bodies: readonly string[],
  headers: Record<string, string>,
  samples = 3,
): Promise<Map<RunningTarget, Agreement>> {
  const agreement = new Map<RunningTarget, Agreement>(targets.map((t) => [t, { ok: true, label: 'same', measurable: true, note: 'same answers' }]));
  for (const body of bodies.slice(0, samples)) {
    const answers = await Promise.all(targets.map((t) => ask(t.url, body, headers)));
    const good = ({ status, answer }: { status: number; answer: any }) => status === 200 && typeof answer === 'object' && answer !== null && !answer.errors;
    // The reference is the first target that answered without errors: OneSource unless it failed.
    const reference = answers.findIndex(good);
    targets.forEach((target, i) => {
      if (!agreement.get(target)!.ok) return;
      if (!good(answers[i])) {
        const { status, answer } = answers[i];
        agreement.set(target, { ok: false, label: 'ERRORS', measurable: false, note: `not measured, it answers HTTP ${status}: ${JSON.stringify(answer).slice(0, 300)}` });
        return;
      }
      const difference = i === reference ? undefined : firstDifference(answers[reference].answer.data, answers[i].answer.data, 'data');
      if (difference) {
        agreement.set(target, { ok: false, label: 'DIFFERENT', measurable: true, note: `answers differ from ${targets[reference].definition.title} at ${difference}` });
      }
    });
  }
  return agreement;
}
