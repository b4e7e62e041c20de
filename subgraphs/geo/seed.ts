import type { Knex } from 'knex';
import type { Polygon } from 'geojson';
import area from '@turf/area';
import { fillTable, FillTable } from '../../shared/seed/fill';
import { recordSeed, seedChecks } from '../../shared/seed/runs';
import { parcelFacts } from '../../shared/seed/population';
import { COUNTIES, DIVISIONS } from '../../shared/seed/province';
import { dice } from '../../shared/seed/random';
import type { SeedPlan, SeedProgress } from '../../shared/subgraph-server';
import { SYNTHETIC_BOUNDARY } from './migrations/002_boundaries_loadable';

/**
 * County boundaries are synthetic: no published GB/T 2260 boundary set can be installed from the
 * npm registry, so the province's bounding box (Fujian, 115.85-120.65 E, 23.55-28.30 N) is cut
 * into a grid and each county, in code order, takes one cell (snaking, so a city's counties
 * stay neighbours). Codes and names are real; shapes are not.
 */
const WEST = 115.85;
const SOUTH = 23.55;
const COLUMNS = 10;
const CELL_WIDTH = 0.48;
const CELL_HEIGHT = (28.3 - SOUTH) / Math.ceil(COUNTIES.length / COLUMNS);

export function countyCell(countyCode: string): { west: number; south: number; east: number; north: number } {
  const index = COUNTIES.findIndex((c) => c.code === countyCode);
  const row = Math.floor(index / COLUMNS);
  const column = row % 2 === 0 ? index % COLUMNS : COLUMNS - 1 - (index % COLUMNS);
  const west = round(WEST + column * CELL_WIDTH);
  const south = round(SOUTH + row * CELL_HEIGHT);
  return { west, south, east: round(west + CELL_WIDTH), north: round(south + CELL_HEIGHT) };
}

function rectangle(west: number, south: number, east: number, north: number): Polygon {
  return { type: 'Polygon', coordinates: [[[west, south], [east, south], [east, north], [west, north], [west, south]]] };
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

const LAND_USES: [[string, string], number][] = [
  [['0601', '工业用地'], 35],
  [['0604', '仓储用地'], 8],
  [['0701', '城镇住宅用地'], 20],
  [['0501', '零售商业用地'], 8],
  [['0505', '商务金融用地'], 6],
  [['0803', '教育用地'], 5],
  [['0805', '医疗卫生用地'], 4],
  [['0809', '公用设施用地'], 6],
  [['1003', '公路用地'], 5],
  [['0101', '水田'], 3],
];

export function seedParcelRow(plan: SeedPlan, k: number) {
  const facts = parcelFacts(plan, k);
  const d = dice(plan.seed, 'parcel', k);
  const cell = countyCell(facts.countyCode);
  // An irregular quadrilateral of 100-600 m a side, well inside its county's cell.
  const w = (cell.east - cell.west) * 0.8;
  const h = (cell.north - cell.south) * 0.8;
  const x = cell.west + (cell.east - cell.west) * 0.1 + (d.int(0, 1e6) / 1e6) * w;
  const y = cell.south + (cell.north - cell.south) * 0.1 + (d.int(0, 1e6) / 1e6) * h;
  const dx = d.int(10, 60) / 10_000;
  const dy = d.int(10, 60) / 10_000;
  const j = () => d.int(-5, 5) / 10_000;
  const ring = [[x, y], [x + dx + j(), y + j()], [x + dx + j(), y + dy + j()], [x + j(), y + dy]].map(([a, b]) => [round(a), round(b)]);
  const geometry: Polygon = { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
  const [landUseCode, landUse] = d.weighted(LAND_USES);
  return {
    parcel_code: facts.parcelCode,
    division_code: facts.countyCode,
    land_use_code: landUseCode,
    land_use: landUse,
    area_square_metres: Math.round(area(geometry) * 100) / 100,
    right_type: landUseCode === '0101' ? '集体土地所有权' : '国有建设用地使用权',
    geometry: JSON.stringify(geometry),
  };
}

/** Empty, complete or half-seeded, by the tables the seed fills (shared/seed/runs.ts); `isSeeded` throws `HalfSeededStore` for the last. */
export const { seedState, isSeeded } = seedChecks({ name: 'geo', tables: ['administrative_divisions', 'land_parcels'] });

/** `fill`: fillTable, or a test's stand-in that fails part-way. */
export async function seed(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable = fillTable): Promise<void> {
  await recordSeed(db, plan, () => fillGeo(db, plan, progress, fill));
}

async function fillGeo(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable): Promise<void> {
  await fill(db, 'administrative_divisions', DIVISIONS.length, (i) => {
    const division = DIVISIONS[i];
    const base = { code: division.code, name: division.name, level: division.level, parent_code: division.parentCode };
    if (division.level !== 'COUNTY') return base;
    const c = countyCell(division.code);
    return {
      ...base,
      boundary: JSON.stringify(rectangle(c.west, c.south, c.east, c.north)),
      boundary_source: SYNTHETIC_BOUNDARY,
      min_longitude: c.west,
      min_latitude: c.south,
      max_longitude: c.east,
      max_latitude: c.north,
    };
  });
  await fill(db, 'land_parcels', plan.parcels, (k) => seedParcelRow(plan, k), progress);
}
