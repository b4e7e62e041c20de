/**
 * The decision deadline of a conditional-sharing application: 10 working days (国发〔2016〕51号).
 * Weekends are skipped; public holidays and make-up workdays (调休) are not modelled: across a
 * holiday the deadline shown is early by the holiday's working days (up to a week at 国庆 or 春节),
 * and across a weekend worked in its place it is a day late.
 */
export function addWorkingDays(fromIso: string, days: number): string {
  // Counted from the date the application was made in China (`dayInChina`), where the days are worked.
  const d = new Date(`${fromIso.slice(0, 10)}T00:00:00Z`);
  let left = days;
  while (left > 0) {
    d.setUTCDate(d.getUTCDate() + 1);
    const weekday = d.getUTCDay();
    if (weekday !== 0 && weekday !== 6) left--;
  }
  return d.toISOString().slice(0, 10);
}
