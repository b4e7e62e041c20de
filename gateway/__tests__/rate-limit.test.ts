import { randomUUID } from 'node:crypto';
import net from 'node:net';
import Redis from 'ioredis';
import pino from 'pino';
import { freePort } from '../../scripts/processes';
import { silentProxy } from '../../tests/support/silent-proxy';
import { createRateLimiter, leaseSize, RateLimiter } from '../limits/rate-limit';

/**
 * Rate limits as replicas sharing one Redis count them (the Redis on 127.0.0.1:6379, as in CI).
 * End-to-end 429s through two replicas behind nginx are in tests/limits.test.ts.
 */
const REDIS_URL = process.env.ONESOURCE_REDIS_URL || 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });

describe('rate limits counted in leases', () => {
  const prefix = `onesource-test-${randomUUID()}:`;
  const limiters: RateLimiter[] = [];
  const redis = new Redis(REDIS_URL);
  const limiter = (perWindow: number, windowSeconds = 60) => {
    const l = createRateLimiter({ perWindow, windowSeconds, byConsumer: {}, redisUrl: REDIS_URL, redisPrefix: prefix }, logger);
    limiters.push(l);
    return l;
  };
  const admitted = async (l: RateLimiter, consumer: string, n: number) => {
    const answers = await Promise.all(Array.from({ length: n }, () => l.admit(consumer)));
    return answers.filter((a) => a.admitted).length;
  };

  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('claims 1% of the limit at a time, at most 100, and one by one under 200', () => {
    expect([leaseSize(4), leaseSize(199), leaseSize(6000), leaseSize(1_000_000)]).toEqual([1, 1, 60, 100]);
  });

  it('asks Redis once per lease, not once per request', async () => {
    const l = limiter(6000);
    expect(await admitted(l, 'drc-approval', 95)).toBe(95);
    // Two leases of 60 were claimed for 95 requests: the count in Redis says so.
    expect(Number(await redis.get(`${prefix}rate:drc-approval`))).toBe(120);
  });

  it('never admits more than the limit across two replicas, and refuses with the time left in the window', async () => {
    const [a, b] = [limiter(1000), limiter(1000)];
    let total = 0;
    for (let round = 0; round < 30; round += 1) total += (await admitted(a, 'tax-service', 20)) + (await admitted(b, 'tax-service', 20));
    // 1,200 asked. At most the limit is admitted; at most one lease (10) less, held unused by a replica.
    expect(total).toBeLessThanOrEqual(1000);
    expect(total).toBeGreaterThanOrEqual(1000 - leaseSize(1000));
    const refusal = await a.admit('tax-service');
    expect(refusal).toMatchObject({ admitted: false, limit: 1000 });
    expect((refusal as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(50);
  });

  it('counts each consumer in its own window, and opens a new one when the window ends', async () => {
    const l = limiter(3, 1);
    expect(await admitted(l, 'housing-permit', 5)).toBe(3);
    expect(await admitted(l, 'social-insurance', 2)).toBe(2);
    await new Promise((r) => setTimeout(r, 1100));
    expect(await admitted(l, 'housing-permit', 5)).toBe(3);
  });

  it('stops asking a Redis that does not answer for a while, instead of holding every request for its timeout', async () => {
    const proxy = await silentProxy(REDIS_URL);
    const l = createRateLimiter({ perWindow: 100, windowSeconds: 60, byConsumer: {}, redisUrl: proxy.url, redisPrefix: prefix }, logger);
    limiters.push(l);
    try {
      expect((await l.admit('market-portal')).admitted).toBe(true); // a lease of 1: the next request claims again
      proxy.goSilent();
      for (let i = 0; i < 5; i++) expect((await l.admit('market-portal')).admitted).toBe(true);
      // The first claim waited for its timeout; the four after it did not ask.
      expect(proxy.unanswered()).toBe(1);
    } finally {
      proxy.close();
    }
  });

  it('waits for a Redis that never answers at the start only, not again each time it asks', async () => {
    // It accepts the connection and answers nothing: the connection never becomes ready.
    const proxy = await silentProxy(REDIS_URL);
    proxy.goSilent();
    const l = createRateLimiter({ perWindow: 100, windowSeconds: 60, byConsumer: {}, redisUrl: proxy.url, redisPrefix: prefix }, logger);
    limiters.push(l);
    const timed = async () => {
      const started = Date.now();
      expect((await l.admit('market-portal')).admitted).toBe(true);
      return Date.now() - started;
    };
    try {
      expect(await timed()).toBeGreaterThanOrEqual(1_900); // the start: it may become ready
      // Past the pause after a failed claim, it asks again, and does not wait again.
      await new Promise((r) => setTimeout(r, 5_500));
      expect(await timed()).toBeLessThan(1_000);
    } finally {
      proxy.close();
    }
  }, 20_000);

  it('counts the first requests of a gateway whose connection to Redis is slow to become ready', async () => {
    // Every answer on the first connection is held 1.5 s: ioredis is not ready (its INFO check is
    // unanswered, then times out and it connects again) when the first requests arrive, and a
    // command sent then would fail at once.
    const proxy = await silentProxy(REDIS_URL, { firstConnectionAnswersAfterMs: 1500 });
    const l = createRateLimiter({ perWindow: 3, windowSeconds: 60, byConsumer: {}, redisUrl: proxy.url, redisPrefix: prefix }, logger);
    limiters.push(l);
    try {
      expect(await admitted(l, 'tax-service-slow-start', 5)).toBe(3);
      expect(Number(await redis.get(`${prefix}rate:tax-service-slow-start`))).toBeGreaterThanOrEqual(3);
    } finally {
      proxy.close();
    }
  });

  it('counts again once Redis can be reached again, after failing open', async () => {
    // A port where Redis is not, then is: a proxy to the real one opened there later.
    const port = await freePort();
    const l = createRateLimiter({ perWindow: 3, windowSeconds: 60, byConsumer: {}, redisUrl: `redis://127.0.0.1:${port}`, redisPrefix: prefix }, logger);
    limiters.push(l);
    expect(await admitted(l, 'dept-geo', 2)).toBe(2);
    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(new URL(REDIS_URL).port || 6379), new URL(REDIS_URL).hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      // Past the time a failed claim stops the gateway asking, and ioredis has connected again.
      await new Promise((r) => setTimeout(r, 6_000));
      expect(await l.connected(5_000)).toBe(true);
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push((await l.admit('dept-geo')).admitted);
      expect(answers).toEqual([true, true, true, false, false, false]);
    } finally {
      await l.close();
      proxy.close();
    }
  }, 30_000);

  it('admits every request when Redis cannot be reached (fails open)', async () => {
    const l = createRateLimiter({ perWindow: 1, windowSeconds: 60, byConsumer: {}, redisUrl: 'redis://127.0.0.1:1', redisPrefix: prefix }, logger);
    limiters.push(l);
    expect(await admitted(l, 'drc-approval', 5)).toBe(5);
  });
});
