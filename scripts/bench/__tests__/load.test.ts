import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyRotation, burst } from '../load';
import { ProcessWatch } from '../process-watch';

/** A target that notes when each request arrived and answers after `delayMs`. */
async function recordingTarget(delayMs: number) {
  const arrivals: number[] = [];
  const answers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => {
      const answer = setTimeout(() => (answers.delete(answer), res.end('{"data":{}}')), delayMs);
      answers.add(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return { arrivals, target: { url, watch: new ProcessWatch(process.pid) }, close: () => {
    answers.forEach(clearTimeout);
    return new Promise((r) => server.close(r));
  } };
}

const bodies = () => new BodyRotation(['{"query":"{ __typename }"}']);

describe('the bench at a set rate', () => {
  it('spreads the requests over each second instead of sending them at its start', async () => {
    const { arrivals, target, close } = await recordingTarget(0);
    // Measured from before the burst: a request can be sent late (a busy machine), never early.
    const started = performance.now();
    const measured = await burst(target, bodies(), {}, { duration: 1, connections: 4, rate: 40 });
    await close();
    expect(measured.ok).toBe(40);
    // The 40th request is due 975 ms after the first: it cannot have been sent sooner. (autocannon's
    // overallRate sent all 40 at once.)
    expect(arrivals[39] - started).toBeGreaterThanOrEqual(950);
    // Not more than a fair share arrived in the first tenth of the second.
    expect(arrivals.filter((t) => t - started < 100).length).toBeLessThanOrEqual(6);
  });

  it('times a request from when it was due, so a target that falls behind is charged for the wait', async () => {
    // One connection, 100 ms per answer, a request due every 50 ms: the tenth can start only
    // after nine answers (900 ms) though it was due at 450 ms.
    const { target, close } = await recordingTarget(100);
    const measured = await burst(target, bodies(), {}, { duration: 0.5, connections: 1, rate: 20 });
    await close();
    expect(measured.ok).toBe(10);
    expect(Math.max(...measured.latencies)).toBeGreaterThanOrEqual(550);
  });

  it('stops waiting for a target far behind the rate, and counts what it has not answered as failed', async () => {
    const { target, close } = await recordingTarget(5_000);
    let answeredMeanwhile = false;
    setTimeout(() => (answeredMeanwhile = true), 4_500).unref();
    const measured = await burst(target, bodies(), {}, { duration: 0.2, connections: 2, rate: 10, graceSeconds: 0.5 });
    expect(answeredMeanwhile).toBe(false);
    expect(measured).toMatchObject({ ok: 0, failed: 2 });
    expect(measured.firstFailure).toMatch(/2 requests not answered within 0.5 s/);
    // Each waited at least the grace period: counted in the p99, not left out of it.
    expect(measured.latencies).toHaveLength(2);
    for (const waited of measured.latencies) expect(waited).toBeGreaterThanOrEqual(500);
    await close();
  });
});
