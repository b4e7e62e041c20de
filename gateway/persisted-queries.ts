import type { ApolloServerPlugin, PersistedQueryOptions } from '@apollo/server';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import { Lexer, Source, TokenKind } from 'graphql';
import Redis from 'ioredis';
import type { Config } from '../shared/config';
import type { Logger } from '../shared/logger';

export type PersistedQuerySettings = Config['persistedQueries'];
type KeyValueCache = NonNullable<PersistedQueryOptions['cache']>;

/** How long Redis is not asked after a command failed. */
const FAIL_OPEN_MS = 5_000;
/** Registered queries each replica also keeps in its own memory: a province's systems send far fewer distinct ones. */
const LOCAL_ENTRIES = 5000;

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
  private lastWarning = 0;
  /** After a command failed, Redis is not asked until then: a silent Redis would hold each request for the command timeout. */
  private askAgainAt = 0;
  /** Commands fail at once until the first connection: the first requests after start wait for it, a second at most. */
  private readonly firstConnection: Promise<void>;

  constructor(
    private readonly redis: Redis,
    private readonly settings: Pick<PersistedQuerySettings, 'redisPrefix' | 'ttlSeconds'>,
    private readonly logger: Logger,
  ) {
    redis.on('error', (err) => this.warn(err));
    this.firstConnection = new Promise<void>((resolve) => {
      if (redis.status === 'ready') return resolve();
      redis.once('ready', () => resolve());
      setTimeout(resolve, 1000).unref();
    });
  }

  async get(key: string): Promise<string | undefined> {
    const hit = this.local.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    if (hit) this.local.delete(key);
    if (!(await this.reachable())) return undefined;
    try {
      const value = await this.redis.get(this.settings.redisPrefix + key);
      if (value === null) return undefined;
      this.remember(key, value, this.settings.ttlSeconds);
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
    const had = this.local.delete(key);
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
    // Insertion order is age order: the oldest entry goes first when the map is full.
    this.local.delete(key);
    if (this.local.size >= LOCAL_ENTRIES) this.local.delete(this.local.keys().next().value as string);
    this.local.set(key, { value, expiresAt: ttlSeconds > 0 ? Date.now() + ttlSeconds * 1000 : Infinity });
  }

  /** Whether to ask Redis now: connected (the first connection is waited for), and not failing lately. */
  private async reachable(): Promise<boolean> {
    if (Date.now() < this.askAgainAt) return false;
    if (this.redis.status !== 'ready') await this.firstConnection;
    return this.redis.status === 'ready';
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
 * Whether a query's text holds a string literal. Its value may be personal data (an idNumber, a
 * name written into the query instead of its variables), which a persisted-query cache would keep
 * for its whole TTL, in Redis, where no audit or retention rule reaches it. Text that cannot be
 * read counts as holding one.
 */
export function holdsStringLiteral(query: string): boolean {
  const lexer = new Lexer(new Source(query));
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.STRING || token.kind === TokenKind.BLOCK_STRING) return true;
    }
    return false;
  } catch {
    return true;
  }
}

/**
 * A persisted-query cache that does not keep queries with string literals. Such a query is still
 * answered; its hash alone is PERSISTED_QUERY_NOT_FOUND, and the client sends the full text again,
 * as the APQ protocol has it. Clients that pass values as variables lose nothing.
 */
export function keepingNoLiterals(cache: KeyValueCache, declined: DeclinedHashes): KeyValueCache {
  return {
    get: (key) => cache.get(key),
    set: async (key, query, options) => {
      if (!holdsStringLiteral(query)) return cache.set(key, query, options);
      declined.add(key);
    },
    delete: (key) => cache.delete(key),
  };
}

/**
 * The hashes this process declined to keep (the hashes alone, never the text), so that their
 * PERSISTED_QUERY_NOT_FOUND can say why: a client that registered the query a moment ago would
 * otherwise never learn that it sends every such request twice, and how to stop it.
 */
export class DeclinedHashes {
  private readonly hashes = new Set<string>();
  constructor(private readonly size = 5000) {}
  /** Apollo Server keys the cache by `apq:<hash>`: the hash is what follows the last colon. */
  add(key: string): void {
    const hash = key.slice(key.lastIndexOf(':') + 1);
    this.hashes.delete(hash);
    if (this.hashes.size >= this.size) this.hashes.delete(this.hashes.values().next().value as string);
    this.hashes.add(hash);
  }
  has(hash: string): boolean {
    return this.hashes.has(hash);
  }
}

export const NOT_KEPT_REASON = 'this query holds a string literal, so it is answered but never kept: pass its values as variables to send it by hash alone';

/** Adds `reason` to a PERSISTED_QUERY_NOT_FOUND answer for a hash whose query was declined. */
export function declinedReasonPlugin(declined: DeclinedHashes): ApolloServerPlugin {
  return {
    async requestDidStart({ request }) {
      const hash = (request.extensions?.persistedQuery as { sha256Hash?: unknown } | undefined)?.sha256Hash;
      if (typeof hash !== 'string' || request.query || !declined.has(hash)) return;
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
}

export interface PersistedQueries {
  /** What Apollo Server's `persistedQueries` option is given. */
  options: PersistedQueryOptions;
  /** Says why a declined query's hash is not found. */
  plugin: ApolloServerPlugin;
  close(): void;
}

/**
 * APQ for Apollo Server as configured: in Redis shared by the replicas (the default), or, with
 * `ONESOURCE_APQ_CACHE=memory`, an in-memory cache in each process; queries with string literals in neither.
 */
export function persistedQueries(settings: PersistedQuerySettings, logger: Logger): PersistedQueries {
  const ttl = settings.ttlSeconds > 0 ? settings.ttlSeconds : null;
  const declined = new DeclinedHashes();
  const plugin = declinedReasonPlugin(declined);
  if (settings.cache === 'memory') {
    logger.info('persisted queries are kept in each gateway process (ONESOURCE_APQ_CACHE=memory): replicas do not share them');
    return { options: { cache: keepingNoLiterals(new InMemoryLRUCache(), declined), ttl }, plugin, close: () => {} };
  }
  const redis = new Redis(settings.redisUrl, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 500,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  const cache = new RedisPersistedQueryCache(redis, settings, logger);
  return { options: { cache: keepingNoLiterals(cache, declined), ttl }, plugin, close: () => cache.close() };
}
