import {
  checkDivisionCode,
  checkIdNumber,
  checkParcelCode,
  checkProjectCode,
  checkUscc,
  divisionLevel,
  idNumberCheckCharacter,
  idNumberFacts,
  isCalendarDate,
  organizationCodeCheckCharacter,
  today,
  usccCheckCharacter,
} from '../identifiers';

describe('GB 11643 idNumber', () => {
  it('accepts the published vector and reads what it says', () => {
    expect(checkIdNumber('11010519491231002X')).toEqual({ ok: true, value: '11010519491231002X' });
    expect(idNumberFacts('11010519491231002X')).toEqual({ regionCode: '110105', birthDate: '1949-12-31', gender: 'FEMALE' });
  });
  it('normalises a lower-case x', () => {
    expect(checkIdNumber('11010519491231002x')).toEqual({ ok: true, value: '11010519491231002X' });
  });
  it('computes the MOD 11-2 check character', () => {
    expect(idNumberCheckCharacter('11010519491231002')).toBe('X');
    expect(idNumberCheckCharacter('44052418800101001')).toBe('4');
  });
  it.each([
    ['11010519491231002', /18 characters/],
    ['110105194912310021', /check character is 1 but should be X/],
    ['11010519491331002X', /birth date 19491331 is not a real date/],
    ['11010519490229002X', /not a real date/],
    ['1101051949123100A2', /17 digits/],
    ['00010519491231002X', /region code/],
    ['11010530991231002X', /birth date/],
    // Between 11 and 82, but no province's: 19 is unassigned in GB/T 2260.
    [`19010119900101001${idNumberCheckCharacter('19010119900101001')}`, /region code 190101 is not valid: "190101" does not begin with a province code: GB\/T 2260 numbers no province 19/],
  ])('refuses %s', (input, reason) => {
    const result = checkIdNumber(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('calendar dates (birth dates in idNumbers, dates in imports)', () => {
  it.each(['2000-02-29', '2024-02-29', '1949-12-31', '2023-04-30', '1850-01-01'])('%s is a real date', (date) => {
    expect(isCalendarDate(date)).toBe(true);
  });
  it.each(['1900-02-29', '2023-02-29', '2023-04-31', '2023-13-01', '2023-00-10', '2023-01-00', '2023-1-01', '20230101', '2023-01-01T00:00'])(
    '%s is not', (date) => {
      expect(isCalendarDate(date)).toBe(false);
    },
  );
  it('accepts an idNumber born on 29 February of a leap year', () => {
    const body = '11010520000229002';
    expect(checkIdNumber(body + idNumberCheckCharacter(body)).ok).toBe(true);
  });
});

/** A uscc with both check characters worked out: 16 characters, the organisation code's first 8 in 9–16. */
const withUsccCheck = (first16: string) => {
  const first17 = first16 + organizationCodeCheckCharacter(first16.slice(8, 16));
  return first17 + usccCheckCharacter(first17);
};

describe('GB 32100 uscc with its GB 11714 organisation code', () => {
  it.each(['91350100M000100Y43', '91350200MA2YJ1XR9G'])('accepts the published vector %s', (uscc) => {
    expect(checkUscc(uscc)).toEqual({ ok: true, value: uscc });
  });
  it.each(['11', '31', '51', '52', '71', '81', 'A1', 'N2', 'Y1', '92', '93'])('accepts a uscc of registration authority and type %s', (authorityAndType) => {
    const uscc = withUsccCheck(`${authorityAndType}350102MALD0002`);
    expect(checkUscc(uscc)).toEqual({ ok: true, value: uscc });
  });
  it('accepts a uscc registered nationally, whose region code is 100000', () => {
    const first17 = `11100000${'00001312'}${organizationCodeCheckCharacter('00001312')}`;
    const uscc = first17 + usccCheckCharacter(first17);
    expect(checkUscc(uscc)).toEqual({ ok: true, value: uscc });
  });
  it('computes both check characters', () => {
    expect(organizationCodeCheckCharacter('M000100Y')).toBe('4');
    expect(organizationCodeCheckCharacter('MA2YJ1XR')).toBe('9');
    expect(usccCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(usccCheckCharacter('91350200MA2YJ1XR9')).toBe('G');
  });
  it.each([
    ['91350100M000100Y44', /check character is 4 but should be 3/],
    ['91350100M000100Y53', /organisation code check character is 5 but should be 4/],
    ['91350100M0001O0Y43', /contains "O"/],
    ['91350100M000100Y4', /18 characters/],
    ['91AB0100M000100Y43', /region code AB0100 is not valid/],
    // Valid check characters, but positions 1 and 2 that no registering department uses.
    ['00350102MALD00023N', /registration authority \(position 1\) is 0, which no registering department has been given/],
    [withUsccCheck('H1350102MALD0002'), /registration authority \(position 1\) is H/],
    [withUsccCheck('90350102MALD0002'), /organisation type \(position 2\) is 0, which is none/],
    [withUsccCheck('9A350102MALD0002'), /organisation type \(position 2\) is A/],
    // A valid idNumber whose positions 3-8 (010219) are no division: it is not also a uscc.
    ['35010219850312043X', /uscc's region code 010219 is not valid: "010219" does not begin with a province code/],
  ])('refuses %s', (input, reason) => {
    const result = checkUscc(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('GB/T 2260 division code', () => {
  it('accepts province, city and county codes and tells their level', () => {
    expect(checkDivisionCode('350000').ok).toBe(true);
    for (const province of ['110000', '650000', '710000', '810000', '820000']) expect(checkDivisionCode(province).ok).toBe(true);
    expect(divisionLevel('350000')).toBe('PROVINCE');
    expect(divisionLevel('350100')).toBe('CITY');
    expect(divisionLevel('350102')).toBe('COUNTY');
  });
  it.each(['35010', '3501020', 'abcdef', '990102', '350002', '190101', '240100', '830000'])('refuses %s', (input) => {
    expect(checkDivisionCode(input).ok).toBe(false);
  });
});

describe('project and parcel codes', () => {
  it('accepts well-formed codes', () => {
    expect(checkProjectCode('2024-350102-64-01-000123').ok).toBe(true);
    expect(checkProjectCode('2000-350102-64-01-000123').ok).toBe(true);
    expect(checkProjectCode('2099-350102-64-01-000123').ok).toBe(true);
    expect(checkParcelCode('350102001001GB00001W00000000').ok).toBe(true);
  });
  it.each([
    ['2024-350102-64-01-00012', /YYYY-RRRRRR-II-TT-NNNNNN/],
    ['1899-350102-64-01-000123', /^the projectCode's year must lie in \[2000, 2099\], not 1899$/],
    ['2100-350102-64-01-000123', /^the projectCode's year must lie in \[2000, 2099\], not 2100$/],
    ['2024-000102-64-01-000123', /region code/],
    ['2024-350102-64-00-000123', /kind 00 is not one of 01/],
    ['2024-350102-64-09-000123', /kind 09 is not one of 01 \(审批\), 02 \(核准\), 03 \(备案\)/],
  ])('refuses project code %s', (input, reason) => {
    const result = checkProjectCode(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
  it.each(['350102001001GB00001W00000000', '350102001001GH00001W00000000', '350102001001GG00001W00000000', '350102001001jc00001f00000001'])(
    'takes parcel code %s: land, a sea area (GH), an uninhabited island (GG), in any case',
    (input) => expect(checkParcelCode(input)).toEqual({ ok: true, value: input.toUpperCase() }),
  );
  it.each([
    ['350102001001GB00001W0000000', /28 characters/],
    ['350102001001XX00001W00000000', /not a parcelCode/],
    ['350100001001GB00001W00000000', /county code/],
  ])('refuses parcel code %s', (input, reason) => {
    const result = checkParcelCode(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('today', () => {
  afterEach(() => jest.useRealTimers());

  it("is the date in China (UTC+8) now, across its midnight and when the clock is set back", () => {
    jest.useFakeTimers({ now: new Date('2026-12-31T15:59:59.999Z') });
    expect(today()).toBe('2026-12-31');
    // 08:00 on 1 January in Fuzhou: still 31 December in UTC.
    jest.setSystemTime(new Date('2026-12-31T16:00:00.000Z'));
    expect(today()).toBe('2027-01-01');
    jest.setSystemTime(new Date('2027-01-01T15:59:59.999Z'));
    expect(today()).toBe('2027-01-01');
    jest.setSystemTime(new Date('2020-02-29T12:00:00.000Z'));
    expect(today()).toBe('2020-02-29');
    jest.setSystemTime(new Date('2020-02-28T20:00:00.000Z'));
    expect(today()).toBe('2020-02-29');
  });

  it('moves the future of birth dates with it', () => {
    // Born on 2020-03-01: not yet on 2020-02-29, valid a day later.
    const id = '11010520200301001';
    const full = id + idNumberCheckCharacter(id);
    jest.useFakeTimers({ now: new Date('2020-02-29T12:00:00.000Z') });
    expect(checkIdNumber(full).ok).toBe(false);
    // Half past midnight on 1 March in China: born today there, though UTC still says 29 February.
    jest.setSystemTime(new Date('2020-02-29T16:30:00.000Z'));
    expect(checkIdNumber(full).ok).toBe(true);
  });
});

describe('what a refusal shows of the input', () => {
  it('cuts a long input and says how long it was', () => {
    const result = checkIdNumber('3'.repeat(100_000));
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason.length).toBeLessThan(120);
      expect(result.reason).toMatch(/has 100000$/);
    }
  });
  it('escapes control and direction-changing characters instead of echoing them', () => {
    const result = checkProjectCode('2024\u0000-350102\u202e-64');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toContain('"2024\\u0000-350102\\u202e-64"');
      expect(result.reason).not.toMatch(/[\u0000\u202e]/);
    }
  });
  it('does not read look-alike letters as the ASCII capitals they upper-case to', () => {
    expect(checkParcelCode('350102001001GB00001W00000000').ok).toBe(true);
    expect(checkParcelCode('350102001001GB00001w00000000').ok).toBe(true);
    // ſ (long s) upper-cases to S; ı (dotless i) to I.
    expect(checkParcelCode('350102001001Gſ00001W00000000').ok).toBe(false);
    expect(checkUscc('91350100M000100Y4ı').ok).toBe(false);
  });
});
