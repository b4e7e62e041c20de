import { maxHeaderSize } from 'node:http';
import { describeWithStore, Stack, startStack } from './support/stack';
import { raw, send } from './support/http';

/**
 * What a caller sees at the gateway's HTTP edge for requests that go wrong before any GraphQL runs:
 * always a JSON GraphQL error with a standard code and a message saying what is wrong, never a
 * framework's HTML page or an empty body. SQLite only: nothing here reaches a store.
 */

const PERSON = { idNumber: '350426195905090695', name: '黄振坤' };
/** 黄振坤 as GBK encodes it: not UTF-8 (0xbb is a continuation byte). */
const NAME_IN_GBK = Buffer.from([0xbb, 0xc6, 0xd5, 0xf1, 0xc0, 0xa4]);
const VERIFY = `query($n: String!) { verifyNaturalPerson(idNumber: "${PERSON.idNumber}", name: $n) }`;

describeWithStore('sqlite', 'the HTTP edge of the gateway', () => {
  let stack: Stack;
  let origin: string;

  beforeAll(async () => {
    stack = await startStack({ store: 'sqlite', mode: 'in-process' });
    origin = new URL(stack.gatewayUrl).origin;
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function post(body: string | Buffer, { path = '/graphql', method = 'POST', headers = {} }: { path?: string; method?: string; headers?: Record<string, string> } = {}) {
    const answer = await send(`${origin}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...(await stack.as('drc-approval', 'test: 并联审批核验')), ...headers },
      body: method === 'GET' ? undefined : typeof body === 'string' ? body : new Uint8Array(body),
    });
    return { ...answer, type: answer.headers.get('content-type') };
  }
  const refusal = (message: string | RegExp, extensions: Record<string, unknown> = {}) => ({
    errors: [{ message: typeof message === 'string' ? message : expect.stringMatching(message), extensions: { code: 'BAD_REQUEST', ...extensions } }],
  });

  describe('a body that is not UTF-8', () => {
    const before = Buffer.from(`{"query": ${JSON.stringify(VERIFY)}, "variables": {"n": "`);
    const after = Buffer.from('"}}');

    it('is refused with 400 BAD_REQUEST naming its first bad byte, not verified as a MISMATCH', async () => {
      const answer = await post(Buffer.concat([before, NAME_IN_GBK, after]));
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual(refusal(`The request body is not valid UTF-8 (the first bad byte is at offset ${before.length}): send JSON encoded as UTF-8`));
      // The same name in UTF-8 matches.
      const utf8 = await post(Buffer.concat([before, Buffer.from(PERSON.name), after]));
      expect(utf8.json).toEqual({ data: { verifyNaturalPerson: 'MATCH' } });
    });

    it('but a byte order mark at its start is ignored (RFC 8259), not "not valid JSON"', async () => {
      const answer = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), before, Buffer.from(PERSON.name), after]));
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ data: { verifyNaturalPerson: 'MATCH' } });
    });
  });

  it('JSON that does not parse: 400 saying where it went wrong, when JSON.parse says', async () => {
    expect((await post('{"query": "{ __typename }"')).json).toEqual(refusal('The request body is not valid JSON (at character 26)'));
    expect((await post('{"query": ')).json).toEqual(refusal(/^The request body is not valid JSON/));
  });

  it('JSON that is not a request object: 400 saying a request is a JSON object with a query, and that batches are not taken', async () => {
    const send_ = 'send {"query": "…"} (or a persisted query\'s {"extensions": {"persistedQuery": …}}) as a JSON object';
    const cases: [string, string][] = [
      ['"hello"', `The request body is JSON a string, not a GraphQL request: ${send_}`],
      ['null', `The request body is JSON null, not a GraphQL request: ${send_}`],
      ['5', `The request body is JSON a number, not a GraphQL request: ${send_}`],
      ['{}', `The request body is an empty JSON object: ${send_}`],
      ['[]', `The request body is a JSON array, but batched requests are not accepted here: ${send_}, one request per POST`],
      [`[${JSON.stringify({ query: '{ __typename }' })}]`, `The request body is a JSON array, but batched requests are not accepted here: ${send_}, one request per POST`],
    ];
    for (const [body, message] of cases) {
      const answer = await post(body);
      expect({ body, status: answer.status, json: answer.json }).toEqual({ body, status: 400, json: refusal(message) });
    }
  });

  it('a path nothing is served at: a JSON 404 pointing to /graphql, not express\'s "Cannot POST" page', async () => {
    const cases: [string, string, string][] = [
      ['POST', '/graphql/', 'Nothing at POST /graphql/: GraphQL is at /graphql, without the trailing slash'],
      ['POST', '/catalog.json', 'Nothing at POST /catalog.json: GraphQL is at /graphql'],
      ['GET', '/nope?query=x', 'Nothing at GET /nope: GraphQL is at /graphql'],
    ];
    for (const [method, path, message] of cases) {
      const answer = await post(JSON.stringify({ query: '{ __typename }' }), { method, path });
      expect({ path, status: answer.status, type: answer.type, json: answer.json }).toEqual({ path, status: 404, type: 'application/json; charset=utf-8', json: refusal(message) });
      expect(answer.text).not.toMatch(/<html|<pre|Cannot /i);
    }
    // What is served is served as before.
    expect((await post('', { method: 'GET', path: '/catalog.json' })).status).toBe(200);
    // A department answers likewise.
    const department = await fetch(`${stack.config.subgraphs.persons.url}/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(department.status).toBe(404);
    expect(await department.json()).toEqual(refusal('Nothing at POST /graphql/: GraphQL is at /graphql, without the trailing slash'));
  });

  describe('headers over Node\'s max header size', () => {
    const hint = 'X-Purpose should be a short statement (the audit trail keeps 500 characters of it), and a long query belongs in a POST body, not the URL';
    const tooLarge = refusal(`The request line and headers exceed Node's max header size, ${maxHeaderSize} bytes: ${hint}`, { limit: 'maxHeaderSize', max: maxHeaderSize });

    it('a purpose of 20,000 characters, percent-encoded as a browser sends it: 431 with a JSON error saying so', async () => {
      const answer = await post(JSON.stringify({ query: '{ __typename }' }), { headers: { 'x-purpose': encodeURIComponent('黄'.repeat(20_000)) } });
      expect(answer.status).toBe(431);
      expect(answer.type).toBe('application/json; charset=utf-8');
      expect(answer.json).toEqual(tooLarge);
    });

    it('the same purpose as raw UTF-8 bytes (curl): 431 likewise; and a request that is not HTTP: 400 with a JSON error', async () => {
      const { port } = new URL(origin);
      const auth = (await stack.as('drc-approval')).authorization;
      const head = `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nX-Purpose: `;
      const huge = await raw(Number(port), Buffer.concat([Buffer.from(head), Buffer.from('黄'.repeat(20_000)), Buffer.from('\r\nContent-Length: 2\r\n\r\n{}')]));
      expect(huge.head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
      expect(huge.json).toEqual(tooLarge);

      const garbage = await raw(Number(port), Buffer.from('GET /graphql HTTP/1.1\r\nHost 127.0.0.1\r\n\r\n'));
      expect(garbage.head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(garbage.json).toEqual(refusal(/^The request is not valid HTTP\/1\.1/));
      // The gateway goes on answering.
      expect((await post(JSON.stringify({ query: '{ __typename }' }))).json).toEqual({ data: { __typename: 'Query' } });
    });

    it('a department answers headers over the limit the same way', async () => {
      const { port } = new URL(stack.config.subgraphs.persons.url);
      const huge = await raw(Number(port), Buffer.concat([Buffer.from('POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: '), Buffer.alloc(maxHeaderSize, 'a'), Buffer.from('\r\n\r\n')]));
      expect(huge.head).toMatch(/^HTTP\/1\.1 431 /);
      expect(huge.json).toEqual(refusal(`The request line and headers exceed Node's max header size, ${maxHeaderSize} bytes`, { limit: 'maxHeaderSize', max: maxHeaderSize }));
    });
  });
});
