import type { SeedPlan } from '../subgraph-server';

/**
 * The defects the seed plants on purpose, so that the cross-department consistency checks
 * (共享校核) have a known answer: exactly these counts at the default scale and at any scale with
 * at least 7 persons, 20 legal persons, 11 projects and 22 parcels (smaller plans plant none of a
 * kind they lack room for). Everything else in the seed is consistent: representatives are registered,
 * living and not blacklisted; applicants of projects are active companies; a project's parcels lie
 * in its county; every person's gender and birth date are those of the number.
 */
export const PLANTED_DEFECTS = {
  /** Active companies whose legal representative's idNumber is valid but not in the persons register. */
  representativeUnknown: 3,
  /** Active companies whose legal representative is registered as deceased. */
  representativeDeceased: 4,
  /** Revoked or cancelled companies that are the applicant of one active project each. */
  inactiveCompanyWithActiveProject: 5,
  /** Projects recorded in one county whose two parcels lie in another. */
  parcelOutsideDivision: 6,
  /** Persons whose recorded gender (4) or birth date (3) disagrees with their number. */
  genderDisagreesWithNumber: 4,
  birthDateDisagreesWithNumber: 3,
  /** Active companies whose legal representative is on the credit blacklist. */
  blacklistedRepresentative: 8,
} as const;

export type CompanyDefect = 'representativeUnknown' | 'representativeDeceased' | 'inactiveCompanyWithActiveProject' | 'blacklistedRepresentative';
export type ProjectDefect = 'inactiveApplicant' | 'parcelOutsideDivision';
export type PersonDefect = 'gender' | 'birthDate';

const COMPANY_DEFECTS: CompanyDefect[] = (
  ['representativeUnknown', 'representativeDeceased', 'inactiveCompanyWithActiveProject', 'blacklistedRepresentative'] as const
).flatMap((kind) => Array<CompanyDefect>(PLANTED_DEFECTS[kind]).fill(kind));
const PROJECT_DEFECTS: ProjectDefect[] = [
  ...Array<ProjectDefect>(PLANTED_DEFECTS.inactiveCompanyWithActiveProject).fill('inactiveApplicant'),
  ...Array<ProjectDefect>(PLANTED_DEFECTS.parcelOutsideDivision).fill('parcelOutsideDivision'),
];
const PERSON_DEFECTS: PersonDefect[] = [
  ...Array<PersonDefect>(PLANTED_DEFECTS.genderDisagreesWithNumber).fill('gender'),
  ...Array<PersonDefect>(PLANTED_DEFECTS.birthDateDisagreesWithNumber).fill('birthDate'),
];

/** The t-th of `count` positions spread evenly over [0, size): planted records sit apart from each other. */
const spread = (t: number, size: number, count: number) => Math.floor(((t + 0.5) * size) / count);

/** Which defect, if any, record `index` of a store of `size` carries; `ordinal` numbers it within its kind. */
function plantedAt<K>(kinds: K[], index: number, size: number): { kind: K; ordinal: number } | null {
  if (size < kinds.length) return null;
  // spread() is increasing, so the t with spread(t) === index is near index * count / size.
  const t = Math.floor((index * kinds.length) / size);
  for (const c of [t - 1, t, t + 1]) {
    if (c >= 0 && c < kinds.length && spread(c, size, kinds.length) === index) {
      return { kind: kinds[c], ordinal: kinds.slice(0, c).filter((k) => k === kinds[c]).length };
    }
  }
  return null;
}

export const companyDefect = (plan: SeedPlan, j: number) => plantedAt(COMPANY_DEFECTS, j, plan.legalPersons);
export const projectDefect = (plan: SeedPlan, m: number) =>
  plan.parcels >= 2 * PROJECT_DEFECTS.length ? plantedAt(PROJECT_DEFECTS, m, plan.projects) : null;
export const personDefect = (plan: SeedPlan, i: number) => plantedAt(PERSON_DEFECTS, i, plan.persons);

/** The index of the company that carries the `ordinal`-th defect of `kind` (to link a project to it). */
export function companyWithDefect(plan: SeedPlan, kind: CompanyDefect, ordinal: number): number {
  const t = COMPANY_DEFECTS.indexOf(kind) + ordinal;
  return spread(t, plan.legalPersons, COMPANY_DEFECTS.length);
}
