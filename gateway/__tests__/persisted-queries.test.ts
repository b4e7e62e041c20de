import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger } from '../../shared/logger';
import { persistedQueries, RedisPersistedQueryCache } from '../persisted-queries';

/** The shared Redis on this machine, under a prefix of this run's own (never FLUSHALL: others use it). */
const REDIS_URL = process.env.ONESOURCE_REDIS_URL || 'redis://127.0.0.1:6379';
const logger = createLogger('test', 'fatal');

describe('persisted-query cache in Redis', () => {
  const prefix = `onesource-test:${randomUUID()}:`;
  const settings = { cache: 'redis' as const, ttlSeconds: 60, redisUrl: REDIS_URL, redisPrefix: prefix };
  const admin = new Redis(REDIS_URL, { lazyConnect: true });
  afterAll(async () => {
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length) await admin.del(...keys);
    admin.disconnect();
  });

  it('shares an entry between two replicas, with the TTL and prefix set in Redis', async () => {
    await admin.connect();
    const a = persistedQueries(settings, logger);
    const b = persistedQueries(settings, logger);
    try {
      await a.options.cache!.set('apq:abc', '{ __typename }', { ttl: 60 });
      expect(await b.options.cache!.get('apq:abc')).toBe('{ __typename }');
      expect(await admin.get(`${prefix}apq:abc`)).toBe('{ __typename }');
      const ttl = await admin.ttl(`${prefix}apq:abc`);
      expect(ttl).toBeGreaterThan(50);
      expect(ttl).toBeLessThanOrEqual(60);
      expect(await b.options.cache!.get('apq:unknown')).toBeUndefined();
      expect(a.options.ttl).toBe(60);
    } finally {
      a.close();
      b.close();
    }
  });

  it('keeps working from its own memory when Redis cannot be reached, without throwing', async () => {
    const unreachable = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const cache = new RedisPersistedQueryCache(unreachable, settings, logger);
    try {
      await cache.set('apq:h', '{ a }');
      expect(await cache.get('apq:h')).toBe('{ a }');
      expect(await cache.get('apq:other')).toBeUndefined();
      expect(await cache.delete('apq:h')).toBe(true);
      expect(await cache.get('apq:h')).toBeUndefined();
    } finally {
      cache.close();
    }
  });

  it('leaves the cache to Apollo (its own memory) when configured so', () => {
    const memory = persistedQueries({ ...settings, cache: 'memory' }, logger);
    expect(memory.options.cache).toBeUndefined();
    expect(memory.options.ttl).toBe(60);
  });
});
