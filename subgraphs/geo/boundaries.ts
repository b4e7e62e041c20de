import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { checkDivisionCode } from '../../shared/identifiers';
import { quoted } from '../../shared/text';
import { AreaGeometry, checkGeometry, positionsOf } from './geometry';

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

/**
 * The most one county's boundary may take as stored: a megabyte, some 30,000 positions, finer than
 * any service use of a county outline (the parcel test, a map). Served processes run in a heap of
 * 192 MB: with 16 MB outlines (what MEDIUMTEXT would hold) one query for a city's counties ran the
 * geo subgraph out of memory. A surveyed outline finer than this is simplified before loading.
 */
export const BOUNDARY_MAX_BYTES = 1_000_000;

/**
 * CGCS2000 longitude/latitude inside China's extent (73–136 E, 3–54 N). A file in a projected
 * system (metres) or with latitude and longitude swapped would otherwise be stored as given and
 * put every address outside every county.
 */
const CHINA = { west: 73, east: 136, south: 3, north: 54 };

const WHAT_IS_READ = 'a GeoJSON FeatureCollection with one Feature per county: properties.code (or adcode, or XZQDM), its GB/T 2260 code; geometry, a Polygon or MultiPolygon in CGCS2000 longitude/latitude';

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
  const stored = new Map<string, StoredDivision>();
  const wanted = [...new Set(codes.filter((c): c is string => c !== null))];
  for (let i = 0; i < wanted.length; i += 500) {
    for (const row of await db('administrative_divisions').select('code', 'level', 'name').whereIn('code', wanted.slice(i, i + 500))) stored.set(row.code, row);
  }

  const rejected: BoundaryRejection[] = [];
  const boundaries: CountyBoundary[] = [];
  const firstPlace = new Map<string, number>();
  features.forEach((feature, i) => {
    const judged = judgeFeature(feature, codes[i], stored, firstPlace.get(codes[i] ?? ''));
    if (codes[i] !== null && !firstPlace.has(codes[i]!)) firstPlace.set(codes[i]!, i + 1);
    if ('reasons' in judged) rejected.push({ feature: i + 1, code: codes[i], reasons: judged.reasons });
    else boundaries.push(judged);
  });
  if (rejected.length) return report({ kind: 'rejected' }, 0, rejected);

  // Cut to fit its column (200): a file's name is as long as its maker wrote it.
  const source = `${path.basename(file).slice(0, 150)} (${today})`;
  try {
    await db.transaction(async (trx) => {
      for (const { code, geometry } of boundaries) {
        await trx('administrative_divisions').where('code', code).update({ boundary: JSON.stringify(geometry), boundary_source: source, ...extentOf(geometry) });
      }
    });
  } catch (error) {
    // The driver's message quotes the whole statement, outline and all: the server's own words only.
    const { sqlMessage, code } = error as { sqlMessage?: string; code?: string };
    return report({ kind: 'failed', reason: `the store refused the boundaries: ${sqlMessage ?? code ?? (error as Error).message.slice(0, 200)}` });
  }
  return report({ kind: 'complete' }, boundaries.length);
}

interface StoredDivision {
  code: string;
  level: string;
  name: string;
}

const propertiesOf = (feature: unknown) => (feature as { properties?: Record<string, unknown> | null } | null)?.properties ?? {};

/**
 * properties.code; adcode, as the common published sets name it (often a number); XZQDM (行政区代码),
 * as the land-survey data standard does.
 */
function codeOf(feature: unknown): string | null {
  const { code, adcode, XZQDM } = propertiesOf(feature);
  const given = code ?? adcode ?? XZQDM;
  return typeof given === 'string' || typeof given === 'number' ? String(given).trim() : null;
}

/** The name the file gives the county (name, or XZQMC), if any. */
function nameOf(feature: unknown): string | null {
  const { name, XZQMC } = propertiesOf(feature);
  const given = name ?? XZQMC;
  return typeof given === 'string' && given.trim() ? given.trim() : null;
}

function judgeFeature(feature: unknown, code: string | null, stored: ReadonlyMap<string, StoredDivision>, earlier: number | undefined): CountyBoundary | { reasons: string[] } {
  const reasons: string[] = [];
  if (code === null) reasons.push('properties.code (or adcode, or XZQDM) is required: the county\'s GB/T 2260 code');
  else {
    const checked = checkDivisionCode(code);
    const division = stored.get(code);
    const name = nameOf(feature);
    if (!checked.ok) reasons.push(`code: ${checked.reason}`);
    else if (!division) reasons.push(`code ${code} is not among this store's administrative divisions (GB/T 2260, loaded by npm run seed -- --only geo)`);
    else if (division.level !== 'COUNTY') reasons.push(`code ${code} is a ${division.level}: boundaries are kept for counties, the divisions divisionAt answers`);
    // A name that is not the code's says the codes and outlines of the file were paired wrongly.
    else if (name && name !== division.name) reasons.push(`the file names ${code} ${quoted(name)}, GB/T 2260 names it ${quoted(division.name)}: is the code the right one? (leave the name out to load it by code alone)`);
    if (earlier !== undefined) reasons.push(`code ${code} is already feature ${earlier} of this file`);
  }
  const geometry = (feature as { geometry?: unknown } | null)?.geometry;
  const checked = checkGeometry(geometry);
  if (geometry === null) reasons.push('geometry is null (a feature without a place): give the county\'s boundary, or leave the feature out (the county keeps the one it has)');
  else if (!checked.ok) reasons.push(checked.reason);
  else {
    const outside = positionsOf(checked.geometry).find(([lon, lat]) => lon < CHINA.west || lon > CHINA.east || lat < CHINA.south || lat > CHINA.north);
    if (outside) {
      reasons.push(`geometry has a position ${JSON.stringify(outside)} outside China (${CHINA.west}–${CHINA.east} E, ${CHINA.south}–${CHINA.north} N): CGCS2000 longitude first, then latitude, in degrees`);
    } else if (Buffer.byteLength(JSON.stringify(checked.geometry)) > BOUNDARY_MAX_BYTES) {
      reasons.push(`geometry is ${Buffer.byteLength(JSON.stringify(checked.geometry))} bytes as stored, more than the ${BOUNDARY_MAX_BYTES} a boundary may take: simplify the outline (to some 30,000 positions) before loading it`);
    }
  }
  return reasons.length ? { reasons } : { code: code!, geometry: (checked as { geometry: AreaGeometry }).geometry };
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
