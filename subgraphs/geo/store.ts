import type { Knex } from 'knex';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { AreaGeometry } from './geometry';
import { SYNTHETIC_BOUNDARY } from './migrations/002_boundaries_loadable';

export interface AdministrativeDivision {
  code: string;
  name: string;
  level: 'PROVINCE' | 'CITY' | 'COUNTY';
  parentCode: string | null;
  /**
   * Only as `countiesAt` reads it: the register leaves boundaries out (a surveyed one may be a
   * megabyte), and `boundariesByCodes` reads them when asked.
   */
  boundary?: string | null;
  /** Where the boundary came from: the seed's synthetic grid, or the file the department loaded. */
  boundarySource: string | null;
}

export interface LandParcel {
  parcelCode: string;
  divisionCode: string;
  landUseCode: string;
  landUse: string;
  areaSquareMetres: number;
  rightType: string;
  geometry: string;
}

const DIVISION_COLUMNS = { code: 'code', name: 'name', level: 'level', parentCode: 'parent_code', boundarySource: 'boundary_source' };
const PARCEL_COLUMNS = {
  parcelCode: 'parcel_code',
  divisionCode: 'division_code',
  landUseCode: 'land_use_code',
  landUse: 'land_use',
  areaSquareMetres: 'area_square_metres',
  rightType: 'right_type',
  geometry: 'geometry',
};

/** How long the division register is served from memory before it is read again. */
export const DIVISION_REGISTER_TTL_MS = 60_000;

/**
 * The GB/T 2260 division register: about a hundred rows for a province, changed by a yearly
 * revision of the code table (this department has no import for it). Every request used to read
 * it again; now one SELECT fills it for a minute per process, and lookups are map reads. A stale
 * register is served while the next one loads, so no request waits on a refresh.
 */
class DivisionRegister {
  private byCode = new Map<string, AdministrativeDivision>();
  private byParent = new Map<string, AdministrativeDivision[]>();
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly db: Knex) {}

  private load(): Promise<void> {
    this.loading ??= (async () => {
      try {
        const rows: AdministrativeDivision[] = await this.db('administrative_divisions').select(DIVISION_COLUMNS).orderBy('code');
        const byParent = new Map<string, AdministrativeDivision[]>();
        for (const d of rows) if (d.parentCode) byParent.set(d.parentCode, [...(byParent.get(d.parentCode) ?? []), d]);
        this.byCode = new Map(rows.map((d) => [d.code, d]));
        this.byParent = byParent;
        this.loadedAt = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  async current(): Promise<this> {
    if (!this.loadedAt) await this.load();
    else if (Date.now() - this.loadedAt > DIVISION_REGISTER_TTL_MS) void this.load().catch(() => {});
    return this;
  }

  divisions(codes: readonly string[]): AdministrativeDivision[] {
    return codes.flatMap((c) => this.byCode.get(c) ?? []);
  }

  children(codes: readonly string[]): AdministrativeDivision[] {
    return codes.flatMap((c) => this.byParent.get(c) ?? []);
  }
}

/** One register per store (per process), whatever the number of requests. */
const registers = new WeakMap<Knex, DivisionRegister>();
function registerOf(db: Knex): DivisionRegister {
  let register = registers.get(db);
  if (!register) registers.set(db, (register = new DivisionRegister(db)));
  return register;
}

export function createGeoStore(db: Knex) {
  const register = registerOf(db);
  return {
    divisionsByCodes: async (codes: readonly string[]): Promise<AdministrativeDivision[]> => (await register.current()).divisions(codes),

    divisionsByParents: async (codes: readonly string[]): Promise<AdministrativeDivision[]> => (await register.current()).children(codes),

    /** The boundaries of these divisions (null where there is none), and where each came from, in one statement. */
    boundariesByCodes: (codes: readonly string[]): Promise<{ code: string; boundary: string | null; boundarySource: string | null }[]> =>
      db('administrative_divisions').select('code', 'boundary', { boundarySource: 'boundary_source' }).whereIn('code', codes),

    /**
     * Where counties' boundaries now come from, read fresh as `boundariesByCodes` reads the
     * boundaries: from the minute-old register, a county just loaded would show its new outline
     * beside the grid cell's source.
     */
    boundarySourcesByCodes: (codes: readonly string[]): Promise<{ code: string; boundarySource: string | null }[]> =>
      db('administrative_divisions').select('code', { boundarySource: 'boundary_source' }).whereIn('code', codes),

    parcelsByCodes: (codes: readonly string[]): Promise<LandParcel[]> =>
      db('land_parcels').select(PARCEL_COLUMNS).whereIn('parcel_code', codes),

    /**
     * The county containing each point, in one statement whatever the number of points: bounding
     * boxes in SQL (any point's), then the exact polygon test, one candidate at a time (each parse
     * of a surveyed boundary costs milliseconds, and is done once a batch). Surveyed boundaries are
     * tried before the seed's grid cells: while only some counties are loaded, a point of a
     * surveyed county also lies in some other county's cell. A loaded county's own cell is gone: a
     * point there that no surveyed boundary covers is in no county.
     */
    async countiesAt(points: readonly (readonly [number, number])[]): Promise<(AdministrativeDivision | null)[]> {
      const candidates: (AdministrativeDivision & Record<'west' | 'east' | 'south' | 'north', number>)[] = await db('administrative_divisions')
        .select({ ...DIVISION_COLUMNS, boundary: 'boundary', west: 'min_longitude', east: 'max_longitude', south: 'min_latitude', north: 'max_latitude' })
        .where('level', 'COUNTY')
        .andWhere((any) => {
          for (const [longitude, latitude] of points) {
            any.orWhere((box) => box.where('min_longitude', '<=', longitude).andWhere('max_longitude', '>=', longitude).andWhere('min_latitude', '<=', latitude).andWhere('max_latitude', '>=', latitude));
          }
        })
        .orderByRaw('CASE WHEN `boundary_source` IS NULL OR `boundary_source` = ? THEN 1 ELSE 0 END', [SYNTHETIC_BOUNDARY])
        .orderBy('code');
      const outlines = new Map<string, AreaGeometry>();
      const outline = (c: AdministrativeDivision) => outlines.get(c.code) ?? outlines.set(c.code, JSON.parse(c.boundary!) as AreaGeometry).get(c.code)!;
      return points.map(([longitude, latitude]) => {
        const found = candidates.find((c) =>
          c.west <= longitude && longitude <= c.east && c.south <= latitude && latitude <= c.north && c.boundary && booleanPointInPolygon([longitude, latitude], outline(c)));
        if (!found) return null;
        const { west, east, south, north, ...county } = found;
        return county;
      });
    },
  };
}
