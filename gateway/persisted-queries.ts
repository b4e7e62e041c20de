import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type Redis from 'ioredis';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';
import { holdsPersonalLiteral } from './personal-literals';
import { connected, sharedStateRedis } from './redis-connection';

export type PersistedQuerySettings = Config['persistedQueries'];
type KeyValueCache = NonNullable<PersistedQueryOptions['cache']>;

/** How long Redis is not asked after a command failed. */
const FAIL_OPEN_MS = 5_000;
/** Registered queries each replica also keeps in its own memory: a province's systems send far fewer distinct ones. */
const LOCAL_ENTRIES = 5000;
/** And at most this many characters of them (8 MB), however long each is. */
const LOCAL_CHARS = 4_000_000;
/**
 * The longest query kept, in Redis or in memory: the longest operation a system sends is a few
 * kilobytes (100 aliased verifications, 8 KB); a query padded to the body limit (a megabyte of
 * spaces is 4 lexical tokens) would be kept a day in Redis, and 5,000 of them in each replica.
 */
export const MAX_KEPT_QUERY_CHARS = 65_536;

/**
 * Apollo Server's cache of automatic persisted queries (hash → query text), kept in Redis so a
 * query registered through one gateway replica is known to every other one, whichever replica the
 * load balancer picks next.
 *
 * Each replica also keeps the entries it has seen in a bounded map in its own memory: an entry
 * never changes (the key is the SHA-256 of the value), so a hit there is as good as one in Redis
 * and costs no round trip. The same map is what is left when Redis cannot be reached: persisted
 * queries then work per replica (a miss answers PERSISTED_QUERY_NOT_FOUND and the client sends
 * the full query again, as the APQ protocol expects), and a warning is logged at most every 30 s.
 * A request never waits for Redis to come back (no offline queue, 500 ms command timeout).
 */
export class RedisPersistedQueryCache implements KeyValueCache {
  private readonly local = new Map<string, { value: string; expiresAt: number }>();
  private localChars = 0;
  private lastWarning = 0;
  /** After a command failed, Redis is not asked until then: a silent Redis would hold each request for the command timeout. */
  private askAgainAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly settings: Pick<PersistedQuerySettings, 'redisPrefix' | 'ttlSeconds'>,
    private readonly logger: Logger,
  ) {
    redis.on('error', (err) => this.warn(err));
  }

  async get(key: string): Promise<string | undefined> {
    const hit = this.local.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    if (hit) this.forget(key);
    if (!(await this.reachable())) return undefined;
    try {
      // With what is left of its time in Redis: kept here for a whole TTL from this read, a hash read
      // a moment before it expired was answered by this replica for nearly another TTL, by no other.
      const redisKey = this.settings.redisPrefix + key;
      const [[failed, value], [, leftMs]] = ((await this.redis.pipeline().get(redisKey).pttl(redisKey).exec()) ?? []) as [[Error | null, string | null], [Error | null, number]];
      if (failed) throw failed;
      if (typeof value !== 'string') return undefined;
      // -1: kept with no expiry (ONESOURCE_APQ_TTL=0); -2: gone between the two commands.
      if (leftMs !== -2) this.remember(key, value, leftMs === -1 ? 0 : leftMs / 1000);
      return value;
    } catch (err) {
      this.warn(err);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: { ttl?: number | null }): Promise<void> {
    const ttl = options?.ttl ?? this.settings.ttlSeconds;
    this.remember(key, value, ttl);
    if (!(await this.reachable())) return;
    try {
      const redisKey = this.settings.redisPrefix + key;
      await (ttl > 0 ? this.redis.set(redisKey, value, 'EX', ttl) : this.redis.set(redisKey, value));
    } catch (err) {
      this.warn(err);
    }
  }

  async delete(key: string): Promise<boolean> {
    const had = this.forget(key);
    if (this.redis.status !== 'ready' || Date.now() < this.askAgainAt) return had;
    try {
      return (await this.redis.del(this.settings.redisPrefix + key)) > 0 || had;
    } catch (err) {
      this.warn(err);
      return had;
    }
  }

  close(): void {
    this.redis.disconnect();
  }

  private remember(key: string, value: string, ttlSeconds: number): void {
    this.forget(key);
    if (value.length > MAX_KEPT_QUERY_CHARS) return;
    // Insertion order is age order: the oldest entries go first when the map is full.
    while (this.local.size && (this.local.size >= LOCAL_ENTRIES || this.localChars + value.length > LOCAL_CHARS)) this.forget(this.local.keys().next().value as string);
    this.local.set(key, { value, expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Infinity });
    this.localChars += value.length;
  }

  private forget(key: string): boolean {
    const entry = this.local.get(key);
    if (!entry) return false;
    this.local.delete(key);
    this.localChars -= entry.value.length;
    return true;
  }

  /** Whether to ask Redis now: not failing lately, and ready (waited for while it connects; not asked again for a while if it does not). */
  private async reachable(): Promise<boolean> {
    if (Date.now() < this.askAgainAt) return false;
    if (await connected(this.redis)) return true;
    this.askAgainAt = Date.now() + FAIL_OPEN_MS;
    return false;
  }

  private warn(err: unknown): void {
    this.askAgainAt = Date.now() + FAIL_OPEN_MS;
    if (Date.now() - this.lastWarning < 30_000) return;
    this.lastWarning = Date.now();
    this.logger.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'persisted queries are kept in this replica only: Redis cannot be reached (other replicas may not know a hash)',
    );
  }
}

