import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import Redis from 'ioredis';
import type { Logger } from '../../shared/logger';
import type { Authenticate } from '../auth/consumer-token';
import { principalId } from '../context';
import type { Limits } from './operation-limits';

export type RateLimitSettings = Limits['rateLimit'];

/** The outcome of counting one request. */
export type Admission = { admitted: true } | { admitted: false; limit: number; retryAfterSeconds: number };

/**
 * One window per consumer, opened by its first request and closed `windowSeconds` later, counted
 * in Redis by one Lua script (INCR and, on the first request, PEXPIRE) so that the count is
 * atomic and shared by every gateway replica. The window starts at the consumer's first request
 * rather than on the clock's minute, so a burst is never split across two windows by chance.
 */
const COUNT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }
`;

type CountingRedis = Redis & { countRequest(key: string, windowMs: number): Promise<[number, number]> };

export interface RateLimiter {
  admit(consumer: string): Promise<Admission>;
  close(): Promise<void>;
}

/**
 * Per-consumer rate limits in Redis. If Redis cannot be reached the gateway fails open: every
 * request is admitted and a warning is logged (at most every 30 s), because an approval hall must
 * not stop for the sake of a counter.
 */
export function createRateLimiter(settings: RateLimitSettings, logger: Logger): RateLimiter {
  const redis = new Redis(settings.redisUrl, {
    lazyConnect: false,
    // A request never waits for Redis to come back: with no connection a command fails at once.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  }) as CountingRedis;
  redis.defineCommand('countRequest', { numberOfKeys: 1, lua: COUNT_SCRIPT });
  let lastWarning = 0;
  const warn = (err: unknown) => {
    if (Date.now() - lastWarning < 30_000) return;
    lastWarning = Date.now();
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limits are not enforced: Redis cannot be reached (failing open)');
  };
  redis.on('error', warn);
  // Commands fail at once until the first connection is made: the first requests after start wait
  // for it, a second at most (then, with Redis down, every request is admitted without waiting).
  const firstConnection = new Promise<void>((resolve) => {
    redis.once('ready', () => resolve());
    setTimeout(resolve, 1000).unref();
  });
  const windowMs = settings.windowSeconds * 1000;

  return {
    async admit(consumer) {
      const limit = settings.byConsumer[consumer] ?? settings.perWindow;
      if (redis.status !== 'ready') await firstConnection;
      try {
        const [count, ttl] = await redis.countRequest(`${settings.redisPrefix}rate:${consumer}`, windowMs);
        if (count <= limit) return { admitted: true };
        return { admitted: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(ttl / 1000)) };
      } catch (err) {
        warn(err);
        return { admitted: true };
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}

/** HTTP 429 with Retry-After, as a GraphQL error (Apollo answers errors thrown while building the context this way). */
export function rateLimited(admission: Extract<Admission, { admitted: false }>, windowSeconds: number): GraphQLError {
  // Apollo reads `http.headers` as its own HeaderMap (typed loosely: other packages re-declare `http`).
  const extensions: Record<string, unknown> = {
    code: 'RATE_LIMITED',
    limit: 'rateLimit',
    max: admission.limit,
    retryAfterSeconds: admission.retryAfterSeconds,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(admission.retryAfterSeconds)]]) },
  };
  return new GraphQLError(`Rate limit of ${admission.limit} requests per ${windowSeconds} s exceeded: retry after ${admission.retryAfterSeconds} s`, { extensions });
}

/**
 * The authenticator, counting every authenticated request against its consumer's limit: the
 * consumer is known only once its token is verified, and wrapping the one authentication keeps
 * it to one per request.
 */
export function rateLimitedAuthenticator(authenticate: Authenticate, limiter: RateLimiter, windowSeconds: number): Authenticate {
  return async (authorization) => {
    const principal = await authenticate(authorization);
    const admission = await limiter.admit(principalId(principal));
    if (!admission.admitted) throw rateLimited(admission, windowSeconds);
    return principal;
  };
}
