import Redis from 'ioredis';

/** Errors that say Redis is down or not there (as opposed to slow): nothing is gained by waiting. */
const DOWN = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** How long a command waits for Redis to become ready (just after start, above all). */
const CONNECTION_WAIT_MS = 2_000;

/** The last connection error of each client made here: whether Redis was found down. */
const foundDown = new WeakMap<Redis, boolean>();
/**
 * Clients past their start: ready once, or waited for in vain. Only a client that has been neither
 * is waited for; otherwise a Redis that accepts connections and never answers held requests for the
 * whole wait again and again.
 */
const pastStart = new WeakSet<Redis>();

/**
 * A Redis client for state the gateway replicas share (rate-limit windows, persisted queries).
 * A request never waits for Redis to come back: with no connection a command fails at once (no
 * offline queue), and a silent Redis fails a command after 500 ms. Reconnection backs off to 5 s.
 */
export function sharedStateRedis(url: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  redis.on('error', (err: NodeJS.ErrnoException) => foundDown.set(redis, DOWN.has(err.code ?? '')));
  redis.on('ready', () => {
    foundDown.set(redis, false);
    pastStart.add(redis);
  });
  return redis;
}

/**
 * Whether `redis` can take a command now, waiting at most `ms` for it to become ready.
 *
 * With no offline queue, a command sent before the connection is ready fails as though Redis were
 * down, and the gateway fails open: a gateway just started would admit its first requests
 * uncounted. Becoming ready can take more than one attempt: on a busy machine (a gateway starting
 * up blocks its event loop while it composes the supergraph) the connection's INFO check can time
 * out, and ioredis connects again 200 ms later. So this waits through reconnections, and gives up
 * early only when Redis was found down (connection refused, host unknown): then the request goes
 * on without it at once. It waits only at the start: once Redis was ready, or the wait ran out
 * (a Redis that accepts connections and never answers), a request goes on without it at once.
 */
export function connected(redis: Redis, ms = CONNECTION_WAIT_MS): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  // Closed, or a lazy client nobody asked to connect, or down at the last attempt, or past its start
  // (a request never waits for Redis to come back).
  if (redis.status === 'end' || redis.status === 'wait' || foundDown.get(redis) || pastStart.has(redis)) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      redis.off('end', onEnd);
      resolve(ready);
    };
    const onReady = () => done(true);
    const onError = (err: NodeJS.ErrnoException) => {
      if (DOWN.has(err.code ?? '')) done(false);
    };
    const onEnd = () => done(false);
    const timer = setTimeout(() => {
      pastStart.add(redis);
      done(redis.status === 'ready');
    }, ms);
    timer.unref();
    redis.on('ready', onReady);
    redis.on('error', onError);
    redis.on('end', onEnd);
  });
}
