import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { readConfig } from '../shared/config';
import { isFetchBlockedPort } from '../shared/http';
import type { Logger } from '../shared/logger';
import { PROJECT_ROOT } from '../shared/project-root';
import { buildServer, compiledEntry } from './build-server';


export interface Supervised {
  name: string;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s) and does not restart it. */
  stop(): Promise<void>;
  /** The running child, replaced after each restart. */
  current(): ChildProcess;
}

/**
 * `ONESOURCE_MAX_HEAP_MB`, `ONESOURCE_HEAP_GROWING_PERCENT` and `ONESOURCE_MAX_SEMI_SPACE_MB` as node flags.
 *
 * Without a limit V8 sizes the old generation by the machine's memory and lets garbage pile up to
 * several times the live heap before collecting: the gateway's live heap under load is about 65 MB,
 * yet it stood at 350-470 MB resident after a minute at 200 requests/s; with 192 MB it stayed near
 * 200 MB at the same throughput (BENCHMARKS.md).
 *
 * Under that limit V8 chose to collect the old generation once it was about 1.5 times what survived
 * the last collection: at 200 person lookups/s, every 3.5 s. Each of those collections marks for
 * about 60 ms on a helper thread, and on a 2-core machine shared with the departments and MySQL the
 * requests arriving meanwhile queue behind it: most of the slowest 1% (BENCHMARKS.md). Letting it
 * grow to twice the survivors makes them three times rarer for about 30 MB more resident.
 *
 * The young generation is fixed at what Node 20 and 22 give it (16 MB semi-spaces): Node 24 lets
 * it grow to 64 MB, and under the old-space limit above its gateway then ran a full collection
 * about six times a second, at two to five times the CPU per answer (BENCHMARKS.md, "Node 24").
 * Cluster workers inherit the flags with the rest of the primary's execArgv.
 */
function heapFlags(env: NodeJS.ProcessEnv): string[] {
  const { maxHeapMb, heapGrowingPercent, maxSemiSpaceMb } = readConfig(env);
  return [
    ...(maxHeapMb > 0 ? [`--max-old-space-size=${maxHeapMb}`] : []),
    ...(heapGrowingPercent > 0 ? [`--heap-growing-percent=${heapGrowingPercent}`] : []),
    ...(maxSemiSpaceMb > 0 ? [`--max-semi-space-size=${maxSemiSpaceMb}`] : []),
  ];
}

/** Whether this process has compiled the server yet: once, before its first child starts. */
let compiled = false;

/**
 * Runs an entry point of ours (`scripts/gateway.ts`), compiled into `dist/` (scripts/build-server.ts),
 * as a child process and restarts it with exponential backoff (0.5 s doubling to 30 s) when it dies
 * on its own; every exit and restart is logged. A restart runs the same build.
 */
export function supervise(
  name: string,
  entry: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logger: Logger,
  options: { restart?: boolean; stdio?: 'inherit' | 'ignore' | 'pipe'; nodeArgs?: string[] } = {},
): Supervised {
  let stopped = false;
  let child: ChildProcess;
  let delay = 500;
  let healthyTimer: NodeJS.Timeout | undefined;

  if (!compiled) {
    buildServer();
    compiled = true;
  }
  const nodeArgs = [...heapFlags(env), ...(options.nodeArgs ?? [])];
  const start = () => {
    child = spawn(process.execPath, [...nodeArgs, compiledEntry(entry), ...args], {
      cwd: PROJECT_ROOT,
      env,
      // The IPC channel tells the child when its supervisor is gone (scripts/signals.ts).
      stdio: ['ignore', options.stdio ?? 'inherit', options.stdio ?? 'inherit', 'ipc'],
    });
    child.channel?.unref();
    // A process that has stayed up for a minute has earned a fresh backoff.
    healthyTimer = setTimeout(() => (delay = 500), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(healthyTimer);
      if (stopped) return;
      logger.warn({ process: name, code, signal }, `${name} exited`);
      if (options.restart === false) return;
      logger.info({ process: name, inMs: delay }, `restarting ${name}`);
      setTimeout(() => !stopped && start(), delay);
      delay = Math.min(delay * 2, 30_000);
    });
  };
  start();

  return {
    name,
    current: () => child,
    stop: () =>
      new Promise<void>((resolve) => {
        stopped = true;
        clearTimeout(healthyTimer);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Polls until `url` answers: a GET for plain URLs (2xx), or a GraphQL `{ __typename }` POST for
 * which any answer below 500 counts, since a department refuses callers without an internal token.
 */
export async function waitUntilAnswering(url: string, timeoutMs = 60_000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = url.endsWith('/graphql')
        ? await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers },
            body: JSON.stringify({ query: '{ __typename }' }),
          })
        : await fetch(url, { headers });
      if (res.ok || (url.endsWith('/graphql') && res.status < 500)) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs / 1000} s (${last})`);
}

/** The ports this process has handed out: none is handed out twice. */
const handedOut = new Set<number>();

/**
 * A port free on 127.0.0.1 now, for a process about to be started on it. Chosen below the kernel's
 * ephemeral range (net.ipv4.ip_local_port_range): a port the kernel hands out itself (port 0) can
 * be taken, before the process starts, as the source port of any outgoing connection (a MySQL
 * pool opening while a test stack seeds), which failed the portal test with EADDRINUSE in CI.
 */
export async function freePort(candidate: () => number = belowEphemeralRange): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = candidate();
    // Free now is not enough: a port handed out a moment ago is free too until its process starts
    // (a stack draws six before starting any, and two alike failed a CI rehearsal's portal suite).
    // 10080 is free but fetch will not connect to it ("bad port"): a CI run drew it once.
    if (handedOut.has(port) || isFetchBlockedPort(port)) continue;
    if (await canListen(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A port at random from 10000 up to the kernel's ephemeral range. */
function belowEphemeralRange(): number {
  const low = ephemeralLow();
  return 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
}

function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32_768;
  } catch {
    return 32_768; // not Linux: the usual start of the range
  }
}

/** Whether a server could listen on `port` at `host` now (nothing else holds it). */
export function canListen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
