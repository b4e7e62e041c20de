import type { MultiPolygon, Polygon, Position } from 'geojson';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';

/** A parcel's outline, or a division's boundary. */
export type AreaGeometry = Polygon | MultiPolygon;

/** Why a value is not a GeoJSON (Multi)Polygon in longitude/latitude, or the geometry itself. */
export function checkGeometry(value: unknown): { ok: true; geometry: AreaGeometry } | { ok: false; reason: string } {
  const bad = (reason: string) => ({ ok: false as const, reason: `geometry ${reason}` });
  if (!value || typeof value !== 'object') return bad('must be a GeoJSON Polygon or MultiPolygon object');
  const { type, coordinates, ...others } = value as { type?: unknown; coordinates?: unknown; bbox?: unknown };
  if (type !== 'Polygon' && type !== 'MultiPolygon') return bad(`must be a Polygon or MultiPolygon, not ${JSON.stringify(type)}`);
  // Only type and coordinates are kept, so any other member would be dropped unread: a crs naming
  // another coordinate system would load its numbers as CGCS2000 degrees. A bbox (RFC 7946) only
  // repeats the extent of the coordinates, which is worked out from them, so it is passed over.
  const unread = Object.keys(others).filter((member) => member !== 'bbox');
  if (unread.length) {
    const members = `${unread.length > 1 ? 'members' : 'a member'} ${unread.join(', ')}`;
    return bad(`has ${members} that would not be read: a geometry is its type and coordinates (a bbox is passed over), in CGCS2000 longitude/latitude; convert one in another coordinate system first`);
  }
  const polygons = (type === 'Polygon' ? [coordinates] : coordinates) as unknown;
  if (!Array.isArray(polygons) || polygons.length === 0) return bad('has no coordinates');
  for (const rings of polygons) {
    if (!Array.isArray(rings) || rings.length === 0) return bad('has a polygon without rings');
    for (const ring of rings) {
      if (!Array.isArray(ring) || ring.length < 4) return bad('has a ring of fewer than 4 positions');
      for (const p of ring) {
        if (!Array.isArray(p) || p.length < 2 || !p.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          return bad(`has a position that is not [longitude, latitude]: ${JSON.stringify(p)}`);
        }
        if (Math.abs(p[0]) > 180 || Math.abs(p[1]) > 90) {
          // A latitude past 90 is nearly always a longitude written second (or metres of a projected system).
          return bad(`has a position outside longitude/latitude: ${JSON.stringify(p)}: longitude first, then latitude, in degrees (CGCS2000)`);
        }
      }
      const [first, last] = [ring[0], ring[ring.length - 1]] as Position[];
      if (first[0] !== last[0] || first[1] !== last[1]) return bad('has a ring that does not end where it begins');
    }
  }
  // A position repeated in a row (as survey and CAD exports write a corner twice) is one corner: it
  // is kept once, the stored outline without the repeat, and the area is the same.
  const once = (polygons as Position[][][]).map((rings) => rings.map((ring) => ring.filter((p, i) => i === 0 || p[0] !== ring[i - 1][0] || p[1] !== ring[i - 1][1])));
  const geometry = { type, coordinates: type === 'Polygon' ? once[0] : once } as AreaGeometry;
  const unsound = shapeProblem(geometry);
  return unsound ? bad(unsound) : { ok: true, geometry };
}

/**
 * Why an outline that is well formed still encloses no proper area, or null: a ring with fewer than
 * three distinct positions or all of them on one line (its area is nothing), rings that cross or
 * touch (themselves, each other, or another part's: stricter than OGC, which lets rings touch at a
 * point), a hole outside its outer ring or inside another hole, a part inside another part (two
 * parts alike included). The area worked out from such an outline would be nothing, negative or
 * counted twice. Crossings are looked for in every outline, whatever its size (`crossingOf`).
 */
