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
  return { ok: true, geometry: { type, coordinates } as AreaGeometry };
}

/** Every position of the outline, its rings' and polygons' alike. */
export function positionsOf(geometry: AreaGeometry): Position[] {
  return (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates).flat(2);
}

/** The first corner of `outline` that lies outside `boundary` (on its line counts as inside), if any. */
export function cornerOutside(outline: AreaGeometry, boundary: AreaGeometry): Position | undefined {
  return positionsOf(outline).find((p) => !booleanPointInPolygon(p, boundary));
}
