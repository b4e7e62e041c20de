import type { Knex } from 'knex';
import { groupLoader, rowLoader } from '../../shared/batch';
import { readConfig } from '../../shared/config';
import { openStore } from '../../shared/db';
import { listen, sendJson } from '../../shared/http';
import { readRequestBody } from '../../shared/request-body';
import { createCreditStore, CreditProfile, SubjectType } from '../../subgraphs/credit/store';
import { createGeoStore } from '../../subgraphs/geo/store';
import { createLegalPersonStore } from '../../subgraphs/legal-persons/store';
import { createPersonStore } from '../../subgraphs/persons/store';
import { verification } from '../../subgraphs/persons/verification';
import { createProjectStore } from '../../subgraphs/projects/store';
import { PERSON_LOOKUP, projectCursor, VERIFICATIONS_PER_BATCH, VERIFY_BATCH, VERIFY_LIST } from './operations';
import { PROJECT_PAGE, PROJECT_REVIEW } from '../../tests/support/operations';
import { stopWithBench } from './stop-with-bench';

/**
 * Target (d) of the benchmark, the floor the databases set: one process that answers the four
 * bench operations by calling the five departments' stores itself (the very store modules the
 * subgraphs run, so the same SQL), batched per request with the same DataLoaders, and writes the
 * same JSON a GraphQL server would. No GraphQL parsing or execution, no HTTP between departments.
 * It answers only the bench's query texts (and `{ __typename }` for readiness).
 * Usage: direct.ts <port>   (stores from the ONESOURCE_* environment, as the subgraphs)
 */

type Stores = ReturnType<typeof createStores>;

function createStores(dbs: Record<'persons' | 'legalPersons' | 'geo' | 'projects' | 'credit', Knex>) {
  return {
    persons: createPersonStore(dbs.persons),
    legalPersons: createLegalPersonStore(dbs.legalPersons),
    geo: createGeoStore(dbs.geo),
    projects: createProjectStore(dbs.projects),
    credit: createCreditStore(dbs.credit),
  };
}

/** Fresh per request, as in the subgraphs: batching never leaks data between requests. */
function loadersFor(stores: Stores) {
  return {
    persons: rowLoader(stores.persons.byIdNumbers, (p) => p.idNumber),
    registeredNames: rowLoader(stores.persons.namesByIdNumbers, (p) => p.idNumber),
    legalPersons: rowLoader(stores.legalPersons.byUsccs, (lp) => lp.uscc),
    divisions: rowLoader(stores.geo.divisionsByCodes, (d) => d.code),
    parcels: rowLoader(stores.geo.parcelsByCodes, (p) => p.parcelCode),
    projects: rowLoader(stores.projects.byCodes, (p) => p.projectCode),
    parcelLinks: groupLoader(stores.projects.parcelLinks, (l) => l.projectCode),
    approvals: groupLoader(stores.projects.approvals, (a) => a.projectCode),
    personProfiles: rowLoader((keys) => stores.credit.profiles('NATURAL_PERSON', keys), (p) => p.subjectKey),
    legalPersonProfiles: rowLoader((keys) => stores.credit.profiles('LEGAL_PERSON', keys), (p) => p.subjectKey),
  };
}
type Loaders = ReturnType<typeof loadersFor>;
type Variables = Record<string, any>;

/** What the Date scalar writes. */
const date = (value: unknown) => (value === null || value === undefined ? null : String(value).slice(0, 10));

async function credit(l: Loaders, subjectType: SubjectType, subjectKey: string): Promise<CreditProfile> {
  const profiles = subjectType === 'NATURAL_PERSON' ? l.personProfiles : l.legalPersonProfiles;
  return (await profiles.load(subjectKey)) ?? { subjectType, subjectKey, onBlacklist: false, onRedlist: false, rating: null };
}

async function codeAndName(l: Loaders, code: string) {
  const d = await l.divisions.load(code);
  return d && { code: d.code, name: d.name };
}

