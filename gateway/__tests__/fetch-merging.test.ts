import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import pino from 'pino';
import { RESILIENCE_DEFAULTS } from '../../shared/config';
import { answeredByDepartment, DepartmentDataSource } from '../department-source';
import { subgraphPolicy } from '../resilience';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { DepartmentFetch, entitySlice, MERGE_LIMITS, mergingFetches, RefusedFetch } from '../fetch-merging';
import { asksForAny } from '../entity-cache';

const ENTITIES = 'query($representations:[_Any!]!){_entities(representations:$representations){...on NaturalPerson{name}}}';

/**
 * A department as the merger sees it: answers every representation with its own key, and an error
 * at the path of each representation marked `broken`, as a subgraph's resolver error would be.
 */
function department() {
  const calls: DepartmentFetch[] = [];
  const send = async (fetch: DepartmentFetch): Promise<GatewayGraphQLResponse> => {
    calls.push(fetch);
    const representations = (fetch.variables?.representations ?? []) as { idNumber: string; broken?: boolean }[];
    const errors = representations.flatMap((r, i) =>
      r.broken ? [{ message: `no such person ${r.idNumber}`, path: ['_entities', i, 'name'], extensions: { code: 'NOT_FOUND' } }] : [],
    );
    return {
      data: { _entities: representations.map((r) => (r.broken ? null : { name: `name of ${r.idNumber}` })) },
      ...(errors.length ? { errors } : {}),
    } as GatewayGraphQLResponse;
  };
  return { calls, send };
}

const fetchOf = (ids: string[], token = 'Bearer a', requestId = ids.join('+'), query = ENTITIES): DepartmentFetch => ({
  query,
  variables: { representations: ids.map((idNumber) => ({ __typename: 'NaturalPerson', idNumber, broken: idNumber.startsWith('x') })) },
  headers: { authorization: token, 'x-request-id': requestId },
});

const names = (response: GatewayGraphQLResponse) => (response.data as { _entities: ({ name: string } | null)[] })._entities.map((e) => e?.name ?? null);

