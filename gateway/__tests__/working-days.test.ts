import { execFileSync } from 'node:child_process';
import { PROJECT_ROOT } from '../../shared/project-root';
import { addWorkingDays, holidaysKnownFor, yearsWithoutHolidays } from '../sharing/working-days';

/** Decision deadlines of conditional-sharing applications: 10 working days, as China works them. */
describe('working days', () => {
  it('counts ten weekdays where no holiday falls', () => {
    // Made on Monday 2026-11-02: the 10th working day after it is Monday 2026-11-16.
    expect(addWorkingDays('2026-11-02', 10)).toBe('2026-11-16');
    // Made on a Saturday: counted from the Monday after.
    expect(addWorkingDays('2026-11-07', 10)).toBe('2026-11-20');
  });

  it('skips the National Day holiday and counts the Saturday worked in its place (国庆 2026: 10月1日至7日放假，10月10日周六上班)', () => {
    // From Friday 2026-09-25: 28, 29, 30 September; 8, 9, 10 (Saturday, worked), 12, 13, 14, 15 October.
    expect(addWorkingDays('2026-09-25', 10)).toBe('2026-10-15');
  });

  it('skips the Spring Festival (春节 2026: 2月15日至23日放假，2月14日、2月28日周六上班)', () => {
    // From Thursday 2026-02-12: 13, 14 (Saturday, worked), 24, 25, 26, 27, 28 (Saturday, worked) February; 2, 3, 4 March.
    expect(addWorkingDays('2026-02-12', 10)).toBe('2026-03-04');
  });

  it('counts weekends and the fixed-date holidays in a year the calendar does not hold yet, and says which years it holds', () => {
    expect(holidaysKnownFor(2026)).toBe(true);
    expect(holidaysKnownFor(1990)).toBe(false);
    // 国庆节 1–3 October (Monday to Wednesday in 1990): from Friday 28 September, 4, 5, 8–12, 15–17 October.
    expect(addWorkingDays('1990-09-28', 10)).toBe('1990-10-17');
    // 元旦 and 劳动节 are known before a year's announcement: 1 January 2030 (a Tuesday) is not worked.
    expect(holidaysKnownFor(2030)).toBe(false);
    expect(addWorkingDays('2029-12-31', 1)).toBe('2030-01-02');
    // 1–2 May 2030, Wednesday and Thursday.
    expect(addWorkingDays('2030-04-30', 1)).toBe('2030-05-03');
    // A fixed holiday on a weekend gives a weekday off in its place (补假): 1–2 May 2032 are a
    // Saturday and Sunday, so Monday 3 and Tuesday 4 May are off; 2–3 October 2032 too, so 4–5 October.
    expect(holidaysKnownFor(2032)).toBe(false);
    expect(addWorkingDays('2032-04-30', 1)).toBe('2032-05-05');
    expect(addWorkingDays('2032-09-30', 1)).toBe('2032-10-06');
  });

  it('names the years a deadline set now could reach that the calendar does not hold', () => {
    expect(yearsWithoutHolidays(new Date('2026-06-01T00:00:00Z'))).toEqual([]);
    // In December, deadlines reach into January: 2027's holidays were not in the calendar of chinese-days 1.5.7.
    expect(yearsWithoutHolidays(new Date('2026-12-05T00:00:00Z'))).toEqual(holidaysKnownFor(2027) ? [] : [2027]);
    expect(yearsWithoutHolidays(new Date('1990-06-01T00:00:00Z'))).toEqual([1990]);
  });

  it('counts the same west of Greenwich, where the package\'s own functions move every holiday a day earlier', () => {
    // A process of its own: the time zone is read when a process starts.
    const counted = execFileSync(
      process.execPath,
      ['--import', 'tsx', '-e', "const w = require('./gateway/sharing/working-days'); console.log(w.addWorkingDays('2026-09-25', 10), w.addWorkingDays('2026-02-12', 10))"],
      { cwd: PROJECT_ROOT, env: { ...process.env, TZ: 'America/Los_Angeles' }, encoding: 'utf8' },
    );
    expect(counted.trim()).toBe('2026-10-15 2026-03-04');
  });
});