async function fullName(l: Loaders, name: string, parentCode: string | null): Promise<string> {
  for (let up = parentCode; up; ) {
    const parent = await l.divisions.load(up);
    if (!parent) break;
    name = parent.name + name;
    up = parent.parentCode;
  }
  return name;
}

// -- the four operations ----------------------------------------------------------------------

async function personLookup(l: Loaders, v: Variables) {
  const p = await l.persons.load(v.idNumber);
  return { naturalPerson: p && { idNumber: p.idNumber, name: p.name, gender: p.gender, birthDate: date(p.birthDate), status: p.status } };
}

async function projectReview(l: Loaders, v: Variables) {
  const p = await l.projects.load(v.projectCode);
  if (!p) return { investmentProject: null };

  const division = (async () => {
    const d = await l.divisions.load(p.divisionCode);
    if (!d) return null;
    const [parent, name] = await Promise.all([d.parentCode ? codeAndName(l, d.parentCode) : null, fullName(l, d.name, d.parentCode)]);
    return { code: d.code, name: d.name, level: d.level, fullName: name, parent };
  })();
  const parcels = (async () => {
    const links = await l.parcelLinks.load(p.projectCode);
    return Promise.all(
      links.map(async ({ parcelCode }) => {
        const parcel = await l.parcels.load(parcelCode);
        return (
          parcel && {
            parcelCode: parcel.parcelCode,
            landUse: parcel.landUse,
            landUseCode: parcel.landUseCode,
            areaSquareMetres: Number(parcel.areaSquareMetres),
            geometry: JSON.parse(parcel.geometry),
            division: await codeAndName(l, parcel.divisionCode),
          }
        );
      }),
    );
  })();
  const applicant = (async () => {
    const lp = await l.legalPersons.load(p.applicantUscc);
    if (!lp) return null;
    const representative = (async () => {
      const person = await l.persons.load(lp.representativeIdNumber);
      if (!person) return null;
      const [householdDivision, c] = await Promise.all([codeAndName(l, person.householdDivisionCode), credit(l, 'NATURAL_PERSON', person.idNumber)]);
      return {
        idNumber: person.idNumber,
        name: person.name,
        gender: person.gender,
        birthDate: date(person.birthDate),
        status: person.status,
        householdDivision,
        credit: { onBlacklist: c.onBlacklist, onRedlist: c.onRedlist },
      };
    })();
    const [lpDivision, c, legalRepresentative] = await Promise.all([codeAndName(l, lp.divisionCode), credit(l, 'LEGAL_PERSON', lp.uscc), representative]);
    return {
      uscc: lp.uscc,
      name: lp.name,
      status: lp.status,
      establishedOn: date(lp.establishedOn),
      registeredCapital: lp.registeredCapital,
      division: lpDivision,
      credit: { onBlacklist: c.onBlacklist, onRedlist: c.onRedlist, rating: c.rating },
      legalRepresentative,
    };
  })();

  const [approvals, divisionAnswer, parcelAnswers, applicantAnswer] = await Promise.all([
    l.approvals.load(p.projectCode),
    division,
    parcels,
    applicant,
  ]);
  return {
    investmentProject: {
      projectCode: p.projectCode,
      name: p.name,
      totalInvestment: p.totalInvestment,
      status: p.status,
      kind: p.kind,
      declaredOn: date(p.declaredOn),
      approvals: approvals.map((a) => ({ department: a.department, item: a.item, status: a.status, decidedOn: date(a.decidedOn) })),
      division: divisionAnswer,
      parcels: parcelAnswers,
      applicant: applicantAnswer,
    },
  };
}

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  if (!decoded.startsWith('project:')) throw new Error(`not a project cursor: ${cursor}`);
  return decoded.slice('project:'.length);
}

