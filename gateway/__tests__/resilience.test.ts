import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { freePort } from '../../scripts/processes';
import { answeredByDepartment, DepartmentDataSource } from '../department-source';
import { createLogger } from '../../shared/logger';
import { fetchedPaths, partialAnswerSupergraph, unavailableAnswer } from '../partial-answers';
import { subgraphPolicy } from '../resilience';

const logger = createLogger('test', 'silent');
// The half-open delay is long enough that a loaded CI machine cannot pass it between the call that
// opens the circuit and the next one (20 ms did, once, and the "open" call went through).
const settings = { timeoutMs: 2_000, retries: 2, retryDelayMs: 1, breakerFailures: 100, halfOpenAfterMs: 1_000 };
const failing = () => {
  let calls = 0;
  return { calls: () => calls, attempt: async () => { calls++; throw new Error('ECONNREFUSED'); } };
};

describe('subgraphPolicy', () => {
  it('retries queries, never mutations', async () => {
    const policy = subgraphPolicy('credit', settings, logger);
    const query = failing();
    await expect(policy.call(true, query.attempt)).rejects.toThrow('ECONNREFUSED');
    expect(query.calls()).toBe(3);
    const mutation = failing();
    await expect(policy.call(false, mutation.attempt)).rejects.toThrow('ECONNREFUSED');
    expect(mutation.calls()).toBe(1);
  });

  it('gives up at the timeout and aborts the call', async () => {
    const policy = subgraphPolicy('geo', { ...settings, timeoutMs: 50 }, logger);
    let aborted = false;
    await expect(policy.call(true, (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => {
      aborted = true;
      reject(new Error('aborted'));
    })))).rejects.toBeInstanceOf(TaskCancelledError);
    expect(aborted).toBe(true);
  });

  it('neither retries nor counts what is the caller\'s mistake', async () => {
    class BadInput extends Error {}
    const policy = subgraphPolicy('persons', { ...settings, breakerFailures: 2 }, logger, (e) => e instanceof BadInput);
    let calls = 0;
    const refused = async () => {
      calls++;
      throw new BadInput('A Date is written YYYY-MM-DD');
    };
    for (let i = 0; i < 5; i++) await expect(policy.call(true, refused)).rejects.toBeInstanceOf(BadInput);
    expect(calls).toBe(5);
    expect(policy.state()).toBe('closed');
  });

  it('counts a call once, however often it was retried', async () => {
    const policy = subgraphPolicy('credit', { ...settings, retries: 2, breakerFailures: 2 }, logger);
    const down = failing();
    await expect(policy.call(true, down.attempt)).rejects.toThrow('ECONNREFUSED');
    expect(down.calls()).toBe(3);
    expect(policy.state()).toBe('closed');
    await expect(policy.call(true, down.attempt)).rejects.toThrow('ECONNREFUSED');
    expect(policy.state()).toBe('open');
    await expect(policy.call(true, down.attempt)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(down.calls()).toBe(6);
  });

  it('opens the circuit after consecutive failures, and half-opens to use the department again', async () => {
    const policy = subgraphPolicy('persons', { ...settings, retries: 0, breakerFailures: 3 }, logger);
    const down = failing();
    for (let i = 0; i < 3; i++) await expect(policy.call(true, down.attempt)).rejects.toThrow('ECONNREFUSED');
    expect(policy.state()).toBe('open');
    // Open: fails at once, without calling the department.
    await expect(policy.call(true, down.attempt)).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(down.calls()).toBe(3);
    // Back: once the half-open delay has passed, one call goes through and closes the circuit.
    let answer: string | undefined;
    const deadline = Date.now() + 10_000;
    while (answer === undefined && Date.now() < deadline) {
      answer = await policy.call(true, async () => 'ok').catch(() => undefined);
      if (answer === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(answer).toBe('ok');
    expect(policy.state()).toBe('closed');
  });
});

describe('what the caller is told when a department does not answer', () => {
  const WITHDRAW = 'mutation { withdrawNaturalPersonCreditEntry(idNumber: "11010519491231002X", kind: BLACKLIST, documentNumber: "(2026)闽01执1号", reason: "信用修复") { idNumber } }';
  const PROFILE = '{ naturalPersonCreditChanges(since: "2026-01-01") { idNumber } }';
  /** A real department stand-in over HTTP: `hang` takes the request and never answers. */
  let behaviour: 'hang' | 'status-500' | 'internal-error' = 'hang';
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      request.resume();
      if (behaviour === 'status-500') response.writeHead(500).end('upstream exploded');
      if (behaviour === 'internal-error') {
        response.writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ data: null, errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const sourceAt = (at: string, more: Partial<typeof settings> = {}) =>
    new DepartmentDataSource('credit', '信用中心', at, async () => '', logger, subgraphPolicy('credit', { ...settings, timeoutMs: 300, retries: 0, ...more }, logger, answeredByDepartment), false);
  const ask = async (source: DepartmentDataSource, query: string) =>
    (await source.process({ kind: 0 as never, request: { query }, context: undefined } as never)).errors ?? [];

  it('says of a mutation sent and not answered in time that its outcome is unknown, not that it failed', async () => {
    behaviour = 'hang';
    expect(await ask(sourceAt(url), WITHDRAW)).toEqual([{
      message: 'The credit subgraph (信用中心) did not answer within 0.3 s: whether the change was made is not known. Read the record again before you send the change again',
      path: ['withdrawNaturalPersonCreditEntry'],
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: 'credit', reason: 'TIMEOUT', outcome: 'UNKNOWN' },
    }]);
    // A query has no outcome to speak of: only that the department was given 0.3 s.
    expect(await ask(sourceAt(url), PROFILE)).toEqual([expect.objectContaining({
      message: 'The credit subgraph (信用中心) did not answer within 0.3 s',
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: 'credit', reason: 'TIMEOUT' },
    })]);
  });

  it('says the same of a mutation answered with a server error, which may have come after the change', async () => {
    behaviour = 'status-500';
    const [error] = await ask(sourceAt(url), WITHDRAW);
    expect(error.message).toBe('The credit subgraph (信用中心) did not answer: whether the change was made is not known. Read the record again before you send the change again');
    expect(error.extensions).toMatchObject({ reason: 'NO_ANSWER', outcome: 'UNKNOWN' });
  });

  it('says of a mutation the department failed at that its outcome is unknown too', async () => {
    behaviour = 'internal-error';
    const [error] = await ask(sourceAt(url), WITHDRAW);
    expect(error.message).toBe('The credit subgraph (信用中心) could not answer: whether the change was made is not known. Read the record again before you send the change again');
    expect(error.extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', department: 'credit', reason: 'FAILED', outcome: 'UNKNOWN' });
    const [failed] = await ask(sourceAt(url), PROFILE);
    expect(failed).toMatchObject({ message: 'The credit subgraph (信用中心) could not answer', extensions: { reason: 'FAILED' } });
  });

  it('says of a mutation to a department it could not reach that the change was not made', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    const [error] = await ask(sourceAt(closed), WITHDRAW);
    expect(error.message).toBe('The credit subgraph (信用中心) could not be reached: the change was not made');
    expect(error.extensions).toMatchObject({ reason: 'UNREACHABLE', outcome: 'NOT_MADE' });
  });

  it('says that an open circuit skipped the department, and when it is tried again', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/graphql`;
    const source = sourceAt(closed, { breakerFailures: 2, halfOpenAfterMs: 30_000 });
    for (let i = 0; i < 2; i++) expect((await ask(source, PROFILE))[0].extensions).toMatchObject({ reason: 'UNREACHABLE' });
    const [skipped] = await ask(source, PROFILE);
    expect(skipped.message).toBe('The credit subgraph (信用中心) is not being called: its last 2 calls failed, and it is tried again within 30 s');
    expect(skipped.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', department: 'credit', reason: 'CIRCUIT_OPEN' });
    const [notSent] = await ask(source, WITHDRAW);
    expect(notSent.message).toMatch(/is not being called: .*: the change was not made$/);
    expect(notSent.extensions).toMatchObject({ outcome: 'NOT_MADE' });
  });
});

describe('partial answers', () => {
  const error = { message: 'The credit subgraph did not answer', extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: 'credit' } };

  it('names every field of a root fetch', () => {
    expect(fetchedPaths('{ investmentProject(projectCode: "x") { name } p2: naturalPerson(idNumber: "y") { name } __typename }', {})).toEqual([
      ['investmentProject'], ['p2'],
    ]);
  });

  it('names each entity\'s fields in an _entities fetch, by type', () => {
    const query = `query($representations:[_Any!]!){_entities(representations:$representations){
      ...on LegalPerson{__typename credit{onBlacklist}} ...P }} fragment P on NaturalPerson { credit { onBlacklist } c2: credit { onRedlist } }`;
    const representations = [{ __typename: 'LegalPerson', uscc: 'a' }, { __typename: 'NaturalPerson', idNumber: 'b' }];
    expect(unavailableAnswer(query, { representations }, error)).toEqual({
      data: null,
      errors: [
        { ...error, path: ['_entities', 0, 'credit'] },
        { ...error, path: ['_entities', 1, 'credit'] },
        { ...error, path: ['_entities', 1, 'c2'] },
      ],
    });
  });

  it('still answers with one error when the fetch cannot be read', () => {
    expect(unavailableAnswer('{ not graphql', undefined, error)).toEqual({ data: null, errors: [error] });
  });

  it('makes nullable only the fields some departments of a shared type resolve', () => {
    const sdl = `
      type Query @join__type(graph: A) @join__type(graph: B) { one: T! @join__field(graph: A) }
      type T @join__type(graph: A, key: "id") @join__type(graph: B, key: "id") {
        id: ID!
        name: String! @join__field(graph: A)
        credit: C! @join__field(graph: B, type: "C!")
      }
      type C @join__type(graph: B) { ok: Boolean! }`;
    const relaxed = partialAnswerSupergraph(sdl);
    expect(relaxed).toMatch(/one: T @join__field/);
    expect(relaxed).toMatch(/id: ID!/);
    expect(relaxed).toMatch(/name: String @join__field/);
    expect(relaxed).toMatch(/credit: C @join__field\(graph: B, type: "C"\)/);
    expect(relaxed).toMatch(/ok: Boolean!/);
  });
});
