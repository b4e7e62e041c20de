import type { MultiPolygon, Polygon, Position } from 'geojson';
import area from '@turf/area';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import kinks from '@turf/kinks';

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
  const geometry = { type, coordinates } as AreaGeometry;
  const unsound = shapeProblem(geometry);
  return unsound ? bad(unsound) : { ok: true, geometry };
}

/**
 * Outlines of at most this many positions are checked for rings that cross (@turf/kinks compares
 * every pair of edges: 5,000 positions take about a tenth of a second). Every parcel is under it (a
 * parcel's geometry is at most 64 KB); a surveyed county boundary may not be, and is then checked
 * for the rest only.
 */
const CROSSINGS_CHECKED_UP_TO = 5_000;

/**
 * Why an outline that is well formed still encloses no proper area, or null: a ring with fewer than
 * three distinct positions or all of them on one line (its area is nothing), rings that cross or
 * touch (themselves, each other, or another part's: stricter than OGC, which lets rings touch at a
 * point), a hole outside its outer ring, two parts alike. The
 * area worked out from such an outline would be nothing, negative or counted twice.
 */
function shapeProblem(geometry: AreaGeometry): string | null {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates;
  const where = (p: number, r: number) => `${polygons.length > 1 ? `polygon ${p + 1}'s ` : ''}${r === 0 ? 'outer ring' : `hole ${r}`}`;
  const distinct = (ring: Position[]) => [...new Set(ring.map(([x, y]) => `${x},${y}`))];
  for (const [p, rings] of polygons.entries()) {
    for (const [r, ring] of rings.entries()) {
      if (distinct(ring).length < 3) return `has a ring (${where(p, r)}) of fewer than 3 distinct positions: it encloses nothing`;
    }
  }
  if (positionsOf(geometry).length <= CROSSINGS_CHECKED_UP_TO) {
    const [crossing] = kinks(geometry).features;
    if (crossing) {
      return `has rings that cross or touch at ${JSON.stringify(crossing.geometry.coordinates)}: a ring may neither cross nor touch itself or another ring (a MultiPolygon's parts included)`;
    }
  }
  const outlines = new Set<string>();
  for (const [p, rings] of polygons.entries()) {
    for (const [r, ring] of rings.entries()) {
      if (area({ type: 'Polygon', coordinates: [ring] }) === 0) return `has a ring (${where(p, r)}) whose positions lie on one line: it encloses nothing`;
    }
    const outer: Polygon = { type: 'Polygon', coordinates: [rings[0]] };
    for (let r = 1; r < rings.length; r++) {
      if (!rings[r].every((position) => booleanPointInPolygon(position, outer))) return `has a hole (${where(p, r)}) that is not inside its outer ring`;
    }
    const outline = JSON.stringify(distinct(rings[0]).sort());
    if (outlines.has(outline)) return `has two polygons alike (polygon ${p + 1} repeats an earlier one): its area would be counted twice`;
    outlines.add(outline);
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