async function projectPage(l: Loaders, v: Variables, stores: Stores) {
  const first: number = v.first ?? 20;
  const rows = first === 0 ? [] : await stores.projects.page({}, v.after ? decodeCursor(v.after) : undefined, first + 1);
  const nodes = rows.slice(0, first);
  const edges = await Promise.all(
    nodes.map(async (node) => {
      const lp = await l.legalPersons.load(node.applicantUscc);
      const [c, person, personCredit] = lp
        ? await Promise.all([credit(l, 'LEGAL_PERSON', lp.uscc), l.persons.load(lp.representativeIdNumber), credit(l, 'NATURAL_PERSON', lp.representativeIdNumber)])
        : [null, null, null];
      return {
        cursor: projectCursor(node.projectCode),
        node: {
          projectCode: node.projectCode,
          name: node.name,
          status: node.status,
          applicant: lp && {
            uscc: lp.uscc,
            name: lp.name,
            credit: { onBlacklist: c!.onBlacklist, rating: c!.rating },
            legalRepresentative: person && { idNumber: person.idNumber, name: person.name, credit: { onBlacklist: personCredit!.onBlacklist } },
          },
        },
      };
    }),
  );
  return {
    investmentProjects: {
      edges,
      pageInfo: { hasNextPage: rows.length > first, endCursor: nodes.length ? projectCursor(nodes[nodes.length - 1].projectCode) : null },
    },
  };
}

async function verifyBatch(l: Loaders, v: Variables) {
  const answers = await Promise.all(
    Array.from({ length: VERIFICATIONS_PER_BATCH }, async (_, i) => {
      return verification(await l.registeredNames.load(v[`i${i}`]), String(v[`n${i}`]));
    }),
  );
  return Object.fromEntries(answers.map((answer, i) => [`v${i}`, answer]));
}

async function verifyList(l: Loaders, v: Variables) {
  const requests = v.requests as { idNumber: string; name: string }[];
  const persons = await l.registeredNames.loadMany(requests.map((r) => r.idNumber));
  return {
    verifyNaturalPersons: requests.map((r, i) => {
      const person = persons[i];
      if (person instanceof Error) throw person;
      return verification(person, r.name);
    }),
  };
}

type Answer = (l: Loaders, v: Variables, stores: Stores) => Promise<unknown>;

const ANSWERS = new Map<string, Answer>([
  [PERSON_LOOKUP, personLookup],
  [PROJECT_REVIEW, projectReview],
  [PROJECT_PAGE, projectPage],
  [VERIFY_BATCH, verifyBatch],
  [VERIFY_LIST, verifyList],
  ['{ __typename }', async () => ({ __typename: 'Query' })],
]);

// -- HTTP ---------------------------------------------------------------------------------------

/** The largest request the baseline reads: a batch of 100 verifications is about 15 KB. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

async function main() {
  const port = Number(process.argv[2] ?? 0);
  const config = readConfig();
  const dbs = {
    persons: await openStore(config, 'persons'),
    legalPersons: await openStore(config, 'legal-persons'),
    geo: await openStore(config, 'geo'),
    projects: await openStore(config, 'projects'),
    credit: await openStore(config, 'credit'),
  };
  const stores = createStores(dbs);

  const http = await listen(
    (req, res) => {
      if (req.method !== 'POST') return sendJson(res, 405, { errors: [{ message: 'POST a GraphQL request' }] });
      readRequestBody(req, MAX_BODY_BYTES)
        .then(async (text) => {
          const { query, variables } = JSON.parse(text) as { query?: string; variables?: Variables };
          const answer = query === undefined ? undefined : ANSWERS.get(query);
          if (!answer) return sendJson(res, 400, { errors: [{ message: 'the direct baseline answers only the benchmark operations' }] });
          sendJson(res, 200, { data: await answer(loadersFor(stores), variables ?? {}, stores) });
        })
        .catch((e: Error) => {
          console.error(`direct baseline: ${e.message}`);
          sendJson(res, 500, { errors: [{ message: 'internal error' }] });
        });
    },
    port,
    config.host,
  );

  const stop = async () => {
    await http.close();
    await Promise.all(Object.values(dbs).map((db) => db.destroy()));
    process.exit(0);
  };
  stopWithBench(stop);
}

main().catch((e) => {
  console.error(`direct baseline failed to start: ${e.message}`);
  process.exit(1);
});
