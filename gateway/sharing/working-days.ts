import calendar from 'chinese-days/dist/chinese-days.json';
import { dayInChina } from '../../shared/identifiers';

/**
 * The State Council's public holidays and the weekends worked in their place (调休), by date
 * (YYYY-MM-DD), as the `chinese-days` package publishes them (国务院办公厅 announces each year's in
 * its last months; a new release of the package carries it). Read from the package's data file
 * rather than its functions: those build their tables through local-time dates, so west of
 * Greenwich every holiday moves a day earlier.
 */
const HOLIDAYS: Readonly<Record<string, string>> = calendar.holidays;
const WORKED_WEEKENDS: Readonly<Record<string, string>> = calendar.workdays;
const YEARS_HELD: ReadonlySet<number> = new Set(Object.keys(HOLIDAYS).map((day) => Number(day.slice(0, 4))));

/**
 * The holidays on fixed dates under 全国年节及纪念日放假办法 (国务院令第795号, 2024): 元旦 1 January,
 * 劳动节 1–2 May, 国庆节 1–3 October. Known before each year's announcement, they are skipped in a year
 * the calendar does not hold yet, with the weekdays off in place of those on a weekend; that year's
 * lunar holidays (春节, 清明, 端午, 中秋) and its 调休 are not, until the package carries them.
 */
const FIXED_DATE_HOLIDAYS = ['01-01', '05-01', '05-02', '10-01', '10-02', '10-03'];

/**
 * `year`'s days off on fixed dates (YYYY-MM-DD): the holidays, and for each that falls on a Saturday
 * or Sunday a weekday off in its place (补假, the same 办法's 第六条), the first after it not off already.
 */
function fixedDaysOff(year: number): ReadonlySet<string> {
  const off = new Set(FIXED_DATE_HOLIDAYS.map((monthDay) => `${year}-${monthDay}`));
  for (const monthDay of FIXED_DATE_HOLIDAYS) {
    const day = new Date(`${year}-${monthDay}T00:00:00Z`);
    if (!isWeekend(day)) continue;
    const inPlace = new Date(day);
    do inPlace.setUTCDate(inPlace.getUTCDate() + 1);
    while (isWeekend(inPlace) || off.has(isoDate(inPlace)));
    off.add(isoDate(inPlace));
  }
  return off;
}
const fixedDaysOffByYear = new Map<number, ReadonlySet<string>>();

const isWeekend = (day: Date) => day.getUTCDay() === 0 || day.getUTCDay() === 6;
const isoDate = (day: Date) => day.toISOString().slice(0, 10);

/** Whether the calendar holds `year`'s holidays; a year it does not hold yet is counted by weekends and its fixed-date holidays. */
export function holidaysKnownFor(year: number): boolean {
  return YEARS_HELD.has(year);
}

/**
 * The years a deadline set now could fall in (a month ahead covers 10 working days, 春节 included)
 * that the calendar does not hold yet: for the gateway to warn at start that it counts them by
 * weekends alone until chinese-days is upgraded.
 */
export function yearsWithoutHolidays(now: Date): number[] {
  const years = new Set([now, new Date(now.getTime() + 31 * 86_400_000)].map((d) => Number(dayInChina(d).slice(0, 4))));
  return [...years].filter((year) => !holidaysKnownFor(year));
}

/** Whether the calendar day `day` (UTC midnight of that date) is worked in China. */
function worked(day: Date): boolean {
  const date = isoDate(day);
  if (WORKED_WEEKENDS[date]) return true;
  if (isWeekend(day)) return false;
  const year = day.getUTCFullYear();
  if (holidaysKnownFor(year)) return !HOLIDAYS[date];
  if (!fixedDaysOffByYear.has(year)) fixedDaysOffByYear.set(year, fixedDaysOff(year));
  return !fixedDaysOffByYear.get(year)!.has(date);
}

/**
 * The decision deadline of a conditional-sharing application: 10 working days (国发〔2016〕51号),
 * skipping public holidays and counting the weekends worked in their place, for the years the
 * calendar holds (`holidaysKnownFor`); weekends and the fixed-date holidays for a year it does not hold yet.
 */
export function addWorkingDays(fromIso: string, days: number): string {
  // Counted from the date the application was made in China (`dayInChina`), where the days are worked.
  const d = new Date(`${fromIso.slice(0, 10)}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    if (worked(d)) left--;
  }
  return d.toISOString().slice(0, 10);
}
