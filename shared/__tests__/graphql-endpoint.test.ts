import { maxHeaderSize } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { badUserInput } from '../errors';
import { atPath, graphqlEndpoint } from '../graphql-endpoint';
import { listen, Listening } from '../http';
import { raw } from '../../tests/support/http';

/**
 * The endpoint every department serves the gateway (node:http + graphql-js): what a caller sees
 * for each kind of request, good and bad, over a real socket.
 */
interface Caller {
  who: string;
}

const resolved: string[] = [];
const schema = new GraphQLSchema({
  query: new GraphQLObjectType<unknown, Caller>({
    name: 'Query',
    fields: {
      greeting: {
        type: GraphQLString,
        args: { name: { type: new GraphQLNonNull(GraphQLString) } },
        resolve: (_source, { name }, caller) => {
          resolved.push(name);
          return `${caller.who} greets ${name}`;
        },
      },
      broken: { type: GraphQLString, resolve: () => { throw new Error('connect ECONNREFUSED 10.0.0.7:3306 (SELECT * FROM persons)'); } },
      refused: { type: GraphQLString, resolve: () => { throw badUserInput('Invalid idNumber: "35010219900101003X" has a wrong check digit'); } },
    },
  }),
});

describe('a department’s GraphQL endpoint', () => {
  const lines: any[] = [];
  let server: Listening;
  let url: string;

  beforeAll(async () => {
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().trim().split('\n').map((l: string) => JSON.parse(l))); done(); } });
    const endpoint = graphqlEndpoint<Caller>({
      schema,
      logger: pino({ level: 'debug' }, sink),
      name: 'the test subgraph',
      authenticate: async (authorization) => (authorization === 'Bearer good' ? { context: { who: 'the gateway' } } : { refused: 'The test subgraph answers only the OneSource gateway' }),
    });
    server = await listen(atPath('/graphql', endpoint), 0, '127.0.0.1');
    url = `http://127.0.0.1:${server.port}/graphql`;
  });
  afterAll(() => server.close());

  const send = async (body: string, headers: Record<string, string> = { authorization: 'Bearer good' }, method = 'POST', at = url) => {
    const res = await fetch(at, { method, headers: { 'content-type': 'application/json', ...headers }, body: method === 'GET' ? undefined : body });
    return { status: res.status, type: res.headers.get('content-type'), answer: (await res.json()) as any };
  };
  const ask = (query: string, variables?: object, headers?: Record<string, string>) => send(JSON.stringify({ query, variables }), headers);

  it('answers a query with the caller’s context', async () => {
    const { status, type, answer } = await ask('query($n: String!) { greeting(name: $n) }', { n: '张三' });
    expect(status).toBe(200);
    expect(type).toMatch(/^application\/json/);
    expect(answer).toEqual({ data: { greeting: 'the gateway greets 张三' } });
  });

  it('refuses a call without the gateway’s token before reading it', async () => {
    const before = resolved.length;
    const { status, answer } = await ask('{ greeting(name: "x") }', undefined, { authorization: 'Bearer forged' });
    expect(status).toBe(401);
    expect(answer.errors[0]).toEqual({ message: 'The test subgraph answers only the OneSource gateway', extensions: { code: 'UNAUTHENTICATED' } });
    expect(resolved.length).toBe(before);
  });

  it('names what is wrong with a request that is not GraphQL', async () => {
    expect(await send('{"query": ')).toMatchObject({ status: 400, answer: { errors: [{ message: 'The request body is not JSON', extensions: { code: 'BAD_REQUEST' } }] } });
    expect(await send('{"variables": {}}')).toMatchObject({ status: 400, answer: { errors: [{ message: expect.stringMatching(/no query/), extensions: { code: 'BAD_REQUEST' } }] } });
    expect(await send('', { authorization: 'Bearer good' }, 'GET')).toMatchObject({ status: 405, answer: { errors: [{ message: 'the test subgraph answers GraphQL over POST only' }] } });
    expect(await send('{}', {}, 'POST', `http://127.0.0.1:${server.port}/elsewhere`)).toMatchObject({ status: 404, answer: { errors: [{ message: expect.stringMatching(/GraphQL is at \/graphql/) }] } });
  });

  it('refuses a body that is not UTF-8 with 400 naming the first bad byte, and takes one that starts with a byte order mark', async () => {
    const query = Buffer.from('{"query": "query($n: String!) { greeting(name: $n) }", "variables": {"n": "');
    const gbk = Buffer.concat([query, Buffer.from([0xbb, 0xc6, 0xd5, 0xf1, 0xc0, 0xa4]), Buffer.from('"}}')]);
    const before = resolved.length;
    const refused = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer good' }, body: gbk });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({
      errors: [{ message: `The request body is not valid UTF-8 (the first bad byte is at offset ${query.length}): send JSON encoded as UTF-8`, extensions: { code: 'BAD_REQUEST' } }],
    });
    expect(resolved.length).toBe(before);
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), query, Buffer.from('黄振坤"}}')]);
    const answered = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer good' }, body: bom });
    expect(await answered.json()).toEqual({ data: { greeting: 'the gateway greets 黄振坤' } });
  });

  it('points a trailing slash to /graphql with a JSON 404', async () => {
    expect(await send('{}', {}, 'POST', `${url}/`)).toEqual({
      status: 404,
      type: 'application/json; charset=utf-8',
      answer: { errors: [{ message: 'Nothing at POST /graphql/: GraphQL is at /graphql, without the trailing slash', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('answers headers over Node’s limit (431) and a request that is not HTTP (400) with a JSON error, not an empty body', async () => {
    const huge = await raw(server.port, Buffer.concat([Buffer.from('POST /graphql HTTP/1.1\r\nHost: x\r\nX-Purpose: '), Buffer.from('黄'.repeat(20_000)), Buffer.from('\r\n\r\n')]));
    expect(huge.head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(huge.head).toMatch(/\r\nContent-Type: application\/json; charset=utf-8\r\n/i);
    expect(huge.json).toEqual({
      errors: [{ message: `The request line and headers exceed Node's max header size, ${maxHeaderSize} bytes`, extensions: { code: 'BAD_REQUEST', limit: 'maxHeaderSize', max: maxHeaderSize } }],
    });
    const garbage = await raw(server.port, Buffer.from('HELLO THERE\r\n\r\n'));
    expect(garbage.head).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage.json.errors[0]).toEqual({ message: expect.stringMatching(/^The request is not valid HTTP\/1\.1/), extensions: { code: 'BAD_REQUEST' } });
    // The server goes on answering.
    expect((await ask('{ greeting(name: "x") }')).status).toBe(200);
  });

  it('refuses a body over 2 MB with 413', async () => {
    const { status, answer } = await ask(`{ greeting(name: "${'x'.repeat(2 * 1024 * 1024)}") }`);
    expect(status).toBe(413);
    expect(answer.errors[0].message).toMatch(/larger than the limit of 2097152 bytes/);
  });

  it('says GRAPHQL_PARSE_FAILED and GRAPHQL_VALIDATION_FAILED with HTTP 400, every time it is sent the same text', async () => {
    for (let i = 0; i < 2; i++) {
      const parse = await ask('{ greeting(name: "x") ');
      expect(parse.status).toBe(400);
      expect(parse.answer.errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      const invalid = await ask('{ nosuchfield }');
      expect(invalid.status).toBe(400);
      expect(invalid.answer.errors[0]).toMatchObject({ message: 'Cannot query field "nosuchfield" on type "Query".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
    }
  });

  it('says BAD_USER_INPUT for variables that do not fit, and runs no resolver', async () => {
    const before = resolved.length;
    const { status, answer } = await ask('query($n: String!) { greeting(name: $n) }', {});
    expect(status).toBe(400);
    expect(answer.errors[0]).toMatchObject({ message: expect.stringMatching(/\$n/), extensions: { code: 'BAD_USER_INPUT' } });
    expect(resolved.length).toBe(before);
  });

  it('passes the contract’s error codes and hides everything else, logging the cause with the request id', async () => {
    const { status, answer } = await ask('{ refused broken greeting(name: "李四") }', undefined, { authorization: 'Bearer good', 'x-request-id': 'req-endpoint-1' });
    expect(status).toBe(200);
    expect(answer.data).toEqual({ refused: null, broken: null, greeting: 'the gateway greets 李四' });
    expect(answer.errors).toEqual([
      { message: 'Invalid idNumber: "35010219900101003X" has a wrong check digit', locations: [{ line: 1, column: 3 }], path: ['refused'], extensions: { code: 'BAD_USER_INPUT' } },
      { message: 'Internal server error', locations: [{ line: 1, column: 11 }], path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
    ]);
    expect(JSON.stringify(answer)).not.toMatch(/ECONNREFUSED|SELECT|10\.0\.0\.7/);
    const ours = lines.filter((l) => l.requestId === 'req-endpoint-1');
    expect(ours.find((l) => l.msg === 'resolver failed')).toMatchObject({ level: 50, path: ['broken'], err: { message: expect.stringMatching(/ECONNREFUSED/) } });
    expect(ours.map((l) => l.msg)).toContain('answered');
    // The refused input is in the caller's answer, never in the log, at any level.
    expect(ours.find((l) => l.code === 'BAD_USER_INPUT')).toMatchObject({ level: 20, path: ['refused'], msg: 'input refused' });
    expect(JSON.stringify(lines)).not.toContain('35010219900101003X');
  });
});
