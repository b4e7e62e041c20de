import { BrokenCircuitError, TaskCancelledError } from 'cockatiel';
import { createLogger } from '../../shared/logger';
import { fetchedPaths, partialAnswerSupergraph, unavailableAnswer } from '../partial-answers';
import { subgraphPolicy } from '../resilience';

const logger = createLogger('test', 'silent');
const settings = { timeoutMs: 2_000, retries: 2, retryDelayMs: 1, breakerFailures: 100, halfOpenAfterMs: 20 };
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
    const deadline = Date.now() + 5_000;
    while (answer === undefined && Date.now() < deadline) {
      answer = await policy.call(true, async () => 'ok').catch(() => undefined);
      if (answer === undefined) await new Promise((r) => setTimeout(r, 10));
    }
    expect(answer).toBe('ok');
    expect(policy.state()).toBe('closed');
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
