import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Position } from 'geojson';
import { checkDivisionCode } from '../../shared/identifiers';
import { quoted } from '../../shared/text';
import { ImportProgress, silentProgress, wholeFileText } from '../../shared/importing';
import { AreaGeometry, checkGeometry, cornerOutside, positionsOf } from './geometry';

/**
 * 自然资源: the department's own surveyed county boundaries, loaded over the seed's synthetic grid
 * (`npm run boundaries -- <file.geojson>`). Codes and names stay the published GB/T 2260 ones; a
 * boundary is what the department alone knows. divisionAt and every later parcel load use them.
 *
 * Policy, as for record loads: a file with any bad feature changes nothing, and every bad feature
 * is reported by its place in the file and its code; a good file is written in one transaction.
 * The parcels already stored in a county are then judged against its new boundary, and those it
 * leaves outside are reported, not removed (`StrayParcel`).
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

/**
 * A stored parcel with a corner outside its county's boundary as just loaded. It was judged by the
 * boundary of its day (a grid cell, an earlier survey); the register keeps it, since one of three is
 * wrong and only the department can tell which: the parcel's outline, its code (whose first six
 * digits are its county), or the survey.
 */
export interface StrayParcel {
  parcelCode: string;
  county: string;
  /** The first corner found outside. */
  corner: Position;
}

export interface BoundaryReport {
  file: string;
  /** Features read. */
  read: number;
  /** Counties whose boundary is now the file's. */
  loaded: number;
  rejected: BoundaryRejection[];
  /** Once loaded: the parcels stored in those counties, judged against their new boundary. */
  parcels: StoredParcelsJudged | null;
  outcome: BoundaryOutcome;
  /** Judged as a load would be, and nothing written (`complete`: the boundaries would load). */
  dryRun: boolean;
}

/**
 * What judging the stored parcels found. A register holds hundreds of thousands of parcels and a
 * survey may leave most of a county's outside: the report counts them all and lists only the first.
 */
export type StoredParcelsJudged =
  | {
      kind: 'judged';
      judged: number;
      /** How many the new boundaries leave outside, by county (only counties with any). */
      outsideByCounty: Record<string, number>;
      /** The first `STRAY_PARCELS_LISTED` of them, county by county in the file's order, by parcel code. */
      firstOutside: StrayParcel[];
    }
  /** The boundaries are stored (or, in a dry run, would be), but the store failed while the parcels were read. */
  | { kind: 'not judged'; reason: string };

export interface BoundaryLoadOptions {
  /** The day the boundaries are loaded, named in their source. */
  today: string;
  /** How many of the stored parcels have been judged against the new boundaries. */
  progress?: ImportProgress;
  /** Judge the file and the stored parcels, write nothing. */
  dryRun?: boolean;
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
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { refused: code === 'ENOENT' ? `there is no file ${file}` : `${file} cannot be read: ${code ?? (error as Error).message}` };
  }
  // Read as `npm run import` reads a file: GBK or Latin-1 would turn every name into U+FFFD, and
  // each feature would then be rejected for a name that is not its code's.
  const text = wholeFileText(file, bytes);
  if ('refused' in text) return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.text);
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
export async function loadBoundaries(db: Knex, file: string, features: readonly unknown[], options: BoundaryLoadOptions): Promise<BoundaryReport> {
  const { today, progress = silentProgress, dryRun = false } = options;
  const report = (outcome: BoundaryOutcome, loaded = 0, rejected: BoundaryRejection[] = [], parcels: StoredParcelsJudged | null = null): BoundaryReport => ({
    file, read: features.length, loaded, rejected, parcels, outcome, dryRun,
  });
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
      // A dry run writes as a load does, so that the store's own refusals speak too, and keeps nothing.
      if (dryRun) throw DRY_RUN;
    });
  } catch (error) {
    if (error !== DRY_RUN) return report({ kind: 'failed', reason: `the store refused the boundaries: ${storeMessage(error)}` });
  }
  // Written (or, in a dry run, written and rolled back): the stored parcels against the new boundaries.
  // The boundaries are in by now: a store failing here must not make the report say otherwise.
  let parcels: StoredParcelsJudged;
  try {
    parcels = await judgeStoredParcels(db, boundaries, progress);
  } catch (error) {
    parcels = { kind: 'not judged', reason: storeMessage(error) };
  } finally {
    progress.stop();
  }
  return report({ kind: 'complete' }, boundaries.length, [], parcels);
}

/**
 * The store's own words. knex's message is the whole statement, outline and all, then " - " and
 * the driver's message; mysql2 also gives the server's alone (sqlMessage).
 */
function storeMessage(error: unknown): string {
  const { sqlMessage, message } = error as { sqlMessage?: string; message?: string };
  const text = sqlMessage ?? String(message ?? error);
  const cut = text.lastIndexOf(' - ');
  return (cut < 0 ? text : text.slice(cut + 3)).slice(0, 200);
}

