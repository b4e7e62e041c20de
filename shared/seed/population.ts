import { idNumberCheckCharacter, organizationCodeCheckCharacter, usccCheckCharacter } from '../identifiers';
import type { SeedPlan } from '../subgraph-server';
import { companyDefect, companyWithDefect, personDefect, projectDefect } from './defects';
import { COUNTIES, townshipsOf } from './province';
import { dayNumber, dice, isoDay } from './random';

/**
 * The facts about each seeded record that more than one department relies on: its key, where it
 * is, and the few links between departments (a company's representative, a project's applicant
 * and parcels). Each department's seed derives its own rows from these; nothing is copied from
 * one store to another. Everything else (names, addresses, credit) is the owning seed's choice.
 */

export const DEFAULT_PLAN: SeedPlan = { seed: 20170512, persons: 10_000, legalPersons: 2_000, parcels: 1_000, projects: 500 };

/** `--scale N`: N persons and the other stores in the default proportions. */
export function scaledPlan(persons: number, seed = DEFAULT_PLAN.seed): SeedPlan {
  if (persons > 2_000_000) throw new Error('the seed makes at most 2,000,000 persons (one per county and birth date)');
  return {
    seed,
    persons,
    legalPersons: Math.max(1, Math.round(persons / 5)),
    parcels: Math.max(2, Math.round(persons / 10)),
    projects: Math.max(1, Math.round(persons / 20)),
  };
}

// -- persons ----------------------------------------------------------------------------------

const FIRST_BIRTH_DAY = dayNumber('1940-01-01');
const BIRTH_DAYS = dayNumber('2006-12-31') - FIRST_BIRTH_DAY + 1;

export interface PersonFacts {
  idNumber: string;
  countyCode: string;
  birthDate: string;
  gender: 'MALE' | 'FEMALE';
  deceasedOn: string | null;
  /** On the credit blacklist (失信联合惩戒对象): the credit seed records it, companies avoid such representatives. */
  onBlacklist: boolean;
  /** A planted disagreement between the recorded gender or birth date and the number (see defects.ts). */
  recordedWrong: 'gender' | 'birthDate' | null;
}

export function personFacts(plan: SeedPlan, i: number): PersonFacts {
  const d = dice(plan.seed, 'person', i);
  const county = COUNTIES[i % COUNTIES.length].code;
  // (county, birth date) is unique per person: i / counties walks a permutation of birth days.
  const j = Math.floor(i / COUNTIES.length);
  const birthDay = FIRST_BIRTH_DAY + ((j * 7919 + plan.seed) % BIRTH_DAYS);
  const birthDate = isoDay(birthDay);
  const gender = d.chance(0.51) ? 'MALE' : 'FEMALE';
  const sequence = d.int(1, 499) * 2 + (gender === 'MALE' ? 1 : 0);
  const first17 = `${county}${birthDate.replace(/-/g, '')}${String(sequence).padStart(3, '0')}`;
  const deceased = d.chance(0.02);
  // Died after their 20th birthday (or at once, for the youngest) and before the seed's census date.
  const lifespan = dayNumber('2026-06-30') - birthDay;
  const deceasedOn = deceased ? isoDay(birthDay + d.int(Math.min(20 * 365, lifespan), lifespan)) : null;
  const onBlacklist = dice(plan.seed, 'person-credit', i).chance(0.01);
  return {
    idNumber: first17 + idNumberCheckCharacter(first17), countyCode: county, birthDate, gender, deceasedOn, onBlacklist,
    recordedWrong: personDefect(plan, i)?.kind ?? null,
  };
}

/** A person index for a representative: the first from `start` on that `fits` (deterministic, wraps round). */
function personFrom(plan: SeedPlan, start: number, fits: (p: PersonFacts) => boolean): number {
  for (let n = 0; n < plan.persons; n++) {
    const i = (start + n) % plan.persons;
    if (fits(personFacts(plan, i))) return i;
  }
  throw new Error('the seed plan has no person fit to be this representative');
}
const fitRepresentative = (p: PersonFacts) => !p.deceasedOn && !p.onBlacklist;

// -- legal persons ----------------------------------------------------------------------------

const USCC_CHARSET = '0123456789ABCDEFGHJKLMNPQRTUWXY';

export interface LegalPersonFacts {
  uscc: string;
  countyCode: string;
  status: 'ACTIVE' | 'REVOKED' | 'CANCELLED';
  /** The representative's index among seeded persons, or null when the representative is not registered (planted). */
  representativeIndex: number | null;
  representativeIdNumber: string;
}

