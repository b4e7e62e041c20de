import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Position } from 'geojson';
import { checkDivisionCode } from '../../shared/identifiers';
import { quoted } from '../../shared/text';
import { AreaGeometry, checkGeometry } from './geometry';

/**
 * 自然资源: the department's own surveyed county boundaries, loaded over the seed's synthetic grid
 * (`npm run boundaries -- <file.geojson>`). Codes and names stay the published GB/T 2260 ones; a
 * boundary is what the department alone knows. divisionAt and every later parcel load use them.
 *
 * Policy, as for record loads: a file with any bad feature changes nothing, and every bad feature
 * is reported by its place in the file and its code; a good file is written in one transaction.
 */

/** A county's boundary as read from the file. */
export interface CountyBoundary {
  code: string;
  geometry: AreaGeometry;
}

export interface BoundaryRejection {
  /** 1-based place among the file's features. */
  feature: number;
  code: string | null;
  reasons: string[];
}

export type BoundaryOutcome =
  | { kind: 'complete' }
  /** Bad features: nothing written. */
  | { kind: 'rejected' }
  /** The file itself cannot be read as boundaries: nothing written. */
  | { kind: 'refused'; reason: string }
  /** The store failed: rolled back, nothing written. */
  | { kind: 'failed'; reason: string };

export interface BoundaryReport {
  file: string;
  /** Features read. */
  read: number;
  /** Counties whose boundary is now the file's. */
  loaded: number;
  rejected: BoundaryRejection[];
  outcome: BoundaryOutcome;
}

/** MEDIUMTEXT on MySQL (geo migration 002). */
const BOUNDARY_MAX_BYTES = 16_777_215;

/**
 * CGCS2000 longitude/latitude inside China's extent (73–136 E, 3–54 N). A file in a projected
 * system (metres) or with latitude and longitude swapped would otherwise be stored as given and
 * put every address outside every county.
 */
const CHINA = { west: 73, east: 136, south: 3, north: 54 };

const WHAT_IS_READ = 'a GeoJSON FeatureCollection with one Feature per county: properties.code (or adcode), its GB/T 2260 code; geometry, a Polygon or MultiPolygon in CGCS2000 longitude/latitude';

