import type { Knex } from 'knex';
import type { Polygon } from 'geojson';
import booleanPointInPolygon from '@turf/boolean-point-in-polygon';

export interface AdministrativeDivision {
  code: string;
  name: string;
  level: 'PROVINCE' | 'CITY' | 'COUNTY';
  parentCode: string | null;
  boundary: string | null;
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

const DIVISION_COLUMNS = { code: 'code', name: 'name', level: 'level', parentCode: 'parent_code', boundary: 'boundary' };
const PARCEL_COLUMNS = {
  parcelCode: 'parcel_code',
  divisionCode: 'division_code',
  landUseCode: 'land_use_code',
  landUse: 'land_use',
  areaSquareMetres: 'area_square_metres',
  rightType: 'right_type',
  geometry: 'geometry',
};

export function createGeoStore(db: Knex) {
  return {
    divisionsByCodes: (codes: readonly string[]): Promise<AdministrativeDivision[]> =>
      db('administrative_divisions').select(DIVISION_COLUMNS).whereIn('code', codes),

    divisionsByParents: (codes: readonly string[]): Promise<AdministrativeDivision[]> =>
      db('administrative_divisions').select(DIVISION_COLUMNS).whereIn('parent_code', codes).orderBy('code'),

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
        candidates.find((c) => c.boundary && booleanPointInPolygon([longitude, latitude], JSON.parse(c.boundary) as Polygon)) ??
        null
      );
    },
  };
}
