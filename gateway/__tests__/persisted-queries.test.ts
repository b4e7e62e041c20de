import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { createLogger } from '../../shared/logger';
import { silentProxy } from '../../tests/support/silent-proxy';
import { MAX_KEPT_QUERY_CHARS, persistedQueries, RedisPersistedQueryCache } from '../persisted-queries';
import { holdsPersonalLiteral } from '../personal-literals';

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

  it('stops asking a Redis that does not answer for a while, instead of holding every request for its timeout', async () => {
    const proxy = await silentProxy(REDIS_URL);
    const apq = persistedQueries({ ...settings, redisUrl: proxy.url }, logger);
    try {
      expect(await apq.options.cache!.get('apq:before')).toBeUndefined(); // connected and answering
      proxy.goSilent();
      for (let i = 0; i < 5; i++) expect(await apq.options.cache!.get(`apq:unknown-${i}`)).toBeUndefined();
      // The first lookup waited for its timeout; the four after it did not ask.
      expect(proxy.unanswered()).toBe(1);
    } finally {
      apq.close();
      proxy.close();
    }
  });

  it('shares a query registered while the connection to Redis is still slow to become ready', async () => {
    const proxy = await silentProxy(REDIS_URL, { firstConnectionAnswersAfterMs: 1500 });
    const slow = persistedQueries({ ...settings, redisUrl: proxy.url }, logger);
    const other = persistedQueries(settings, logger);
    try {
      await slow.options.cache!.set('apq:slow-start', '{ __typename }', { ttl: 60 });
      expect(await other.options.cache!.get('apq:slow-start')).toBe('{ __typename }');
    } finally {
      slow.close();
      other.close();
      proxy.close();
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

  it('keeps a query read from Redis in its own memory only for what is left of its time there', async () => {
    await admin.set(`${prefix}apq:ending`, '{ __typename }', 'PX', 800);
    const replica = persistedQueries(settings, logger);
    try {
      expect(await replica.options.cache!.get('apq:ending')).toBe('{ __typename }');
      await new Promise((r) => setTimeout(r, 1000));
      expect(await replica.options.cache!.get('apq:ending')).toBeUndefined();
    } finally {
      replica.close();
    }
  });

  it('keeps queries in each process\'s memory when configured so, not in Redis', async () => {
    const memory = persistedQueries({ ...settings, cache: 'memory' }, logger);
    await memory.options.cache!.set('apq:mem', '{ __typename }');
    expect(await memory.options.cache!.get('apq:mem')).toBe('{ __typename }');
    expect(await admin.exists(`${prefix}apq:mem`)).toBe(0);
    expect(memory.options.ttl).toBe(60);
  });

  it('keeps no query that holds a string literal, in Redis or in memory', async () => {
    for (const cache of ['redis', 'memory'] as const) {
      const apq = persistedQueries({ ...settings, cache }, logger);
      try {
        await apq.options.cache!.set(`apq:literal-${cache}`, '{ naturalPerson(idNumber: "11010519491231002X") { name } }');
        expect(await apq.options.cache!.get(`apq:literal-${cache}`)).toBeUndefined();
        expect(await admin.exists(`${prefix}apq:literal-${cache}`)).toBe(0);
      } finally {
        apq.close();
      }
    }
  });

  it('keeps no query longer than 65,536 characters, and keeps its memory to 4 million characters of queries, however many', async () => {
    const padded = `{ __typename }${' '.repeat(MAX_KEPT_QUERY_CHARS)}`;
    for (const cache of ['redis', 'memory'] as const) {
      const apq = persistedQueries({ ...settings, cache }, logger);
      try {
        await apq.options.cache!.set(`apq:padded-${cache}`, padded);
        expect(await apq.options.cache!.get(`apq:padded-${cache}`)).toBeUndefined();
        expect(await admin.exists(`${prefix}apq:padded-${cache}`)).toBe(0);
      } finally {
        apq.close();
      }
    }
    // Below the cap, but many: the replica's own memory keeps the newest that fit (Redis keeps them all).
    const replica = new RedisPersistedQueryCache(new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 }), settings, logger);
    try {
      const long = (i: number) => `query Q${i} { __typename }${' '.repeat(60_000)}`;
      for (let i = 0; i < 100; i++) await replica.set(`apq:long-${i}`, long(i));
      expect(await replica.get('apq:long-99')).toBe(long(99));
      expect(await replica.get('apq:long-0')).toBeUndefined();
    } finally {
      replica.close();
    }
  });

  it('tells a string literal from a variable, a small number or a comment', () => {
    expect(holdsPersonalLiteral('query($id: ID!) { naturalPerson(idNumber: $id) { name } } # "quoted" in a comment')).toBe(false);
    expect(holdsPersonalLiteral('{ investmentProjects(first: 5) { edges { cursor } } }')).toBe(false);
    // Free text where no value is written: an idNumber in a comment, or an alias made of one.
    expect(holdsPersonalLiteral('query($id: ID!) { naturalPerson(idNumber: $id) { name } } # 35062919490601186X')).toBe(true);
    expect(holdsPersonalLiteral('# 核查 35062919490601186X\nquery($id: ID!) { naturalPerson(idNumber: $id) { name } }')).toBe(true);
    expect(holdsPersonalLiteral('query($id: ID!) { p35062919490601186X: naturalPerson(idNumber: $id) { name } }')).toBe(true);
    expect(holdsPersonalLiteral('# 发展改革 projects\nquery($id: ID!) { first: naturalPerson(idNumber: $id) { name } }')).toBe(false);
    expect(holdsPersonalLiteral('{ naturalPerson(idNumber: "11010519491231002X") { name } }')).toBe(true);
    expect(holdsPersonalLiteral('{ verifyNaturalPerson(idNumber: $id, name: """张三""") }')).toBe(true);
    expect(holdsPersonalLiteral('{ a(b: "unterminated }')).toBe(true);
  });

  it('tells an idNumber written as digits (an ID takes them) from a page size', () => {
    expect(holdsPersonalLiteral('{ naturalPerson(idNumber: 350421199301272726) { name } }')).toBe(true);
    expect(holdsPersonalLiteral('{ naturalPerson(idNumber: -350421199301272726) { name } }')).toBe(true);
    expect(holdsPersonalLiteral('{ investmentProjects(first: 2147483647) { totalCount } administrativeDivision(code: 350421) { name } }')).toBe(false);
  });
});
