import { idNumberFacts } from '../../shared/identifiers';

/**
 * Cross-department consistency checks (共享校核). Every check reads through the gateway, as the
 * consumer `data-quality` would, page by page: no department (and not this code) opens another
 * department's database, and every read of personal data is audited like any other.
 */

/** Runs one GraphQL operation through the gateway and gives back its data, or throws its first error. */
export type GatewayQuery = (query: string, variables?: Record<string, unknown>) => Promise<any>;

export interface RuleResult {
  rule: string;
  description: string;
  departments: string[];
  checked: number;
  count: number;
  samples: ConsistencySample[];
}

export interface ConsistencySample {
  entity: string;
  key: string;
  detail: string;
  /** The person the sample names (its key or a legal representative): not in the answer, for the audit of who reads it. */
  subject?: string;
}

export interface ConsistencyResult {
  rules: RuleResult[];
  departments: { department: string; count: number }[];
}

const SAMPLES = 20;
const ACTIVE_PROJECT = new Set(['DECLARED', 'UNDER_REVIEW', 'APPROVED', 'UNDER_CONSTRUCTION']);
/** Revoked (吊销) or cancelled (注销): what `inactive-company-with-active-project` looks for. */
const INACTIVE_COMPANY = new Set(['REVOKED', 'CANCELLED']);
/** Pages through the gateway: sized to stay well inside the per-operation cost and batch limits. */
const PAGE = { legalPersons: 100, projects: 100, persons: 500 };

class Rule implements RuleResult {
  checked = 0;
  count = 0;
  samples: RuleResult['samples'] = [];
  constructor(readonly rule: string, readonly description: string, readonly departments: string[]) {}
  breach(entity: string, key: string, detail: string, subject?: string) {
    this.count += 1;
    if (this.samples.length < SAMPLES) this.samples.push(subject ? { entity, key, detail, subject } : { entity, key, detail });
  }
  toJSON(): RuleResult {
    const { rule, description, departments, checked, count, samples } = this;
    return { rule, description, departments, checked, count, samples };
  }
}

/** Walks a Relay connection through the gateway, one page per request. */
async function eachPage<T>(
  query: GatewayQuery, document: string, field: string, first: number, visit: (nodes: T[]) => Promise<void>,
): Promise<void> {
  let after: string | null = null;
  do {
    const data = await query(document, { first, after });
    const connection = data[field];
    await visit(connection.edges.map((e: { node: T }) => e.node));
    after = connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null;
  } while (after);
}

