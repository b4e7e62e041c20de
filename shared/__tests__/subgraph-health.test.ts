import { Writable } from 'node:stream';
import knex, { Knex } from 'knex';
import pino from 'pino';
import { listen, Listening } from '../http';
import { healthHandler } from '../subgraph-server';
import { atPath } from '../graphql-endpoint';

/**
 * A department's `GET /health`, for its operator's own probes: UP while its store answers, 503
 * DOWN (reason in its log, not in the answer) when it does not; GraphQL stays behind its token.
 */
describe("a department's health probe", () => {
  let db: Knex;
  let server: Listening;
  let url: string;
  const lines: any[] = [];

  beforeAll(async () => {
    db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk))), done()) }));
    const graphql = atPath('/graphql', (_req, res) => res.writeHead(401).end());
    server = await listen(atPath('/health', healthHandler('credit', db, logger), graphql), 0, '127.0.0.1');
    url = `http://127.0.0.1:${server.port}`;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers UP while its store answers, and nothing else is opened by it', async () => {
    const res = await fetch(`${url}/health`);
    expect([res.status, await res.json()]).toEqual([200, { status: 'UP', department: 'credit', store: 'UP' }]);
    const post = await fetch(`${url}/health`, { method: 'POST' });
    expect([post.status, post.headers.get('allow'), await post.json()]).toEqual([405, 'GET, HEAD', { error: 'POST is not answered here: GET /health' }]);
    expect((await fetch(`${url}/graphql`, { method: 'POST' })).status).toBe(401);
    // Other paths still point to GraphQL, not to the probe.
    expect(JSON.stringify(await (await fetch(`${url}/nothing`)).json())).toContain('GraphQL is at /graphql');
  });

  it('answers 503 DOWN when its store does not answer, saying why in its log only', async () => {
    await db.destroy();
    const res = await fetch(`${url}/health`);
    const body = await res.json();
    expect([res.status, body]).toEqual([503, { status: 'DOWN', department: 'credit', store: 'DOWN' }]);
    expect(lines.some((l) => l.msg === 'health: the store does not answer')).toBe(true);
  });
});