function shapeProblem(geometry: AreaGeometry): string | null {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const where = (p: number, r: number) => `${polygons.length > 1 ? `polygon ${p + 1}'s ` : ''}${r === 0 ? 'outer ring' : `hole ${r}`}`;
  const distinct = (ring: Position[]) => [...new Set(ring.map(([x, y]) => `${x},${y}`))];
  for (const [p, rings] of polygons.entries()) {
    for (const [r, ring] of rings.entries()) {
      if (distinct(ring).length < 3) return `has a ring (${where(p, r)}) of fewer than 3 distinct positions: it encloses nothing`;
      // Before the crossings: a ring in one line also turns back along itself, and this says better what is wrong.
      if (inOneLine(ring)) return `has a ring (${where(p, r)}) whose positions lie on one line: it encloses nothing`;
    }
  }
  // Before the crossings: two parts alike also touch everywhere, and this says better what is wrong.
  const outlines = new Set<string>();
  for (const [p, rings] of polygons.entries()) {
    const outline = JSON.stringify(distinct(rings[0]).sort());
    if (outlines.has(outline)) return `has two polygons alike (polygon ${p + 1} repeats an earlier one): its area would be counted twice`;
    outlines.add(outline);
  }
  const crossing = crossingOf(polygons.flat());
  if (crossing) {
    return `has rings that cross or touch at ${JSON.stringify(crossing)}: a ring may neither cross nor touch itself or another ring (a MultiPolygon's parts included)`;
  }
  // No two rings cross or touch, so a ring lies wholly inside or wholly outside another, as any one
  // of its positions does.
  // The extents first: most rings are far from most others, and are passed over without a look.
  const extents = polygons.map((rings) => rings.map(extentOfRing));
  const inside = ([p, r]: [number, number], around: Position[][], [q, s]: [number, number]) =>
    within(extents[p][r], extents[q][s]) && booleanPointInPolygon(polygons[p][r][0], { type: 'Polygon', coordinates: around });
  for (const [p, rings] of polygons.entries()) {
    for (let r = 1; r < rings.length; r++) {
      if (!inside([p, r], [rings[0]], [p, 0])) return `has a hole (${where(p, r)}) that is not inside its outer ring`;
    }
    for (let r = 1; r < rings.length; r++) {
      for (let s = 1; s < rings.length; s++) {
        if (s !== r && inside([p, s], [rings[r]], [p, r])) {
          return `has a hole (${where(p, s)}) inside another hole (${where(p, r)}): its area would be taken away twice`;
        }
      }
    }
  }
  // A part inside another's hole is an island in a lake, and fine; inside its area, counted twice.
  for (let p = 0; p < polygons.length; p++) {
    for (let q = 0; q < polygons.length; q++) {
      if (q !== p && inside([p, 0], polygons[q], [q, 0])) return `has a polygon inside another (polygon ${p + 1} lies inside polygon ${q + 1}): its area would be counted twice`;
    }
  }
  return null;
}

/** Every position of the ring on the line through its first two distinct ones. */
function inOneLine(ring: Position[]): boolean {
  const [first] = ring;
  const second = ring.find((p) => p[0] !== first[0] || p[1] !== first[1]);
  return !second || ring.every((p) => orient(first, second, p) === 0);
}

type Extent = [west: number, south: number, east: number, north: number];

function extentOfRing(ring: Position[]): Extent {
  const extent: Extent = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of ring) {
    if (x < extent[0]) extent[0] = x;
    if (y < extent[1]) extent[1] = y;
    if (x > extent[2]) extent[2] = x;
    if (y > extent[3]) extent[3] = y;
  }
  return extent;
}

const within = (a: Extent, b: Extent) => a[0] >= b[0] && a[1] >= b[1] && a[2] <= b[2] && a[3] <= b[3];

/** An edge of a ring, from its lower end to its higher (by longitude, then latitude). */
interface Edge {
  a: Position;
  b: Position;
  ring: number;
  /** Its place in its ring, of `count` edges. */
  index: number;
  count: number;
}

const samePlace = (p: Position, q: Position) => p[0] === q[0] && p[1] === q[1];
const before = (p: Position, q: Position) => p[0] - q[0] || p[1] - q[1];
/** > 0 when r lies to the left of the line from p to q (above it, for an edge drawn rightwards), 0 on it. */
const orient = (p: Position, q: Position, r: Position) => (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]);
/** r, known to lie on the line of edge e, lies on the edge itself. */
const onEdge = (e: Edge, r: Position) =>
  Math.min(e.a[0], e.b[0]) <= r[0] && r[0] <= Math.max(e.a[0], e.b[0]) && Math.min(e.a[1], e.b[1]) <= r[1] && r[1] <= Math.max(e.a[1], e.b[1]);

/**
 * Where edges e and f meet when they may not, or null. Two edges that follow each other in a ring
 * meet at their shared corner and nowhere else (or the ring turns back along itself); any other two
 * may not meet at all, crossing or touching.
 */