const LEGAL_PERSONS = `query ConsistencyLegalPersons($first: Int, $after: String) {
  allLegalPersons(first: $first, after: $after) {
    edges { node { uscc status legalRepresentative { idNumber credit { onBlacklist } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PERSON_STATUS = `query ConsistencyRepresentatives($idNumbers: [ID!]!) { naturalPersons(idNumbers: $idNumbers) { idNumber status } }`;
const PROJECTS = `query ConsistencyProjects($first: Int, $after: String) {
  investmentProjects(first: $first, after: $after) {
    edges { node { projectCode status division { code level } applicant { uscc status } parcels { parcelCode landUse division { code } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PERSONS = `query ConsistencyPersons($first: Int, $after: String) {
  allNaturalPersons(first: $first, after: $after) {
    edges { node { idNumber gender birthDate } }
    pageInfo { hasNextPage endCursor }
  }
}`;

/** What a consistency run asks the gateway, as `data-quality`: a schema change must keep these valid (`npm run check`). */
export const CONSISTENCY_OPERATIONS: readonly string[] = [LEGAL_PERSONS, PERSON_STATUS, PROJECTS, PERSONS];

/**
 * A record one department names that the department owning it does not hold (a project's applicant
 * missing from the legal-persons register, a parcel geo does not hold) comes back from the gateway
 * as its key with null fields (and a NOT_IN_REGISTER data-quality flag). The rules about a record's
 * fields check only what is held: such a record is neither a breach of them nor a reason to stop
 * the run. The rules about the gap itself count it: `legal-representative-unknown-or-deceased` (a
 * company's representative the persons register lacks) and `project-names-unregistered-record` (a
 * project's applicant or parcel their owners lack).
 */
const held = (value: unknown): boolean => value !== null && value !== undefined;

/** How many leading digits of a division code name it: 2 for a province, 4 for a city, 6 for a county. */
const SIGNIFICANT = { PROVINCE: 2, CITY: 4, COUNTY: 6 } as Record<string, number>;

export async function checkConsistency(query: GatewayQuery, progress: (text: string) => void = () => {}): Promise<ConsistencyResult> {
  const representative = new Rule(
    'legal-representative-unknown-or-deceased',
    'Companies whose legal representative is not in the persons register, and active companies whose representative is registered as deceased',
    ['legal-persons', 'persons'],
  );
  const blacklisted = new Rule(
    'blacklisted-representative-of-active-company',
    'Active companies whose legal representative is on the credit blacklist (失信联合惩戒对象)',
    ['legal-persons', 'credit'],
  );
  const inactiveApplicant = new Rule(
    'inactive-company-with-active-project',
    'Revoked or cancelled companies that are the applicant of a project still under way',
    ['legal-persons', 'projects'],
  );
  const parcelOutside = new Rule(
    'parcel-outside-project-division',
    "Projects with a land parcel outside the project's administrative division",
    ['projects', 'geo'],
  );
  const unregistered = new Rule(
    'project-names-unregistered-record',
    'Projects whose applicant is not in the legal-persons register, or whose land parcel the geo department does not hold',
    ['projects', 'legal-persons', 'geo'],
  );
  const personRecord = new Rule(
    'person-record-disagrees-with-number',
    'Persons whose recorded gender or birth date disagrees with their 公民身份号码',
    ['persons'],
  );

  // 1. Legal persons, their representatives (persons) and the representatives' credit.
  await eachPage<any>(query, LEGAL_PERSONS, 'allLegalPersons', PAGE.legalPersons, async (companies) => {
    // A company whose record names no representative is left to no rule here: there is no number to look up.
    const ids = [...new Set(companies.map((c) => c?.legalRepresentative?.idNumber as string | undefined).filter((id): id is string => !!id))];
    const { naturalPersons } = ids.length ? await query(PERSON_STATUS, { idNumbers: ids }) : { naturalPersons: [] };
    const status = new Map<string, string>(ids.map((id, i) => [id, naturalPersons?.[i]?.status ?? 'UNKNOWN']));
    for (const c of companies) {
      const rep = c?.legalRepresentative;
      if (!rep?.idNumber) continue;
      representative.checked += 1;
      const s = status.get(rep.idNumber);
      if (s === 'UNKNOWN') representative.breach('LegalPerson', c.uscc, `legal representative ${rep.idNumber} is not in the persons register`, rep.idNumber);
      // A revoked or cancelled company acts for no one any more: its representative's death is no defect.
      if (s === 'DECEASED' && c.status === 'ACTIVE') representative.breach('LegalPerson', c.uscc, `legal representative ${rep.idNumber} is registered as deceased`, rep.idNumber);
      if (c.status === 'ACTIVE') {
        blacklisted.checked += 1;
        if (rep.credit?.onBlacklist) blacklisted.breach('LegalPerson', c.uscc, `legal representative ${rep.idNumber} is on the credit blacklist`, rep.idNumber);
      }
    }
    progress(`legal persons: ${representative.checked} checked`);
  });

  // 2. Projects, their applicants (legal persons) and parcels (geo).
  const inactiveWithProject = new Map<string, string[]>();
  // The rule is about companies (its breaches are LegalPerson records): it checks each applicant once, however many projects name it.
  const applicantsChecked = new Set<string>();
  await eachPage<any>(query, PROJECTS, 'investmentProjects', PAGE.projects, async (projects) => {
    for (const p of projects) {
      if (!p) continue;
      // A field every held record has (a company's status, a parcel's land use) is null only where
      // its owner holds no such record (a department that fails makes the whole page fail instead).
      unregistered.checked += 1;
      const gaps = [
        held(p.applicant?.uscc) && !held(p.applicant?.status) && `applicant ${p.applicant.uscc} is not in the legal-persons register`,
        ...(p.parcels ?? [])
          .filter((parcel: any) => held(parcel?.parcelCode) && !held(parcel?.landUse))
          .map((parcel: any) => `parcel ${parcel.parcelCode} is not held by geo`),
      ].filter(Boolean);
      if (gaps.length) unregistered.breach('InvestmentProject', p.projectCode, gaps.join('; '));
      // An applicant the legal-persons register does not hold has no status: it is not a revoked or
      // cancelled company, so this rule neither checks nor counts it.
      const applicant = p.applicant;
      if (held(applicant?.uscc) && held(applicant?.status)) {
        applicantsChecked.add(applicant.uscc);
        if (ACTIVE_PROJECT.has(p.status) && INACTIVE_COMPANY.has(applicant.status)) {
          inactiveWithProject.set(applicant.uscc, [...(inactiveWithProject.get(applicant.uscc) ?? []), `${p.projectCode} (${p.status})`]);
        }
      }
      // A project's division is the projects department's own key; a parcel geo does not hold has no
      // division and is left out: only the parcels geo holds are compared.
      if (!held(p.division?.code)) continue;
      parcelOutside.checked += 1;
      const prefix = String(p.division.code).slice(0, SIGNIFICANT[p.division.level] ?? 6);
      const located = (p.parcels ?? []).filter((parcel: any) => held(parcel?.division?.code));
      const outside = located.filter((parcel: any) => !String(parcel.division.code).startsWith(prefix));
      if (outside.length) {
        parcelOutside.breach('InvestmentProject', p.projectCode,
          `recorded in ${p.division.code}; ${outside.map((x: any) => `${x.parcelCode} lies in ${x.division.code}`).join(', ')}`);
      }
    }
    progress(`projects: ${parcelOutside.checked} checked`);
  });
  inactiveApplicant.checked = applicantsChecked.size;
  for (const [uscc, projects] of inactiveWithProject) {
    inactiveApplicant.breach('LegalPerson', uscc, `not active, yet the applicant of ${projects.join(', ')}`);
  }

  // 3. Persons against their own numbers.
  await eachPage<any>(query, PERSONS, 'allNaturalPersons', PAGE.persons, async (persons) => {
    for (const p of persons) {
      if (!held(p?.idNumber)) continue;
      personRecord.checked += 1;
      const facts = idNumberFacts(p.idNumber);
      const wrong = [
        facts.gender !== p.gender && `gender ${p.gender}, the number says ${facts.gender}`,
        facts.birthDate !== p.birthDate && `birth date ${p.birthDate}, the number says ${facts.birthDate}`,
      ].filter(Boolean);
      if (wrong.length) personRecord.breach('NaturalPerson', p.idNumber, wrong.join('; '), p.idNumber);
    }
    progress(`persons: ${personRecord.checked} checked`);
  });

  const rules = [representative, inactiveApplicant, parcelOutside, unregistered, personRecord, blacklisted].map((r) => r.toJSON());
  const byDepartment = new Map<string, number>();
  for (const r of rules) byDepartment.set(r.departments[0], (byDepartment.get(r.departments[0]) ?? 0) + r.count);
  return { rules, departments: [...byDepartment].map(([department, count]) => ({ department, count })) };
}
