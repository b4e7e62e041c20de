import { createHmac } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { HeaderMap } from '@apollo/server';
import type Redis from 'ioredis';
import type { Logger } from '../../shared/logger';
import type { Authenticate } from '../auth/consumer-token';
import type { Principal } from '../context';
import type { Limits } from './operation-limits';
import { connected, sharedStateRedis } from '../redis-connection';

export type RateLimitSettings = Limits['rateLimit'];

/** The outcome of counting one request. */
export type Admission = { admitted: true } | { admitted: false; limit: number; retryAfterSeconds: number };

/**
 * One window per consumer, opened by its first request and closed `windowSeconds` later, counted
 * in Redis by one Lua script (INCRBY and, on the window's first claim, PEXPIRE) so that the count
 * is atomic and shared by every gateway replica. The window starts at the consumer's first request
 * rather than on the clock's minute, so a burst is never split across two windows by chance.
 */
const CLAIM_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
if count == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { count, ttl }
`;

type CountingRedis = Redis & { claimRequests(key: string, windowMs: number, requests: number): Promise<[number, number]> };

export interface RateLimiter {
  admit(consumer: string): Promise<Admission>;
  /** Whether Redis is ready, waiting at most `ms` for it (see `connected`). */
  connected(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * How many requests a gateway claims from a consumer's window at once: 1% of the limit, at most
 * 100. The count in Redis never passes the limit; a claim's unused requests are lost to the other
 * replicas until the window ends (at most 1% of the limit each), and a consumer sending a few
 * requests a minute is counted one by one, as before.
 */
export function leaseSize(limit: number): number {
  return Math.max(1, Math.min(100, Math.floor(limit / 100)));
}

/** Requests this gateway has claimed from a consumer's window and not used yet. */
interface Lease {
  windowEnds: number;
  left: number;
  /** The window had fewer left than asked: refuse, without asking Redis, until it ends. */
  exhausted: boolean;
}

const ADMITTED: Admission = { admitted: true };
/** How long requests are admitted without asking Redis after it failed to answer a claim. */
const FAIL_OPEN_MS = 5_000;

/**
 * Per-consumer rate limits in Redis. A gateway claims requests from a consumer's window in leases
 * (`leaseSize`), so a busy consumer costs one Redis round trip per lease rather than per request.
 * If Redis cannot be reached the gateway fails open: every request is admitted and a warning is
 * logged (at most every 30 s), because an approval hall must not stop for the sake of a counter;
 * after a claim fails, Redis is not asked again for FAIL_OPEN_MS.
 */
export function createRateLimiter(settings: RateLimitSettings, logger: Logger): RateLimiter {
  const redis = sharedStateRedis(settings.redisUrl) as CountingRedis;
  redis.defineCommand('claimRequests', { numberOfKeys: 1, lua: CLAIM_SCRIPT });
  let lastWarning = 0;
  const warn = (err: unknown) => {
    if (Date.now() - lastWarning < 30_000) return;
    lastWarning = Date.now();
    logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'rate limits are not enforced: Redis cannot be reached (failing open)');
  };
  redis.on('error', warn);
  const windowMs = settings.windowSeconds * 1000;
  const leases = new Map<string, Lease>();
  // After a claim fails, requests are admitted without asking for FAIL_OPEN_MS: a Redis that
  // accepts connections but does not answer would otherwise hold every request for the command
  // timeout, for as long as it lasts.
  let askAgainAt = 0;
  // One claim at a time per consumer: requests arriving meanwhile wait for it and share it.
  const claims = new Map<string, Promise<boolean>>();

  /** Claims a lease from the consumer's window; false when Redis cannot be asked. */
  const claim = (consumer: string, limit: number): Promise<boolean> => {
    const pending = claims.get(consumer);
    if (pending) return pending;
    const asked = leaseSize(limit);
    const claimed = (async () => {
      if (Date.now() < askAgainAt) return false;
      if (!(await connected(redis))) {
        askAgainAt = Date.now() + FAIL_OPEN_MS;
        return false;
      }
      try {
        const [count, ttl] = await redis.claimRequests(`${settings.redisPrefix}rate:${consumer}`, windowMs, asked);
        const granted = Math.max(0, Math.min(asked, limit - (count - asked)));
        if (leases.size >= 10_000) leases.clear();
        leases.set(consumer, { windowEnds: Date.now() + ttl, left: granted, exhausted: granted < asked });
        return true;
      } catch (err) {
        warn(err);
        askAgainAt = Date.now() + FAIL_OPEN_MS;
        return false;
      }
    })();
    claims.set(consumer, claimed);
    // Let go once settled, whichever way: a claim that did not ask (Redis unreachable) settles
    // before it is even kept, and kept settled, it answered "admit" for the consumer from then on.
    void claimed.finally(() => claims.get(consumer) === claimed && claims.delete(consumer));
    return claimed;
  };

  return {
    async admit(consumer) {
      const limit = settings.byConsumer[consumer] ?? settings.perWindow;
      for (;;) {
        const lease = leases.get(consumer);
        const now = Date.now();
        if (lease && now < lease.windowEnds) {
          if (lease.left > 0) {
            lease.left -= 1;
            return ADMITTED;
          }
          if (lease.exhausted) return { admitted: false, limit, retryAfterSeconds: Math.max(1, Math.ceil((lease.windowEnds - now) / 1000)) };
        }
        if (!(await claim(consumer, limit))) return ADMITTED;
      }
    },
    connected: (ms) => connected(redis, ms),
    async close() {
      // QUIT lets Redis close the connection at once; without a connection there is nothing to wait for.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
    },
  };
}

/** RATE_LIMITED, knowing whom it refused (for metrics and the log; not sent). */
export class RateLimitedError extends GraphQLError {
  constructor(message: string, extensions: Record<string, unknown>, readonly consumer: string) {
    super(message, { extensions });
  }
}

/** HTTP 429 with Retry-After, as a GraphQL error (Apollo answers errors thrown while building the context this way). */
export function rateLimited(admission: Extract<Admission, { admitted: false }>, windowSeconds: number, consumer = 'unknown'): GraphQLError {
  // Apollo reads `http.headers` as its own HeaderMap (typed loosely: other packages re-declare `http`).
  const extensions: Record<string, unknown> = {
    code: 'RATE_LIMITED',
    limit: 'rateLimit',
    max: admission.limit,
    retryAfterSeconds: admission.retryAfterSeconds,
    http: { status: 429, headers: new HeaderMap([['retry-after', String(admission.retryAfterSeconds)]]) },
  };
  return new RateLimitedError(`Rate limit of ${admission.limit} requests per ${windowSeconds} s exceeded: retry after ${admission.retryAfterSeconds} s`, extensions, consumer);
}

/**
 * The authenticator, counting every authenticated request against its consumer's limit: the
 * consumer is known only once its token is verified, and wrapping the one authentication keeps
 * it to one per request.
 */
/** `citizenSecret`: the key of the hash a citizen is counted under (`limitedAs`). */
export function rateLimitedAuthenticator(authenticate: Authenticate, limiter: RateLimiter, windowSeconds: number, citizenSecret: Buffer): Authenticate {
  return async (authorization) => {
    const principal = await authenticate(authorization);
    const admission = await limiter.admit(limitedAs(principal, citizenSecret));
    if (!admission.admitted) throw rateLimited(admission, windowSeconds, principal.kind === 'SYSTEM' ? principal.consumer.id : 'citizen');
    return principal;
  };
}

/**
 * Whose limit a request counts against, as Redis keeps it: a system by its consumer id, a citizen
 * by a keyed hash of their idNumber (the idNumber itself belongs in the audit trail only, not in a
 * shared cache's key list). Keyed: idNumbers are few enough (a county, a birth date, 1,000
 * sequence numbers) that a bare hash is found again by trying them all, in seconds.
 */
function limitedAs(principal: Principal, citizenSecret: Buffer): string {
  return principal.kind === 'SYSTEM' ? principal.consumer.id : `citizen:${createHmac('sha256', citizenSecret).update(principal.idNumber).digest('hex').slice(0, 32)}`;
}