export function legalPersonFacts(plan: SeedPlan, j: number): LegalPersonFacts {
  const d = dice(plan.seed, 'legal-person', j);
  const county = d.pick(COUNTIES).code;
  // A permutation of 31^6 gives each company its own organisation code body.
  let n = (j * 48271 + 12345) % 887_503_681;
  let body = '';
  for (let k = 0; k < 6; k++) {
    body = USCC_CHARSET[n % 31] + body;
    n = Math.floor(n / 31);
  }
  const organization = `MA${body}`;
  const first17 = `91${county}${organization}${organizationCodeCheckCharacter(organization)}`;
  const rolledStatus = d.weighted([['ACTIVE', 90], ['REVOKED', 5], ['CANCELLED', 5]] as const);
  const rolledRepresentative = d.int(0, plan.persons - 1);
  const defect = companyDefect(plan, j);
  const status = !defect ? rolledStatus : defect.kind === 'inactiveCompanyWithActiveProject' ? (defect.ordinal % 2 ? 'CANCELLED' : 'REVOKED') : 'ACTIVE';
  const representativeIndex =
    defect?.kind === 'representativeUnknown'
      ? null
      : defect?.kind === 'representativeDeceased'
        ? personFrom(plan, rolledRepresentative, (p) => !!p.deceasedOn)
        : defect?.kind === 'blacklistedRepresentative'
          ? personFrom(plan, rolledRepresentative, (p) => p.onBlacklist && !p.deceasedOn)
          : personFrom(plan, rolledRepresentative, fitRepresentative);
  return {
    uscc: first17 + usccCheckCharacter(first17),
    countyCode: county,
    status,
    representativeIndex,
    // Past the end of the register: a valid number that nobody holds.
    representativeIdNumber: personFacts(plan, representativeIndex ?? plan.persons + (defect?.ordinal ?? 0)).idNumber,
  };
}

// -- land parcels -----------------------------------------------------------------------------

export interface ParcelFacts {
  parcelCode: string;
  countyCode: string;
}

export function parcelFacts(plan: SeedPlan, k: number): ParcelFacts {
  // Parcels come in pairs in one county, so that a project's two parcels lie together.
  const county = dice(plan.seed, 'parcel-county', Math.floor(k / 2)).pick(COUNTIES).code;
  const zone = townshipsOf(county)[k % townshipsOf(county).length].code.slice(-3);
  const subzone = String(Math.floor(k / 99_999) + 1).padStart(3, '0');
  const serial = String((k % 99_999) + 1).padStart(5, '0');
  return { parcelCode: `${county}${zone}${subzone}GB${serial}W00000000`, countyCode: county };
}

// -- investment projects ----------------------------------------------------------------------

export interface ProjectFacts {
  projectCode: string;
  countyCode: string;
  year: number;
  applicantIndex: number;
  applicantUscc: string;
  parcelCodes: string[];
  /** Planted: the applicant is revoked or cancelled, so the project must be one still under way. */
  mustBeActive: boolean;
}

/** Applicants are active companies with a registered representative, except where a defect is planted. */
function applicantFrom(plan: SeedPlan, start: number): number {
  for (let n = 0; n < plan.legalPersons; n++) {
    const j = (start + n) % plan.legalPersons;
    const company = legalPersonFacts(plan, j);
    if (company.status === 'ACTIVE' && company.representativeIndex !== null) return j;
  }
  throw new Error('the seed plan has no active company to be an applicant');
}

export function projectFacts(plan: SeedPlan, m: number): ProjectFacts {
  const d = dice(plan.seed, 'project', m);
  const parcels = [2 * m, 2 * m + 1].filter((k) => k < plan.parcels).map((k) => parcelFacts(plan, k));
  const defect = projectDefect(plan, m);
  const parcelCounty = parcels[0]?.countyCode ?? d.pick(COUNTIES).code;
  // Planted: recorded one county on from where its parcels lie.
  const countyCode = defect?.kind === 'parcelOutsideDivision'
    ? COUNTIES[(COUNTIES.findIndex((c) => c.code === parcelCounty) + 1) % COUNTIES.length].code
    : parcelCounty;
  const year = d.int(2019, 2026);
  const industry = d.pick(['13', '26', '34', '38', '44', '47', '48', '54', '64', '70', '72', '78']);
  const kind = d.weighted([['01', 20], ['02', 20], ['03', 60]] as const);
  const rolledApplicant = d.int(0, plan.legalPersons - 1);
  const applicantIndex = defect?.kind === 'inactiveApplicant'
    ? companyWithDefect(plan, 'inactiveCompanyWithActiveProject', defect.ordinal)
    : applicantFrom(plan, rolledApplicant);
  return {
    projectCode: `${year}-${countyCode}-${industry}-${kind}-${String(m + 1).padStart(6, '0')}`,
    countyCode,
    year,
    applicantIndex,
    applicantUscc: legalPersonFacts(plan, applicantIndex).uscc,
    parcelCodes: parcels.map((p) => p.parcelCode),
    mustBeActive: defect?.kind === 'inactiveApplicant',
  };
}
