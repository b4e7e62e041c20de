import { roundOrder } from '../targets';

describe('the order of the targets in each round', () => {
  it('gives every target the same mean place over each pair of rounds, and each a turn first', () => {
    const targets = ['onesource', 'onesource-open', 'hive', 'apollo', 'direct'];
    const rounds = 10;
    const places = new Map(targets.map((t) => [t, [] as number[]]));
    const firsts = new Set<string>();
    for (let r = 0; r < rounds; r++) {
      const order = roundOrder(targets, r);
      expect([...order].sort()).toEqual([...targets].sort());
      order.forEach((t, i) => places.get(t)!.push(i));
      firsts.add(order[0]);
      if (r % 2) {
        // A steady drift over a pair of rounds favours no target.
        for (const t of targets) expect(places.get(t)!.slice(-2).reduce((a, b) => a + b)).toBe(targets.length - 1);
      }
    }
    expect(firsts).toEqual(new Set(targets));
  });
});
