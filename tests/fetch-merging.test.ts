import type { Knex } from 'knex';
import { DepartmentDataSource } from '../gateway/department-source';
import type { GatewayContext } from '../gateway/context';
import { internalSigner } from '../shared/internal-token';
import { loadPrivateKey } from '../shared/keys';
import { createLogger } from '../shared/logger';
import { PROJECT_REVIEW } from './support/operations';
import { describeWithStore, Stack, startStack } from './support/stack';

/**
 * Fetch merging (gateway/fetch-merging.ts) against a real department: entity fetches, and root
 * fetches, of one turn for one caller are one call and one SQL statement, each fetch gets what it
 * gets alone, and different callers are never merged. Then through the whole gateway: concurrent
 * reviews and lookups get the answers they get one at a time.
 */
describeWithStore('sqlite', 'fetch merging', () => {
  let stack: Stack;
  let personsSql: string[] = [];
  let idNumbers: string[];

  beforeAll(async () => {
    stack = await startStack({ store: 'sqlite', mode: 'in-process' });
    const persons = stack.stores.persons as Knex;
    idNumbers = (await persons('natural_persons').select('id_number').orderBy('id_number').limit(6)).map((r: { id_number: string }) => r.id_number);
    persons.on('query', (q: { sql: string }) => personsSql.push(q.sql));
  }, 300_000);
  afterAll(() => stack?.stop());

  const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on NaturalPerson{idNumber name}}}';
  const contextOf = (consumer: string, requestId: string): GatewayContext => ({
    requestId,
    principal: { kind: 'SYSTEM', consumer: { id: consumer, name: consumer, organisation: 'test', roles: [], department: null, status: 'ACTIVE' } },
    purpose: 'investment-project-review',
  });

  async function personsSource(merge: boolean) {
    const { key, kid } = await loadPrivateKey(stack.config.dataDir, 'gateway-signing');
    return new DepartmentDataSource('persons', '公安', stack.config.subgraphs.persons.url, internalSigner(key, kid), createLogger('test', 'silent'), undefined, merge);
  }

  /** A fetch as the gateway's query plan sends it. */
  const fetchOf = (source: DepartmentDataSource, query: string, variables: Record<string, unknown>, context: GatewayContext) =>
    source.process({ kind: 0 as never, request: { query, variables }, context } as never);
  /** One `_entities` fetch for these persons. */
  const fetchPersons = (source: DepartmentDataSource, ids: string[], context: GatewayContext) =>
    fetchOf(source, ENTITIES, { representations: ids.map((idNumber) => ({ __typename: 'NaturalPerson', idNumber })) }, context);

  const entities = (response: { data?: unknown }) => (response.data as { _entities: ({ idNumber: string } | null)[] })._entities;

  it('sends the fetches of one turn for one caller as one call: one SQL statement, each fetch its own persons', async () => {
    const [a, b, c, d, e] = idNumbers;
    const unmerged = await personsSource(false);
    const alone = [];
    for (const ids of [[a, b], [c], [d, '110101199001011237', e]]) alone.push(await fetchPersons(unmerged, ids, contextOf('drc-approval', 'one')));

    personsSql = [];
    const merged = await personsSource(true);
    const together = await Promise.all([
      fetchPersons(merged, [a, b], contextOf('drc-approval', 'r1')),
      fetchPersons(merged, [c], contextOf('drc-approval', 'r2')),
      fetchPersons(merged, [d, '110101199001011237', e], contextOf('drc-approval', 'r3')),
    ]);
    expect(personsSql).toHaveLength(1);
    expect(together).toEqual(alone);
    expect(entities(together[2]).map((p) => p?.idNumber ?? null)).toEqual([d, null, e]);
  });

  it('never merges fetches of different consumers', async () => {
    const [a, b] = idNumbers;
    const merged = await personsSource(true);
    personsSql = [];
    const [first, second] = await Promise.all([
      fetchPersons(merged, [a], contextOf('drc-approval', 'r1')),
      fetchPersons(merged, [b], contextOf('samr-registration', 'r2')),
    ]);
    expect(personsSql).toHaveLength(2);
    expect(entities(first)[0]?.idNumber).toBe(a);
    expect(entities(second)[0]?.idNumber).toBe(b);
  });

  it('sends the root fetches of one turn for one caller as one call, and a bad argument costs only its own fetch', async () => {
    const LOOKUP = 'query Lookup__persons__0($idNumber:ID!){naturalPerson(idNumber:$idNumber){idNumber name}}';
    const ids = [idNumbers[0], idNumbers[1], 'not-an-id', '110101199001011237'];
    const unmerged = await personsSource(false);
    const alone = [];
    for (const idNumber of ids) alone.push(await fetchOf(unmerged, LOOKUP, { idNumber }, contextOf('drc-approval', 'one')));
    expect(alone[2].errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    personsSql = [];
    const merged = await personsSource(true);
    const together = await Promise.all(ids.map((idNumber, i) => fetchOf(merged, LOOKUP, { idNumber }, contextOf('drc-approval', `r${i}`))));
    expect(personsSql).toHaveLength(1);
    const withoutLocations = (answer: { errors?: readonly object[] }) => ({ ...answer, errors: answer.errors?.map(({ locations: _, ...e }: any) => e) });
    expect(together.map(withoutLocations)).toEqual(alone.map(withoutLocations));
    expect(together.map((a) => (a.data as any)?.naturalPerson?.idNumber ?? null)).toEqual([idNumbers[0], idNumbers[1], null, null]);
  });

  it('answers concurrent lookups through the gateway as it answers each alone', async () => {
    const query = 'query($id: ID!) { naturalPerson(idNumber: $id) { idNumber name gender householdDivision { name } } }';
    const alone = [];
    for (const id of idNumbers) alone.push(await stack.query(query, { id }));
    const together = await Promise.all(idNumbers.map((id) => stack.query(query, { id })));
    expect(together.map((a) => a.data)).toEqual(alone.map((a) => a.data));
    expect(together.map((a) => a.data.naturalPerson.idNumber)).toEqual(idNumbers);
  });

  it('answers concurrent reviews through the gateway as it answers each alone', async () => {
    const page = await stack.query(`{ investmentProjects(first: 8) { edges { node { projectCode } } } }`);
    const codes: string[] = page.data.investmentProjects.edges.map((e: { node: { projectCode: string } }) => e.node.projectCode);
    const alone = [];
    for (const projectCode of codes) alone.push(await stack.query(PROJECT_REVIEW, { projectCode }));
    const together = await Promise.all(codes.map((projectCode) => stack.query(PROJECT_REVIEW, { projectCode })));
    expect(together.map((a) => a.errors)).toEqual(codes.map(() => undefined));
    expect(together.map((a) => a.data)).toEqual(alone.map((a) => a.data));
    expect(new Set(together.map((a) => a.data.investmentProject.applicant.legalRepresentative.idNumber)).size).toBeGreaterThan(1);
  });
});
