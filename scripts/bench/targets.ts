import type { Logger } from '../../shared/logger';
import type { Supervised } from '../processes';
import { ProcessWatch } from './process-watch';
import { freePort } from '../processes';
import { spawnLogged, waitUntilUp } from './stack';

/** What answers the bench's requests: OneSource's gateway, its two Node peers, and the floor. */
export type TargetId = 'onesource' | 'onesource-open' | 'hive' | 'apollo' | 'direct';

export interface TargetDefinition {
  id: TargetId;
  title: string;
  /** Our entry point that runs it, and its arguments. */
  entry: string;
  args(port: number, supergraphFile: string): string[];
  /** Environment of its own, on top of the bench's. */
  env(port: number): NodeJS.ProcessEnv;
  /** Where to ask whether it is up: a GET path, or `/graphql` for a `{ __typename }` query. */
  readyPath: string;
}

/** The peers and the baseline run with V8's default heap sizing: OneSource's heap settings are OneSource's. */
const PEER_DEFAULTS: NodeJS.ProcessEnv = { ONESOURCE_MAX_HEAP_MB: '0', ONESOURCE_HEAP_GROWING_PERCENT: '0', ONESOURCE_MAX_SEMI_SPACE_MB: '0' };

export const TARGETS: readonly TargetDefinition[] = [
  {
    id: 'onesource',
    title: 'OneSource',
    entry: 'scripts/gateway.ts',
    args: () => [],
    // It composes the same supergraph itself, from the same SDL files and subgraph URLs.
    env: (port) => ({ ONESOURCE_GATEWAY_PORT: String(port) }),
    readyPath: '/health',
  },
  {
    id: 'onesource-open',
    title: 'OneSource, trust layer off',
    entry: 'scripts/bench/onesource-open.ts',
    args: () => [],
    env: (port) => ({ ONESOURCE_GATEWAY_PORT: String(port) }),
    readyPath: '/health',
  },
  {
    id: 'hive',
    title: 'Hive Gateway',
    entry: 'scripts/bench/hive-gateway.ts',
    args: (port, supergraph) => [supergraph, String(port)],
    env: () => PEER_DEFAULTS,
    readyPath: '/graphql',
  },
  {
    id: 'apollo',
    title: 'bare Apollo',
    entry: 'scripts/bench/apollo-gateway.ts',
    args: (port, supergraph) => [supergraph, String(port)],
    env: () => PEER_DEFAULTS,
    readyPath: '/graphql',
  },
  {
    id: 'direct',
    title: 'direct SQL',
    entry: 'scripts/bench/direct.ts',
    args: (port) => [String(port)],
    env: () => PEER_DEFAULTS,
    readyPath: '/graphql',
  },
];

export interface RunningTarget {
  definition: TargetDefinition;
  url: string;
  /** Its main process. */
  pid: number;
  /** Its processes' memory and CPU, per burst. */
  watch: ProcessWatch;
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts one target in its own process (so its memory is its own) and waits until it answers. */
export async function startTarget(
  definition: TargetDefinition,
  env: NodeJS.ProcessEnv,
  supergraphFile: string,
  logger: Logger,
  logs: string,
): Promise<RunningTarget> {
  const port = definition.id === 'onesource' ? Number(env.ONESOURCE_GATEWAY_PORT) : await freePort();
  const child: Supervised = spawnLogged(
    definition.id,
    definition.entry,
    definition.args(port, supergraphFile),
    { ...env, ...definition.env(port) },
    logger,
    logs,
  );
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilUp(definition.id, `${base}${definition.readyPath}`, child, logs);
  } catch (e) {
    await child.stop();
    throw new Error(`${definition.title} did not come up: ${(e as Error).message}`);
  }
  const pid = child.current().pid as number;
  return {
    definition,
    url: `${base}/graphql`,
    pid,
    watch: new ProcessWatch(pid),
    alive: () => child.current().exitCode === null && child.current().signalCode === null,
    stop: () => child.stop(),
  };
}

/**
 * The targets' order in round r: rounds go in pairs, the second of a pair the first's reverse, and
 * each pair starts one target further on. Over a pair every target's mean place is the same, so a
 * machine that drifts steadily (warming, cooling, a backlog building) favours none of them; a shift
 * by one each round left the last target of the list never first.
 */
export function roundOrder<T>(items: readonly T[], r: number): T[] {
  const start = Math.floor(r / 2);
  const order = items.map((_, i) => items[(i + start) % items.length]);
  return r % 2 ? order.reverse() : order;
}