describe('fetch merging: entity fetches', () => {
  it('sends the fetches of one turn as one call and gives each fetch exactly its own entities', async () => {
    const { calls, send } = department();
    const merged = mergingFetches(send);
    const answers = await Promise.all([merged(fetchOf(['1', '2'])), merged(fetchOf(['3'])), merged(fetchOf(['4', '5', '6']))]);
    expect(calls).toHaveLength(1);
    expect((calls[0].variables!.representations as unknown[]).length).toBe(6);
    expect(calls[0].headers['x-request-id']).toBe('1+2,3,4+5+6');
    expect(answers.map(names)).toEqual([['name of 1', 'name of 2'], ['name of 3'], ['name of 4', 'name of 5', 'name of 6']]);
  });

  it('sends each alone a fetch asking for a field its department serves per request (geo counts its boundaries per call)', async () => {
    const { calls, send } = department();
    const merged = mergingFetches(send, MERGE_LIMITS, asksForAny(() => new Set(['boundary'])));
    const perRequest = ENTITIES.replace('{name}', '{name boundary}');
    await Promise.all([merged(fetchOf(['1'], 'Bearer a', 'r1', perRequest)), merged(fetchOf(['2'], 'Bearer a', 'r2', perRequest)), merged(fetchOf(['3'])), merged(fetchOf(['4']))]);
    expect(calls.map((c) => c.headers['x-request-id'])).toEqual(['r1', 'r2', '3,4']);
  });

  it('gives each fetch the errors at its own entities, renumbered, and no other fetch’s', async () => {
    const { send } = department();
    const merged = mergingFetches(send);
    const [first, second, third] = await Promise.all([merged(fetchOf(['1', 'x2'])), merged(fetchOf(['3'])), merged(fetchOf(['x4', '5']))]);
    expect(first.errors).toEqual([expect.objectContaining({ message: 'no such person x2', path: ['_entities', 1, 'name'] })]);
    expect(second.errors).toBeUndefined();
    expect(third.errors).toEqual([expect.objectContaining({ message: 'no such person x4', path: ['_entities', 0, 'name'] })]);
    expect(names(third)).toEqual([null, 'name of 5']);
  });

  it('gives an error that names no entity to every fetch of the call', () => {
    const response = { data: { _entities: [1, 2, 3] }, errors: [{ message: 'the department is read-only now' }] } as GatewayGraphQLResponse;
    expect(entitySlice(response, 1, 2)).toEqual({ data: { _entities: [2, 3] }, errors: [{ message: 'the department is read-only now' }] });
  });

  it('never merges fetches of different callers, queries or other variables', async () => {
    const { calls, send } = department();
    const merged = mergingFetches(send);
    const other = fetchOf(['4']);
    other.variables = { ...other.variables, first: 2 };
    await Promise.all([
      merged(fetchOf(['1'], 'Bearer consumer-a')),
      merged(fetchOf(['2'], 'Bearer consumer-b')),
      merged(fetchOf(['3'], 'Bearer consumer-a', 'r3', ENTITIES.replace('name', 'name gender'))),
      merged(other),
    ]);
    expect(calls).toHaveLength(4);
  });

  it('sends fetches of later turns and mutations as they come', async () => {
    const { calls, send } = department();
    const merged = mergingFetches(send);
    await merged(fetchOf(['1']));
    await merged(fetchOf(['2']));
    const mutation = { query: 'mutation { correct }', variables: { representations: [{}] }, headers: {} };
    await Promise.all([merged(mutation), merged(mutation)]);
    expect(calls.map((c) => c.query)).toEqual([ENTITIES, ENTITIES, 'mutation { correct }', 'mutation { correct }']);
    expect(calls[0].headers['x-request-id']).toBe('1');
  });

  it('starts a new call when one would carry too many representations or fetches', async () => {
    const { calls, send } = department();
    const merged = mergingFetches(send, { ...MERGE_LIMITS, representations: 5, fetches: 3 });
    const answers = await Promise.all([
      merged(fetchOf(['1', '2', '3'])), merged(fetchOf(['4', '5'])), merged(fetchOf(['6'])), // 6 representations > 5: '6' starts a new call
      merged(fetchOf(['7'])), merged(fetchOf(['8'])), merged(fetchOf(['9'])), // a fourth fetch > 3: '9' starts a new call
    ]);
    expect(calls.map((c) => (c.variables!.representations as unknown[]).length)).toEqual([5, 3, 1]);
    expect(answers.map(names).flat()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((n) => `name of ${n}`));
  });

  it('sends each fetch alone again when the department refuses the merged call (HTTP 4xx)', async () => {
    const { calls, send } = department();
    const refusingMerged = async (fetch: DepartmentFetch) => {
      if ((fetch.variables!.representations as unknown[]).length > 1) {
        calls.push(fetch);
        throw new RefusedFetch('HTTP 413: too large');
      }
      return send(fetch);
    };
    const merged = mergingFetches(refusingMerged);
    const again = await Promise.all([merged(fetchOf(['1'])), merged(fetchOf(['2']))]);
    expect(calls.map((c) => (c.variables!.representations as unknown[]).length)).toEqual([2, 1, 1]);
    expect(again.map(names)).toEqual([['name of 1'], ['name of 2']]);
  });

  it('fails every fetch of a call that fails', async () => {
    const merged = mergingFetches(async () => {
      throw new Error('ECONNREFUSED');
    });
    const results = await Promise.allSettled([merged(fetchOf(['1'])), merged(fetchOf(['2']))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

const LOOKUP = 'query Lookup__persons__0($idNumber:ID!){naturalPerson(idNumber:$idNumber){name}check:verifyNaturalPerson(idNumber:$idNumber,name:"x")}';

/**
 * A department for root fetches, answered by graphql-js: `verifyNaturalPerson` is non-null and
 * fails for an idNumber starting with `x`, which (as GraphQL has it) nulls the whole `data`.
 */
function rootDepartment() {
  const schema = buildSchema(`
    type Query { naturalPerson(idNumber: ID!): NaturalPerson  verifyNaturalPerson(idNumber: ID!, name: String!): String! }
    type NaturalPerson { name: String }
  `);
  const rootValue = {
    naturalPerson: ({ idNumber }: { idNumber: string }) => ({ name: `name of ${idNumber}` }),
    verifyNaturalPerson: ({ idNumber }: { idNumber: string }) => {
      if (idNumber.startsWith('x')) throw new Error(`bad idNumber ${idNumber}`);
      return 'MATCH';
    },
  };
  const calls: DepartmentFetch[] = [];
  const send = async (fetch: DepartmentFetch): Promise<GatewayGraphQLResponse> => {
    calls.push(fetch);
    const result = await graphql({ schema, rootValue, source: fetch.query, variableValues: fetch.variables, operationName: fetch.operationName });
    return JSON.parse(JSON.stringify(result)) as GatewayGraphQLResponse;
  };
  return { calls, send };
}

const lookup = (idNumber: string, token = 'Bearer a'): DepartmentFetch => ({
  query: LOOKUP, operationName: 'Lookup__persons__0', variables: { idNumber }, headers: { authorization: token, 'x-request-id': `r-${idNumber}` },
});

describe('fetch merging: root fetches', () => {
  it('copies each fetch’s root fields under aliases of its own, with its variables, and gives each its own fields back', async () => {
    const { calls, send } = rootDepartment();
    const merged = mergingFetches(send);
    const answers = await Promise.all(['1', '2', '3'].map((id) => merged(lookup(id))));
    expect(calls).toHaveLength(1);
    expect(calls[0].query).toContain('query Lookup__persons__0($_0_idNumber: ID!, $_1_idNumber: ID!, $_2_idNumber: ID!)');
    expect(calls[0].query).toContain('_2_naturalPerson: naturalPerson(idNumber: $_2_idNumber)');
    expect(calls[0].query).toContain('_1_check: verifyNaturalPerson(idNumber: $_1_idNumber, name: "x")');
    expect(calls[0].variables).toEqual({ _0_idNumber: '1', _1_idNumber: '2', _2_idNumber: '3' });
    expect(calls[0].headers['x-request-id']).toBe('r-1,r-2,r-3');
    expect(answers).toEqual(['1', '2', '3'].map((id) => ({ data: { naturalPerson: { name: `name of ${id}` }, check: 'MATCH' } })));
    expect(Object.keys(answers[0].data!)).toEqual(['naturalPerson', 'check']);
  });

  it('sends each fetch alone again when the merged call has no data, so one fetch’s bad input costs no other its answer', async () => {
    const { calls, send } = rootDepartment();
    const merged = mergingFetches(send);
    const [good, bad] = await Promise.all([merged(lookup('1')), merged(lookup('x2'))]);
    expect(calls.map((c) => (c.query.includes('_0_') ? 'merged' : 'alone'))).toEqual(['merged', 'alone', 'alone']);
    expect(good.errors).toBeUndefined();
    expect(bad).toEqual({ data: null, errors: [expect.objectContaining({ message: 'bad idNumber x2', path: ['check'] })] });
  });

  it('merges only the same query of the same caller, and leaves alone fetches with variables in fragments or directives and those with many root fields', async () => {
    const { calls, send } = rootDepartment();
    const merged = mergingFetches(send);
    const fragment = 'query Q($id:Boolean!){naturalPerson(idNumber:"1"){...F}} fragment F on NaturalPerson{name @include(if:$id)}';
    const directive = 'query R($id:ID!) @deprecated { naturalPerson(idNumber:$id){name} }';
    // More root fields than MERGE_LIMITS.rootFields: enough work per call already.
    const many = `{ ${Array.from({ length: MERGE_LIMITS.rootFields + 1 }, (_, i) => `p${i}: naturalPerson(idNumber: "${i}") { name }`).join(' ')} }`;
    await Promise.all([
      merged(lookup('1', 'Bearer a')), merged(lookup('2', 'Bearer b')),
      merged({ query: fragment, variables: { id: true }, headers: {} }), merged({ query: fragment, variables: { id: true }, headers: {} }),
      merged({ query: directive, variables: { id: '1' }, headers: {} }), merged({ query: directive, variables: { id: '2' }, headers: {} }),
      merged({ query: many, variables: {}, headers: {} }), merged({ query: many, variables: {}, headers: {} }),
    ]);
    expect(calls).toHaveLength(8);
  });

  it('keeps a merged query under its size limit by starting a new call', async () => {
    const { calls, send } = rootDepartment();
    const merged = mergingFetches(send, { ...MERGE_LIMITS, queryBytes: 2 * Buffer.byteLength(LOOKUP) });
    await Promise.all(['1', '2', '3'].map((id) => merged(lookup(id))));
    expect(calls.map((c) => Object.keys(c.variables!).length)).toEqual([2, 1]);
  });
});

describe("fetch merging and a department's circuit", () => {
  // A department as shared/graphql-endpoint.ts answers: HTTP 413 to a body over 2 MB.
  const MAX_BODY = 2 * 1024 * 1024;
  let oversized = 0;
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (Buffer.concat(chunks).length > MAX_BODY) {
      oversized += 1;
      res.writeHead(413, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ message: `The request body is larger than ${MAX_BODY} bytes`, extensions: { code: 'BAD_REQUEST' } }] }));
      return;
    }
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":{"verifyNaturalPerson":"MISMATCH"}}'), 50);
  });
  let url: string;
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));

  it("is not opened by merged calls the department refuses as too large: each request's own call is answered, and so is everyone else's", async () => {
    const logger = pino({ level: 'silent' });
    const source = new DepartmentDataSource(
      'persons', '公安', url, async (_subgraph, caller) => `token-of-${caller.consumer}-${encodeURIComponent(caller.purpose ?? '')}`, logger,
      subgraphPolicy('persons', RESILIENCE_DEFAULTS, logger, answeredByDepartment), true,
    );
    const QUERY = 'query V__persons__0($id:ID!,$name:String!){verifyNaturalPerson(idNumber:$id,name:$name)}';
    const ask = (consumer: string, purpose: string, n: number, name: string) => source.process({
      kind: 0, request: { query: QUERY, operationName: 'V__persons__0', variables: { id: '35062919490601186X', name } },
      context: { principal: { kind: 'SYSTEM', consumer: { id: consumer, roles: [] } }, purpose, requestId: `r-${encodeURIComponent(purpose)}-${n}` },
    } as never);
    // One consumer's valid 700 KB names, three requests for each of five purposes in one turn: each
    // request's own call is under the department's 2 MB, three merged are over it. Five such calls
    // in a row used to be retried and counted as failures, which opened the circuit.
    const name = '张'.repeat(240_000);
    const theirs = await Promise.all(Array.from({ length: 15 }, (_, i) => ask('drc-approval', `核验第${Math.floor(i / 3)}批`, i % 3, name)));
    expect(oversized).toBe(5);
    expect(theirs.map((answer) => [answer.errors, answer.data])).toEqual(Array(15).fill([undefined, { verifyNaturalPerson: 'MISMATCH' }]));
    const another = await ask('market-portal', '', 0, '叶梅');
    expect(another).toEqual({ data: { verifyNaturalPerson: 'MISMATCH' } });
  });
});
