/**
 * A run of 15 or more digits: an idNumber (15 digits in its first generation, 18 now, the last
 * perhaps X), or part of one, wherever it is written (a name, a comment, an error message quoting
 * SQL). Personal data belongs in the audit trail alone: logs, metrics and recorded operations keep
 * such a run only as a placeholder.
 */
export const PERSONAL_DIGITS = /\d{15,}[\dXx]?/;
const PERSONAL_DIGITS_ALL = new RegExp(PERSONAL_DIGITS.source, 'g');

/**
 * `text` with every run of personal digits replaced by `placeholder`, given the run's number among
 * the distinct runs in `runs` (pass one map for several texts that must agree, such as the names of
 * one document).
 */
export function withoutPersonalDigits(text: string, placeholder: (n: number) => string = () => '[digits]', runs = new Map<string, number>()): string {
  if (!PERSONAL_DIGITS.test(text)) return text;
  return text.replace(PERSONAL_DIGITS_ALL, (run) => placeholder(runs.get(run) ?? runs.set(run, runs.size + 1).get(run)!));
}