/**
 * A persisted-query cache that does not keep queries with literal values that may be personal
 * (`holdsPersonalLiteral`: an idNumber or a name, which Redis would keep for the whole TTL, out of
 * reach of any audit or retention rule). Such a query is still answered; its hash alone is
 * PERSISTED_QUERY_NOT_FOUND, and the client sends the full text again, as the APQ protocol has it.
 * Clients that pass values as variables lose nothing.
 */
export function keepingNoLiterals(cache: KeyValueCache): KeyValueCache {
  return {
    get: (key) => cache.get(key),
    set: async (key, query, options) => {
      // Nor one longer than MAX_KEPT_QUERY_CHARS: answered, and sent in full each time.
      if (query.length <= MAX_KEPT_QUERY_CHARS && !holdsPersonalLiteral(query)) return cache.set(key, query, options);
    },
    delete: (key) => cache.delete(key),
  };
}

export const NOT_KEPT_REASON =
  'no query is kept under this hash: send the query with it. A query that holds a string literal or an identifier written as digits, or is longer than 65,536 characters, is answered but never kept: pass its values as variables to send it by hash alone';

/**
 * Adds `reason` to every PERSISTED_QUERY_NOT_FOUND: a client that registered a query with a literal
 * a moment ago would otherwise never learn that it sends every such request twice, and how to
 * stop. Every such answer says the same: had it said so only for the hashes declined, any consumer
 * could learn whether someone had looked up a person, by hashing a lookup of that person.
 */
export const notFoundReasonPlugin: ApolloServerPlugin = {
  async requestDidStart({ request }) {
    if (request.query || !request.extensions?.persistedQuery) return;
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.errors = result.errors?.map((e) =>
          e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND' ? { ...e, extensions: { ...e.extensions, reason: NOT_KEPT_REASON } } : e,
        );
      },
    };
  },
};

export interface PersistedQueries {
  /** What Apollo Server's `persistedQueries` option is given. */
  options: PersistedQueryOptions;
  /** Says why a hash may not be found. */
  plugin: ApolloServerPlugin;
  /** Whether the shared cache is ready, waiting at most `ms` for it (see `connected`); true for memory. */
  connected(ms: number): Promise<boolean>;
  close(): void;
}

/**
 * APQ for Apollo Server as configured: in Redis shared by the replicas (the default), or, with
 * `ONESOURCE_APQ_CACHE=memory`, an in-memory cache in each process; queries with string literals in neither.
 */
export function persistedQueries(settings: PersistedQuerySettings, logger: Logger): PersistedQueries {
  const ttl = settings.ttlSeconds > 0 ? settings.ttlSeconds : null;
  const plugin = notFoundReasonPlugin;
  if (settings.cache === 'memory') {
    logger.info('persisted queries are kept in each gateway process (ONESOURCE_APQ_CACHE=memory): replicas do not share them');
    return { options: { cache: keepingNoLiterals(new InMemoryLRUCache()), ttl }, plugin, connected: async () => true, close: () => {} };
  }
  const redis = sharedStateRedis(settings.redisUrl);
  const cache = new RedisPersistedQueryCache(redis, settings, logger);
  return { options: { cache: keepingNoLiterals(cache), ttl }, plugin, connected: (ms) => connected(redis, ms), close: () => cache.close() };
}