export function meetingOf(e: Edge, f: Edge): Position | null {
  const o1 = orient(e.a, e.b, f.a);
  const o2 = orient(e.a, e.b, f.b);
  const o3 = orient(f.a, f.b, e.a);
  const o4 = orient(f.a, f.b, e.b);
  const adjacent = e.ring === f.ring && (Math.abs(e.index - f.index) === 1 || Math.abs(e.index - f.index) === e.count - 1);
  if (adjacent) {
    if (o1 !== 0 || o2 !== 0) return null;
    // In one line: the far end of either lying on the other is the ring turning back along itself.
    const shared = samePlace(e.a, f.a) || samePlace(e.a, f.b) ? e.a : e.b;
    const eFar = samePlace(shared, e.a) ? e.b : e.a;
    const fFar = samePlace(shared, f.a) ? f.b : f.a;
    if (onEdge(f, eFar)) return eFar;
    if (onEdge(e, fFar)) return fFar;
    return null;
  }
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) {
    const [[x1, y1], [x2, y2], [x3, y3], [x4, y4]] = [e.a, e.b, f.a, f.b];
    const t = ((x4 - x3) * (y1 - y3) - (y4 - y3) * (x1 - x3)) / ((y4 - y3) * (x2 - x1) - (x4 - x3) * (y2 - y1));
    return [x1 + t * (x2 - x1), y1 + t * (y2 - y1)];
  }
  if (o1 === 0 && onEdge(e, f.a)) return f.a;
  if (o2 === 0 && onEdge(e, f.b)) return f.b;
  if (o3 === 0 && onEdge(f, e.a)) return e.a;
  if (o4 === 0 && onEdge(f, e.b)) return e.b;
  return null;
}

/** The edges of these rings (closed, no position repeated in a row). */
export function edgesOf(rings: readonly Position[][]): Edge[] {
  return rings.flatMap((ring, r) => ring.slice(1).map((end, i) => {
    const [a, b] = before(ring[i], end) <= 0 ? [ring[i], end] : [end, ring[i]];
    return { a, b, ring: r, index: i, count: ring.length - 1 };
  }));
}

/**
 * A place where rings cross or touch (themselves or each other), or null. A corner found twice is
 * one (two rings, or one ring twice, through the same point); then a sweep from west to east keeps
 * the edges it is within in their order from south to north, and compares each edge with its
 * neighbours there only, as they change (Shamos and Hoey): the first meeting is between two edges
 * that were neighbours before the sweep reached it. O(n log n) comparisons for n edges (the open
 * edges are an array: inserting moves as many as a north-south line meets, a handful in a real
 * outline), so any outline a column or a boundary holds is checked whole: some 0.2 s for 100,000.
 */
export function crossingOf(rings: readonly Position[][]): Position | null {
  const corners = new Set<string>();
  for (const ring of rings) {
    for (const p of ring.slice(0, -1)) {
      const key = `${p[0]},${p[1]}`;
      if (corners.has(key)) return p.slice(0, 2);
      corners.add(key);
    }
  }
  const edges = edgesOf(rings);
  // Each edge's two ends, west to east (then south to north); at a point, ends before beginnings, so
  // that the two edges of a corner passed through are never compared there.
  const events: { at: Position; edge: Edge; begins: boolean }[] = [];
  for (const edge of edges) events.push({ at: edge.a, edge, begins: true }, { at: edge.b, edge, begins: false });
  events.sort((x, y) => before(x.at, y.at) || Number(x.begins) - Number(y.begins));
  const open: Edge[] = [];
  const check = (i: number, j: number) => (i >= 0 && j < open.length ? meetingOf(open[i], open[j]) : null);
  for (const { edge, begins } of events) {
    if (begins) {
      // The first open edge above where this one begins (or leaves from, when it begins on one).
      let low = 0;
      let high = open.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        const s = open[middle];
        const side = orient(s.a, s.b, edge.a) || orient(s.a, s.b, edge.b);
        if (side >= 0) low = middle + 1;
        else high = middle;
      }
      open.splice(low, 0, edge);
      const met = check(low - 1, low) ?? check(low, low + 1);
      if (met) return met;
    } else {
      const i = open.indexOf(edge);
      open.splice(i, 1);
      const met = check(i - 1, i);
      if (met) return met;
    }
  }
  return null;
}

/** Every position of the outline, its rings' and polygons' alike. */
export function positionsOf(geometry: AreaGeometry): Position[] {
  return (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates).flat(2);
}

/** The first corner of `outline` that lies outside `boundary` (on its line counts as inside), if any. */
export function cornerOutside(outline: AreaGeometry, boundary: AreaGeometry): Position | undefined {
  return positionsOf(outline).find((p) => !booleanPointInPolygon(p, boundary));
}
