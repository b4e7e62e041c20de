import { getHolidaysInRange, isWorkday } from 'chinese-days';
import { dayInChina } from '../../shared/identifiers';

/**
 * The State Council's calendar of public holidays and the weekends worked in their place (调休), as
 * the `chinese-days` package publishes it (国务院办公厅 announces each year's in its last months; a
 * new release of the package carries it). A year it does not hold yet is counted by weekends alone.
 */
const covered = new Map<number, boolean>();

/** Whether the calendar holds `year`'s holidays (any on a weekday: every year has 元旦 or 国庆 on one). */
export function holidaysKnownFor(year: number): boolean {
  let known = covered.get(year);
  if (known === undefined) {
    known = getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0;
    covered.set(year, known);
  }
  return known;
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

function worked(day: Date): boolean {
  if (holidaysKnownFor(day.getUTCFullYear())) return isWorkday(day.toISOString().slice(0, 10));
  const weekday = day.getUTCDay();
  return weekday !== 0 && weekday !== 6;
}

/**
 * The decision deadline of a conditional-sharing application: 10 working days (国发〔2016〕51号),
 * skipping public holidays and counting the weekends worked in their place, for the years the
 * calendar holds (`holidaysKnownFor`); weekends alone for a year it does not hold yet.
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
