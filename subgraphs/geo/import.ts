import type { Knex } from 'knex';
import area from '@turf/area';
import { checkParcelCode } from '../../shared/identifiers';
import { AreaGeometry, checkGeometry, cornerOutside } from './geometry';
import { SYNTHETIC_BOUNDARY } from './migrations/002_boundaries_loadable';
import { checkCountyCode, ImportRules, insertRows, Judged, rowsInTable, RawRecord, recordFields, validKey, keysInTable } from '../../shared/importing';

export interface LandParcelRow {
  parcel_code: string;
  division_code: string;
  land_use_code: string;
  land_use: string;
  area_square_metres: number;
  right_type: string;
  geometry: string;
}

/** The most a stored geometry may take: its column is a TEXT, 65,535 bytes on MySQL. */
const GEOMETRY_MAX_BYTES = 65_535;

/** A record shaped like an administrative division rather than a parcel. */
const DIVISION_FIELDS = ['code', 'level', 'parent', 'parentCode', 'boundary'];

/**
 * One land parcel. The county comes from the parcelCode itself (its first six digits); the
 * divisions are this department's own store, so the county is looked up and the parcel must lie
 * inside its boundary.
 */
export function judgeLandParcel(record: RawRecord): Judged<LandParcelRow> {
  const f = recordFields(record);
  const parcelCode = f.identifier('parcelCode', checkParcelCode);
  const divisionCode = f.optional('divisionCode', (n) => f.identifier(n, checkCountyCode));
  const landUseCode = f.text('landUseCode', 4);
  const landUse = f.text('landUse', 20);
  const givenArea = f.optional('areaSquareMetres', (n) => f.amount(n, { above: true }));
  const rightType = f.text('rightType', 30);
  const geometryValue = f.json('geometry');

  if (f.valid('landUseCode') && !/^\d{4}$/.test(landUseCode)) f.complain(`landUseCode must be a 4-digit GB/T 21010 class, not "${landUseCode}"`);
  if (divisionCode !== null && f.valid('parcelCode', 'divisionCode') && divisionCode !== parcelCode.slice(0, 6)) {
    f.complain(`divisionCode ${divisionCode} disagrees with the parcelCode, which begins with ${parcelCode.slice(0, 6)}`);
  }
  let geometry: AreaGeometry | undefined;
  if (f.valid('geometry')) {
    const checked = checkGeometry(geometryValue);
    if (!checked.ok) f.complain(checked.reason, 'geometry');
    else if (Buffer.byteLength(JSON.stringify(checked.geometry)) > GEOMETRY_MAX_BYTES) {
      f.complain(`geometry is ${Buffer.byteLength(JSON.stringify(checked.geometry))} bytes as stored, more than the ${GEOMETRY_MAX_BYTES} its column holds: simplify the outline`, 'geometry');
    } else geometry = checked.geometry;
  }

  return f.result(() => ({
    parcel_code: parcelCode,
    division_code: parcelCode.slice(0, 6),
    land_use_code: landUseCode,
    land_use: landUse,
    area_square_metres: givenArea ?? Math.round(area(geometry!) * 100) / 100,
    right_type: rightType,
    geometry: JSON.stringify(geometry),
  }));
}

/** The parcel's county must be in this store, and every corner of the parcel inside its boundary. */
async function checkCounties(db: Knex, rows: readonly LandParcelRow[]): Promise<string[][]> {
  const codes = [...new Set(rows.map((r) => r.division_code))];
  // Each county's boundary parsed once a batch: a surveyed one may take a megabyte.
  const counties = new Map<string, { boundary: AreaGeometry | null; source: string | null }>();
  for (const row of await db('administrative_divisions').select('code', 'boundary', 'boundary_source').where('level', 'COUNTY').whereIn('code', codes)) {
    counties.set(row.code, { boundary: row.boundary ? (JSON.parse(row.boundary) as AreaGeometry) : null, source: row.boundary_source });
  }
  return rows.map((row) => {
    const county = counties.get(row.division_code);
    if (!county) {
      return [`county ${row.division_code} is not among this store's administrative divisions (seed them first: npm run seed -- --only geo)`];
    }
    const boundary = county.boundary;
    if (!boundary) return [];
    const outside = cornerOutside(JSON.parse(row.geometry) as AreaGeometry, boundary);
    // The boundaries the seed writes are a synthetic grid (seed.ts): say so, or a real parcel refused
    // for lying outside an invented rectangle looks like bad data.
    const whose = county.source === SYNTHETIC_BOUNDARY || county.source === null
      ? 'the seed\'s synthetic grid cell, not the surveyed boundary: load the surveyed ones with npm run boundaries (README, "The seed data")'
      : `loaded from ${county.source}`;
    return outside ? [`geometry has a corner ${JSON.stringify(outside)} outside county ${row.division_code}'s boundary as this store holds it (${whose})`] : [];
  });
}

/**
 * 空间地理库 loads land parcels into land_parcels. Administrative divisions are reference data
 * (GB/T 2260, maintained by the seed), not importable.
 */
export const landParcelImport: ImportRules<LandParcelRow> = {
  entity: 'land parcels',
  keyField: 'parcelCode',
  fields: {
    required: ['parcelCode', 'landUseCode', 'landUse', 'rightType', 'geometry'],
    optional: ['divisionCode', 'areaSquareMetres'],
  },
  refuse(fields) {
    if (fields.includes('parcelCode') || !fields.some((f) => DIVISION_FIELDS.includes(f))) return undefined;
    return 'administrative divisions are reference data (the published GB/T 2260 codes, loaded by npm run seed), not importable: geo imports land parcels only';
  },
  judge: judgeLandParcel,
  keyOf: (row) => row.parcel_code,
  storedRows: (db, rows) => rowsInTable(db, 'land_parcels', 'parcel_code', rows),
  keyOfRecord: (record) => validKey(record, 'parcelCode', checkParcelCode),
  storedKeys: (db, keys) => keysInTable(db, 'land_parcels', 'parcel_code', keys),
  checkInStore: checkCounties,
  insert: (db, rows) => insertRows(db, 'land_parcels', rows),
};
