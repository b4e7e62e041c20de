import type { Knex } from 'knex';
import { personFacts, projectFacts } from '../../shared/seed/population';
import { dice } from '../../shared/seed/random';
import type { SeedPlan } from '../../shared/subgraph-server';
import { PROJECT_PAGE, PROJECT_REVIEW } from '../../tests/support/operations';

/** The four operations of issue 7 (the batch of verifications in two forms), sent unchanged to every target. */
export type OperationId = 'person' | 'review' | 'page' | 'verify' | 'verify-list';

export interface Operation {
  id: OperationId;
  title: string;
  operationName: string;
  query: string;
}

/** One person by idNumber, a few basic fields: the persons subgraph alone. */
export const PERSON_LOOKUP = /* GraphQL */ `
  query PersonLookup($idNumber: ID!) {
    naturalPerson(idNumber: $idNumber) { idNumber name gender birthDate status }
  }
`;

export const VERIFICATIONS_PER_BATCH = 100;
export const PAGE_SIZE = 50;

/**
 * A batch of 100 verifications as 100 aliased `verifyNaturalPerson` fields (`v0` … `v99`, the
 * numbers and names as variables `$i0`/`$n0` …). Chosen over `naturalPersons(idNumbers:)`: it is
 * what a verifying system sends (an answer of MATCH, MISMATCH or NOT_FOUND, no personal data
 * returned), and the query text stays the same whatever the people, so plan caches apply.
 */
export const VERIFY_BATCH = (() => {
  const indices = Array.from({ length: VERIFICATIONS_PER_BATCH }, (_, i) => i);
  const variables = indices.map((i) => `$i${i}: ID!, $n${i}: String!`).join(', ');
  const fields = indices.map((i) => `    v${i}: verifyNaturalPerson(idNumber: $i${i}, name: $n${i})`).join('\n');
  return `query VerifyBatch(${variables}) {\n${fields}\n}\n`;
})();

/**
 * The same batch as one `verifyNaturalPersons` field with a list of 100 requests: what a system
 * that verifies in batches sends once the field exists, one field to plan, coerce and shape
 * instead of a hundred.
 */
export const VERIFY_LIST = /* GraphQL */ `
  query VerifyList($requests: [VerificationRequest!]!) {
    verifyNaturalPersons(requests: $requests)
  }
`;

export const OPERATIONS: readonly Operation[] = [
  { id: 'person', title: 'person lookup', operationName: 'PersonLookup', query: PERSON_LOOKUP },
  { id: 'review', title: 'project review (5 departments)', operationName: 'ProjectReview', query: PROJECT_REVIEW },
  { id: 'page', title: `page of ${PAGE_SIZE} projects`, operationName: 'ProjectPage', query: PROJECT_PAGE },
  { id: 'verify', title: `${VERIFICATIONS_PER_BATCH} verifications`, operationName: 'VerifyBatch', query: VERIFY_BATCH },
  { id: 'verify-list', title: `${VERIFICATIONS_PER_BATCH} verifications as one list`, operationName: 'VerifyList', query: VERIFY_LIST },
];

/** Cursors as the projects subgraph gives them out (`project:<code>`, base64url): any page can be asked for. */
export function projectCursor(projectCode: string): string {
  return Buffer.from(`project:${projectCode}`).toString('base64url');
}

type Variables = Record<string, unknown>;

/** How many different variable sets each operation rotates through. */
const POOL_SIZE: Record<OperationId, number> = { person: 5000, review: 2000, page: 1000, verify: 200, 'verify-list': 200 };

/**
 * Variables drawn from the seeded province, many different keys per operation so that no answer
 * is served from one hot row: random persons and projects (their keys come from the same facts
 * the seeds use), pages starting after random projects, and verification batches of which about
 * 90% match, 5% give a wrong name and 5% a well-formed number nobody holds.
 */
export async function drawVariables(plan: SeedPlan, persons: Knex): Promise<Record<OperationId, Variables[]>> {
  const roll = (stream: string, k: number, max: number) => dice(plan.seed, `bench-${stream}`, k).int(0, max - 1);

  const person = Array.from({ length: POOL_SIZE.person }, (_, k) => ({ idNumber: personFacts(plan, roll('person', k, plan.persons)).idNumber }));
  const review = Array.from({ length: POOL_SIZE.review }, (_, k) => ({ projectCode: projectFacts(plan, roll('review', k, plan.projects)).projectCode }));
  const page = Array.from({ length: POOL_SIZE.page }, (_, k) => ({
    first: PAGE_SIZE,
    after: projectCursor(projectFacts(plan, roll('page', k, plan.projects)).projectCode),
  }));

  // One person per seed index at most 2,000,000: indices past the plan are valid numbers nobody holds.
  const unknownRoom = Math.min(100_000, 2_000_000 - plan.persons);
  const asked: { idNumber: string; wrongName: boolean }[][] = [];
  for (let b = 0; b < POOL_SIZE.verify; b++) {
    asked.push(
      Array.from({ length: VERIFICATIONS_PER_BATCH }, (_, i) => {
        const d = dice(plan.seed, 'bench-verify', b * VERIFICATIONS_PER_BATCH + i);
        const kind = d.int(0, 99);
        const index = kind < 5 && unknownRoom > 0 ? plan.persons + d.int(0, unknownRoom - 1) : d.int(0, plan.persons - 1);
        return { idNumber: personFacts(plan, index).idNumber, wrongName: kind >= 5 && kind < 10 };
      }),
    );
  }
  const names = await namesOf(persons, [...new Set(asked.flat().map((a) => a.idNumber))]);
  const anyName = [...names.values()];
  const verify = asked.map((batch, b) => {
    const variables: Variables = {};
    batch.forEach(({ idNumber, wrongName }, i) => {
      const name = names.get(idNumber);
      variables[`i${i}`] = idNumber;
      variables[`n${i}`] = !name ? anyName[(b + i) % anyName.length] : wrongName ? `${name}明` : name;
    });
    return variables;
  });
  // The same batches, the same names.
  const verifyList = verify.map((variables) => ({
    requests: Array.from({ length: VERIFICATIONS_PER_BATCH }, (_, i) => ({ idNumber: variables[`i${i}`], name: variables[`n${i}`] })),
  }));

  return { person, review, page, verify, 'verify-list': verifyList };
}

async function namesOf(persons: Knex, idNumbers: string[]): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (let i = 0; i < idNumbers.length; i += 1000) {
    const rows: { id_number: string; name: string }[] = await persons('natural_persons')
      .select('id_number', 'name')
      .whereIn('id_number', idNumbers.slice(i, i + 1000));
    for (const row of rows) names.set(row.id_number, row.name);
  }
  return names;
}

/** The request bodies of one operation, serialised once, in the order they are sent. */
export function requestBodies(operation: Operation, variables: Variables[]): string[] {
  return variables.map((v) => JSON.stringify({ operationName: operation.operationName, query: operation.query, variables: v }));
}