/** Thrown to roll a dry run's transaction back. */
const DRY_RUN = Symbol('dry run');

/** Parcels read a page at a time: a county's register is not held in memory at once. */
const PARCEL_PAGE = 1000;

/** The stray parcels a report lists one by one (`npm run boundaries` prints them); it counts them all, by county. */
export const STRAY_PARCELS_LISTED = 20;

/**
 * Every parcel stored in the counties just loaded, judged by the same rule a parcel load applies
 * (every corner inside its county's boundary), a county at a time and a page at a time by parcel
 * code: one outline and a thousand parcels in memory, however large the register.
 */
async function judgeStoredParcels(db: Knex, boundaries: readonly CountyBoundary[], progress: ImportProgress): Promise<StoredParcelsJudged> {
  const found = { kind: 'judged' as const, judged: 0, outsideByCounty: {} as Record<string, number>, firstOutside: [] as StrayParcel[] };
  const counts = await db('land_parcels').select('division_code').count({ n: '*' }).whereIn('division_code', boundaries.map((b) => b.code)).groupBy('division_code');
  progress.start(counts.reduce((sum, c) => sum + Number(c.n), 0));
  for (const { code, geometry } of boundaries) {
    for (let after = ''; ;) {
      const page: { parcel_code: string; geometry: string }[] = await db('land_parcels').select('parcel_code', 'geometry')
        .where('division_code', code).andWhere('parcel_code', '>', after).orderBy('parcel_code').limit(PARCEL_PAGE);
      for (const parcel of page) {
        const corner = cornerOutside(JSON.parse(parcel.geometry) as AreaGeometry, geometry);
        if (!corner) continue;
        found.outsideByCounty[code] = (found.outsideByCounty[code] ?? 0) + 1;
        if (found.firstOutside.length < STRAY_PARCELS_LISTED) found.firstOutside.push({ parcelCode: parcel.parcel_code, county: code, corner });
      }
      found.judged += page.length;
      progress.update(found.judged);
      if (page.length < PARCEL_PAGE) break;
      after = page[page.length - 1].parcel_code;
    }
  }
  return found;
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

/** What `npm run boundaries` prints: each bad feature or stray parcel, then the summary (last). */
export function describeBoundaryReport(report: BoundaryReport): string[] {
  const lines = report.rejected.map((r) => `feature ${r.feature}${r.code ? ` (${quoted(r.code)})` : ''}: ${r.reasons.join('; ')}`);
  const { outcome, read, loaded, file, rejected, parcels, dryRun } = report;
  const nothing = dryRun ? 'Dry run: a load would load nothing' : 'Nothing loaded';
  if (outcome.kind === 'rejected') {
    lines.push(`${nothing}: ${rejected.length} of ${read} features rejected. A file with any bad feature changes no boundary; fix the features above and load it again.`);
    return lines;
  }
  if (outcome.kind !== 'complete') {
    lines.push(`${nothing}: ${outcome.reason}`);
    return lines;
  }
  const boundary = dryRun ? 'as the file draws it' : 'as now loaded';
  let judged: string;
  if (!parcels || parcels.kind === 'not judged') {
    judged = `the parcels already stored in them could not be judged against it (${parcels?.reason ?? 'not read'}): once the store answers again, run the command again to judge them`;
  } else {
    for (const p of parcels.firstOutside) lines.push(`parcel ${p.parcelCode}: corner ${JSON.stringify(p.corner)} lies outside county ${p.county}'s boundary ${boundary}`);
    const outside = Object.values(parcels.outsideByCounty).reduce((a, b) => a + b, 0);
    const stored = parcels.judged === 1 ? 'the 1 parcel stored in them' : `the ${parcels.judged} parcels stored in them`;
    judged = `the parcels already stored were judged against their county's new boundary: `;
    if (!parcels.judged) judged += 'none is stored in them yet.';
    else if (!outside) judged += `none of ${stored} lies outside it.`;
    else {
      const listed = outside > parcels.firstOutside.length ? `the first ${parcels.firstOutside.length} listed above` : 'listed above';
      const byCounty = Object.entries(parcels.outsideByCounty).map(([county, n]) => `${county}: ${n}`).join(', ');
      const which = outside < parcels.judged ? `${outside} of ${stored}` : outside === 1 ? stored : `all ${outside} parcels stored in them`;
      judged += `${which} ${dryRun ? 'would lie' : outside === 1 ? 'now lies' : 'now lie'} outside it (${byCounty}; ${listed}). ` +
        'They stay in the register: correct each outline or parcel code, or check the survey.';
    }
  }
  const counties = `${loaded} ${loaded === 1 ? 'county' : 'counties'}`;
  lines.push(dryRun
    ? `Dry run: the boundaries of ${counties} from ${file} would load, and nothing was changed; ${judged}`
    : `Loaded the boundaries of ${counties} from ${file}. divisionAt and later parcel loads use them; ${judged}`);
  return lines;
}
