import { BoundaryAllowance } from '../boundary-allowance';

describe('the boundaries a request may be served', () => {
  it('are counted per request, across calls, and each request has its own', () => {
    const allowance = new BoundaryAllowance(2);
    expect([allowance.take('drc\u0000r1'), allowance.take('drc\u0000r1'), allowance.take('drc\u0000r1')]).toEqual([true, true, false]);
    expect(allowance.take('drc\u0000r2')).toBe(true);
    // Another consumer's request of the same id does not spend the first one's.
    expect(allowance.take('market\u0000r1')).toBe(true);
  });

  it('forget a request a minute on, well past its calls: an id reused later starts afresh', () => {
    let now = 0;
    const allowance = new BoundaryAllowance(1, () => now);
    expect(allowance.take('drc\u0000r1')).toBe(true);
    expect(allowance.take('drc\u0000r1')).toBe(false);
    now = 30_000;
    expect(allowance.take('drc\u0000r1')).toBe(false);
    now = 60_001;
    expect(allowance.take('drc\u0000r1')).toBe(true);
  });
});
