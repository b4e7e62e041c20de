import type { Knex } from 'knex';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';
import type { AreaGeometry } from './geometry';

export interface AdministrativeDivision {
  code: string;
  name: string;
  level: 'PROVINCE' | 'CITY' | 'COUNTY';
  parentCode: string | null;
  boundary: string | null;
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

const DIVISION_COLUMNS = { code: 'code', name: 'name', level: 'level', parentCode: 'parent_code', boundary: 'boundary', boundarySource: 'boundary_source' };
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

    parcelsByCodes: (codes: readonly string[]): Promise<LandParcel[]> =>
      db('land_parcels').select(PARCEL_COLUMNS).whereIn('parcel_code', codes),

    /** The county containing the point: bounding boxes in SQL, then the exact polygon test. */
    async countyAt(longitude: number, latitude: number): Promise<AdministrativeDivision | null> {
      const candidates: AdministrativeDivision[] = await db('administrative_divisions')
        .select(DIVISION_COLUMNS)
        .where('level', 'COUNTY')
        .andWhere('min_longitude', '<=', longitude)
        .andWhere('max_longitude', '>=', longitude)
        .andWhere('min_latitude', '<=', latitude)
        .andWhere('max_latitude', '>=', latitude)
        .orderBy('code');
      return (
        candidates.find((c) => c.boundary && booleanPointInPolygon([longitude, latitude], JSON.parse(c.boundary) as AreaGeometry)) ??
        null
      );
    },
  };
}