/** The file's features, or why it is not a file of boundaries at all. */
export function readBoundaryFile(file: string): { features: unknown[] } | { refused: string } {
  if (!/\.(geo)?json$/i.test(file)) return { refused: `${file} is not a .geojson or .json file: ${WHAT_IS_READ}` };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { refused: code === 'ENOENT' ? `there is no file ${file}` : `${file} cannot be read: ${code ?? (error as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { refused: `${file} is not JSON (${(error as Error).message}): ${WHAT_IS_READ}` };
  }
  const { type, features } = (parsed ?? {}) as { type?: unknown; features?: unknown };
  if (type === 'Feature') return { features: [parsed] };
  if (type !== 'FeatureCollection' || !Array.isArray(features)) return { refused: `${file} is not ${WHAT_IS_READ}` };
  if (!features.length) return { refused: `${file} has no features: ${WHAT_IS_READ}` };
  return { features };
}

/** Judges every feature against this store's counties, and writes them all or none. */
export async function loadBoundaries(db: Knex, file: string, features: readonly unknown[], today: string): Promise<BoundaryReport> {
  const report = (outcome: BoundaryOutcome, loaded = 0, rejected: BoundaryRejection[] = []): BoundaryReport => ({ file, read: features.length, loaded, rejected, outcome });
  const codes = features.map(codeOf);
  const levels = new Map<string, string>();
  const wanted = [...new Set(codes.filter((c): c is string => c !== null))];
  for (let i = 0; i < wanted.length; i += 500) {
    for (const row of await db('administrative_divisions').select('code', 'level').whereIn('code', wanted.slice(i, i + 500))) levels.set(row.code, row.level);
  }

  const rejected: BoundaryRejection[] = [];
  const boundaries: CountyBoundary[] = [];
  const firstPlace = new Map<string, number>();
  features.forEach((feature, i) => {
    const judged = judgeFeature(feature, codes[i], levels, firstPlace.get(codes[i] ?? ''));
    if (codes[i] !== null && !firstPlace.has(codes[i]!)) firstPlace.set(codes[i]!, i + 1);
    if ('reasons' in judged) rejected.push({ feature: i + 1, code: codes[i], reasons: judged.reasons });
    else boundaries.push(judged);
  });
  if (rejected.length) return report({ kind: 'rejected' }, 0, rejected);

  const source = `${path.basename(file)}, loaded ${today}`;
  try {
    await db.transaction(async (trx) => {
      for (const { code, geometry } of boundaries) {
        await trx('administrative_divisions').where('code', code).update({ boundary: JSON.stringify(geometry), boundary_source: source, ...extentOf(geometry) });
      }
    });
  } catch (error) {
    return report({ kind: 'failed', reason: (error as Error).message });
  }
  return report({ kind: 'complete' }, boundaries.length);
}

/** properties.code, or adcode as the common published sets name it (often a number). */
function codeOf(feature: unknown): string | null {
  const properties = (feature as { properties?: Record<string, unknown> } | null)?.properties;
  const code = properties?.code ?? properties?.adcode;
  return typeof code === 'string' || typeof code === 'number' ? String(code).trim() : null;
}

function judgeFeature(feature: unknown, code: string | null, levels: ReadonlyMap<string, string>, earlier: number | undefined): CountyBoundary | { reasons: string[] } {
  const reasons: string[] = [];
  if (code === null) reasons.push('properties.code (or adcode) is required: the county\'s GB/T 2260 code');
  else {
    const checked = checkDivisionCode(code);
    const level = levels.get(code);
    if (!checked.ok) reasons.push(`code: ${checked.reason}`);
    else if (!level) reasons.push(`code ${code} is not among this store's administrative divisions (GB/T 2260, loaded by npm run seed -- --only geo)`);
    else if (level !== 'COUNTY') reasons.push(`code ${code} is a ${level}: boundaries are kept for counties, the divisions divisionAt answers`);
    if (earlier !== undefined) reasons.push(`code ${code} is already feature ${earlier} of this file`);
  }
  const checked = checkGeometry((feature as { geometry?: unknown } | null)?.geometry);
  if (!checked.ok) reasons.push(checked.reason);
  else {
    const outside = positionsOf(checked.geometry).find(([lon, lat]) => lon < CHINA.west || lon > CHINA.east || lat < CHINA.south || lat > CHINA.north);
    if (outside) {
      reasons.push(`geometry has a position ${JSON.stringify(outside)} outside China (${CHINA.west}–${CHINA.east} E, ${CHINA.south}–${CHINA.north} N): CGCS2000 longitude first, then latitude, in degrees`);
    } else if (Buffer.byteLength(JSON.stringify(checked.geometry)) > BOUNDARY_MAX_BYTES) {
      reasons.push(`geometry is more than the ${BOUNDARY_MAX_BYTES} bytes a boundary may take: simplify the outline`);
    }
  }
  return reasons.length ? { reasons } : { code: code!, geometry: (checked as { geometry: AreaGeometry }).geometry };
}

function positionsOf(geometry: AreaGeometry): Position[] {
  return (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates).flat(2);
}

/** The bounding box divisionAt narrows its candidates by, in SQL. */
function extentOf(geometry: AreaGeometry) {
  const positions = positionsOf(geometry);
  const longitudes = positions.map((p) => p[0]);
  const latitudes = positions.map((p) => p[1]);
  return {
    min_longitude: longitudes.reduce((a, b) => Math.min(a, b)),
    max_longitude: longitudes.reduce((a, b) => Math.max(a, b)),
    min_latitude: latitudes.reduce((a, b) => Math.min(a, b)),
    max_latitude: latitudes.reduce((a, b) => Math.max(a, b)),
  };
}

/** What `npm run boundaries` prints: each bad feature, then the summary (last). */
export function describeBoundaryReport(report: BoundaryReport): string[] {
  const lines = report.rejected.map((r) => `feature ${r.feature}${r.code ? ` (${quoted(r.code)})` : ''}: ${r.reasons.join('; ')}`);
  const { outcome, read, loaded, file, rejected } = report;
  if (outcome.kind === 'complete') {
    lines.push(`Loaded the boundaries of ${loaded} ${loaded === 1 ? 'county' : 'counties'} from ${file}. divisionAt and later parcel loads use them; parcels loaded before are not judged again.`);
  } else if (outcome.kind === 'rejected') {
    lines.push(`Nothing loaded: ${rejected.length} of ${read} features rejected. A file with any bad feature changes no boundary; fix the features above and load it again.`);
  } else {
    lines.push(`Nothing loaded: ${outcome.reason}`);
  }
  return lines;
}
