import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { DepartmentFetch, mergingEntityFetches, sliceOf } from '../entity-fetch-merging';

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

describe('entity fetch merging', () => {
  it('sends the fetches of one turn as one call and gives each fetch exactly its own entities', async () => {
    const { calls, send } = department();
    const merged = mergingEntityFetches(send);
    const answers = await Promise.all([merged(fetchOf(['1', '2'])), merged(fetchOf(['3'])), merged(fetchOf(['4', '5', '6']))]);
    expect(calls).toHaveLength(1);
    expect((calls[0].variables!.representations as unknown[]).length).toBe(6);
    expect(calls[0].headers['x-request-id']).toBe('1+2,3,4+5+6');
    expect(answers.map(names)).toEqual([['name of 1', 'name of 2'], ['name of 3'], ['name of 4', 'name of 5', 'name of 6']]);
  });

  it('gives each fetch the errors at its own entities, renumbered, and no other fetch’s', async () => {
    const { send } = department();
    const merged = mergingEntityFetches(send);
    const [first, second, third] = await Promise.all([merged(fetchOf(['1', 'x2'])), merged(fetchOf(['3'])), merged(fetchOf(['x4', '5']))]);
    expect(first.errors).toEqual([expect.objectContaining({ message: 'no such person x2', path: ['_entities', 1, 'name'] })]);
    expect(second.errors).toBeUndefined();
    expect(third.errors).toEqual([expect.objectContaining({ message: 'no such person x4', path: ['_entities', 0, 'name'] })]);
    expect(names(third)).toEqual([null, 'name of 5']);
  });

  it('gives an error that names no entity to every fetch of the call', () => {
    const response = { data: { _entities: [1, 2, 3] }, errors: [{ message: 'the department is read-only now' }] } as GatewayGraphQLResponse;
    expect(sliceOf(response, 1, 2)).toEqual({ data: { _entities: [2, 3] }, errors: [{ message: 'the department is read-only now' }] });
  });

  it('never merges fetches of different callers, queries or other variables', async () => {
    const { calls, send } = department();
    const merged = mergingEntityFetches(send);
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

  it('sends fetches of later turns, mutations and root fields as they come', async () => {
    const { calls, send } = department();
    const merged = mergingEntityFetches(send);
    await merged(fetchOf(['1']));
    await merged(fetchOf(['2']));
    const mutation = { query: 'mutation { correct }', variables: { representations: [{}] }, headers: {} };
    await Promise.all([merged(mutation), merged(mutation), merged({ query: '{ a }', variables: undefined, headers: {} })]);
    expect(calls.map((c) => c.query)).toEqual([ENTITIES, ENTITIES, 'mutation { correct }', 'mutation { correct }', '{ a }']);
    expect(calls[0].headers['x-request-id']).toBe('1');
  });

  it('starts a new call when one would carry too many representations or fetches', async () => {
    const { calls, send } = department();
    const merged = mergingEntityFetches(send, { representations: 5, fetches: 3 });
    const answers = await Promise.all([
      merged(fetchOf(['1', '2', '3'])), merged(fetchOf(['4', '5'])), merged(fetchOf(['6'])), // 6 representations > 5: '6' starts a new call
      merged(fetchOf(['7'])), merged(fetchOf(['8'])), merged(fetchOf(['9'])), // a fourth fetch > 3: '9' starts a new call
    ]);
    expect(calls.map((c) => (c.variables!.representations as unknown[]).length)).toEqual([5, 3, 1]);
    expect(answers.map(names).flat()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((n) => `name of ${n}`));
  });

  it('fails every fetch of a call that fails', async () => {
    const merged = mergingEntityFetches(async () => {
      throw new Error('ECONNREFUSED');
    });
    const results = await Promise.allSettled([merged(fetchOf(['1'])), merged(fetchOf(['2']))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
