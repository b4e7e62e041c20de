import fc from 'fast-check';
import area from '@turf/area';
import type { Position } from 'geojson';
import { checkGeometry, crossingOf, edgesOf, meetingOf } from '../geometry';

/** A square ring with its south-west corner at (w, s). */
const square = (w: number, s: number, side: number): Position[] => [[w, s], [w + side, s], [w + side, s + side], [w, s + side], [w, s]];
const reasonOf = (value: unknown) => {
  const checked = checkGeometry(value);
  return checked.ok ? 'loads' : checked.reason;
};
const CROSS = (at: string) => `geometry has rings that cross or touch at ${at}: a ring may neither cross nor touch itself or another ring (a MultiPolygon's parts included)`;

describe('checkGeometry', () => {
  it('rejects a MultiPolygon with one part inside another, whose area would be counted twice, naming the parts', () => {
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [[square(116, 23.8, 0.003)], [square(116.001, 23.801, 0.001)]] }))
      .toBe('geometry has a polygon inside another (polygon 2 lies inside polygon 1): its area would be counted twice');
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [[square(116.001, 23.801, 0.001)], [square(116, 23.8, 0.003)]] }))
      .toBe('geometry has a polygon inside another (polygon 1 lies inside polygon 2): its area would be counted twice');
    // An island in another part's hole is no overlap.
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [[square(116, 23.8, 0.003), square(116.0005, 23.8005, 0.002)], [square(116.001, 23.801, 0.001)]] })).toBe('loads');
  });

  it('rejects a hole inside another hole of its polygon, whose area would be taken away twice, naming the holes', () => {
    expect(reasonOf({ type: 'Polygon', coordinates: [square(116, 23.8, 0.004), square(116.0005, 23.8005, 0.003), square(116.001, 23.801, 0.001)] }))
      .toBe('geometry has a hole (hole 2) inside another hole (hole 1): its area would be taken away twice');
    expect(reasonOf({ type: 'MultiPolygon', coordinates: [[square(117, 24, 0.001)], [square(116, 23.8, 0.004), square(116.001, 23.801, 0.001), square(116.0005, 23.8005, 0.003)]] }))
      .toBe("geometry has a hole (polygon 2's hole 1) inside another hole (polygon 2's hole 2): its area would be taken away twice");
    // Two holes side by side are two holes.
    expect(reasonOf({ type: 'Polygon', coordinates: [square(116, 23.8, 0.004), square(116.0005, 23.8005, 0.001), square(116.002, 23.802, 0.001)] })).toBe('loads');
  });

  it('finds a ring crossing itself in an outline of any size, past 5,000 positions', () => {
    // A bowtie after one corner written 5,000 times over.
    const repeated = [[116, 23.8], ...Array.from({ length: 5_000 }, () => [116, 23.8]), [116.001, 23.801], [116.001, 23.8], [116, 23.801], [116, 23.8]];
    expect(reasonOf({ type: 'Polygon', coordinates: [repeated] })).toBe(CROSS('[116.0005,23.8005]'));
    // 6,000 distinct positions along the south edge, then a bowtie.
    const edge = Array.from({ length: 6_000 }, (_, i) => [116 + (0.001 * i) / 6_000, 23.8]);
    const bowtie = [...edge, [116.001, 23.8], [116, 23.801], [116.001, 23.801], [116, 23.8]];
    expect(reasonOf({ type: 'Polygon', coordinates: [bowtie] })).toBe(CROSS('[116.0005,23.8005]'));
    // The same without the crossing loads.
    expect(reasonOf({ type: 'Polygon', coordinates: [[...edge, [116.001, 23.8], [116.001, 23.801], [116, 23.801], [116, 23.8]]] })).toBe('loads');
  });

  it('checks a boundary of 100,000 positions whole, quickly', () => {
    const n = 100_000;
    const circle = Array.from({ length: n }, (_, i) => [119.3 + 0.04 * Math.cos((2 * Math.PI * i) / n), 26.08 + 0.04 * Math.sin((2 * Math.PI * i) / n)]);
    const started = Date.now();
    expect(reasonOf({ type: 'Polygon', coordinates: [[...circle, circle[0]]] })).toBe('loads');
    // A corner of it pulled across the far side.
    const pulled = circle.map((p, i) => (i === n / 2 ? [119.3 + 0.05, 26.08] : p));
    expect(reasonOf({ type: 'Polygon', coordinates: [[...pulled, pulled[0]]] })).toMatch(/^geometry has rings that cross or touch at /);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('takes a position repeated in a row as one corner: loaded without the repeat, its area unchanged', () => {
    const once = [[116, 23.8], [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.8]];
    const twice = [[116, 23.8], [116.003, 23.8], [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.803], [116, 23.8], [116, 23.8]];
    const checked = checkGeometry({ type: 'Polygon', coordinates: [twice] });
    expect(checked).toEqual({ ok: true, geometry: { type: 'Polygon', coordinates: [once] } });
    expect(checked.ok && area(checked.geometry)).toBe(area({ type: 'Polygon', coordinates: [once] }));
    const multi = checkGeometry({ type: 'MultiPolygon', coordinates: [[twice], [square(117, 24, 0.001)]] });
    expect(multi).toEqual({ ok: true, geometry: { type: 'MultiPolygon', coordinates: [[once], [square(117, 24, 0.001)]] } });
  });
});

describe('crossingOf', () => {
  /** Every pair of edges compared: what the sweep must agree with. */
  const everyPair = (rings: Position[][]) => {
    const edges = edgesOf(rings);
    return edges.some((e, i) => edges.slice(i + 1).some((f) => meetingOf(e, f) !== null));
  };
  // Rings of corners on a small grid, in their order round a point: mostly simple, with many corners
  // and edges in one line, touching at a corner or along an edge, vertical edges.
  const ring = (size: number) => fc.tuple(fc.float({ min: 0, max: size, noNaN: true }), fc.float({ min: 0, max: size, noNaN: true }),
    fc.array(fc.tuple(fc.integer({ min: 0, max: size }), fc.integer({ min: 0, max: size })), { minLength: 3, maxLength: 9 }))
    .map(([cx, cy, corners]) => {
      const distinct = [...new Map(corners.map((c) => [c.join(), c as Position])).values()];
      distinct.sort((p, q) => Math.atan2(p[1] - cy, p[0] - cx) - Math.atan2(q[1] - cy, q[0] - cx));
      return distinct;
    })
    .filter((corners) => corners.length >= 3)
    .map((corners) => [...corners, corners[0]]);
  const rings = fc.integer({ min: 2, max: 10 }).chain((size) => fc.array(ring(size), { minLength: 1, maxLength: 3 }));

  it('finds a meeting exactly when some pair of edges meets', () => {
    fc.assert(fc.property(rings, (given) => {
      expect(crossingOf(given) !== null).toBe(everyPair(given));
    }), { numRuns: 20_000 });
  });
});
