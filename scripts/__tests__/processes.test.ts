import { canListen, freePort } from '../processes';

describe('freePort', () => {
  it('passes over a port that fetch refuses to connect to, and one already handed out', async () => {
    // 10080 lies in the range freePort draws from (10000 up to the ephemeral range), and fetch
    // refuses it as a "bad port": a stack given it failed every request of a CI run.
    const drawn = [10_080, 20_001, 20_001, 20_002, 20_003, 20_004];
    const next = () => drawn.shift()!;
    expect(await canListen(20_001)).toBe(true);
    const first = await freePort(next);
    const second = await freePort(next);
    expect(first).toBe(20_001);
    expect(second).not.toBe(20_001);
    expect(second).toBeGreaterThan(20_001);
  });
});
