import { createHash, randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Lexer, Source, TokenKind } from 'graphql';
import Redis from 'ioredis';
import type { Config } from '../shared/config';
import { createLogger } from '../shared/logger';
import { idNumberCheckCharacter } from '../shared/identifiers';
import { RunningGateway, startGateway } from '../gateway/server';
import { VERIFY_BATCH } from '../scripts/bench/operations';
import { PROJECT_REVIEW } from './support/operations';
import { describeWithStore, freePort, GraphQLAnswer, post, Stack, startStack, StoreKind } from './support/stack';
import { send } from './support/http';
import { parsePrometheus, valueOf } from './support/prometheus';

/** A seeded project and its applicant's representative (README's flagship example). */
const PROJECT = '2019-350112-54-03-000072';
const PERSON = { idNumber: '350426195905090695', name: '黄振坤' };
const RATE_LIMITED_CONSUMER = 'tax-service';
const RATE_LIMIT = 4;

/** Geo only (no personal data, so no audit record): what the second replica is asked. */
const division = (selection: string) => `{ administrativeDivision(code: "350112") { ${selection} } }`;

function tokenCount(query: string): number {
  const lexer = new Lexer(new Source(query));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
}

/** A query of exactly `n` tokens that costs little: one seeded company's key repeated in a list (no personal data). */
function queryOfTokens(n: number): string {
  const of = (keys: number) => `{ legalPersons(usccs: [${Array(keys).fill('"91350527MA23FLYW0D"').join(', ')}]) { name } }`;
  return of(n - tokenCount(of(0)));
}

const codes = (answer: GraphQLAnswer) => (answer.errors ?? []).map((e) => e.extensions?.code);

function defineLimitsSuite(store: StoreKind) {
  describeWithStore(store, 'limits, malformed requests, rate limits, production switches', () => {
    const prefix = `onesource-test:${randomUUID()}:`;
    let stack: Stack;
    /** A second replica over the same departments and the same Redis, with tight limits. */
    let tight: RunningGateway;
    /** A third, as production runs it: no introspection, no playground, and Redis unreachable. */
    let production: RunningGateway;
    const logger = createLogger('test', 'fatal');
    const tightLimits = { maxDepth: 4, maxAliases: 3, maxTokens: 40, maxDirectives: 2, maxCost: 30, costByConsumer: { 'market-portal': 10, 'data-quality': 1000 } };

    beforeAll(async () => {
      stack = await startStack({
        store,
        mode: 'in-process',
        env: {
          ONESOURCE_REDIS_PREFIX: prefix,
          ONESOURCE_RATE_LIMIT_BY_CONSUMER: `${RATE_LIMITED_CONSUMER}=${RATE_LIMIT}`,
          ONESOURCE_RATE_LIMIT_WINDOW: '600',
        },
      });
      const replica = async (change: (c: Config) => Config) => startGateway({ config: change({ ...stack.config, gatewayPort: await freePort() }), logger });
      tight = await replica((c) => ({ ...c, limits: { ...c.limits, ...tightLimits } }));
      production = await replica((c) => ({
        ...c,
        introspection: false,
        playground: false,
        limits: { ...c.limits, rateLimit: { ...c.limits.rateLimit, redisUrl: `redis://127.0.0.1:${1}` } },
      }));
    }, 300_000);
    afterAll(async () => {
      await tight?.stop();
      await production?.stop();
      await stack?.stop();
      const redis = new Redis(stack?.config.limits.rateLimit.redisUrl ?? 'redis://127.0.0.1:6379');
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
      redis.disconnect();
    });

    describe('the default limits', () => {
      it('let the project review through', async () => {
        const answer = await stack.query(PROJECT_REVIEW, { projectCode: PROJECT });
        expect(answer.errors).toBeUndefined();
        expect(answer.data.investmentProject.applicant.legalRepresentative.idNumber).toBe(PERSON.idNumber);
      });

      it('let 100 aliased verifications through', async () => {
        const variables: Record<string, string> = {};
        for (let i = 0; i < 100; i++) Object.assign(variables, { [`i${i}`]: PERSON.idNumber, [`n${i}`]: PERSON.name });
        const answer = await stack.query(VERIFY_BATCH, variables);
        expect(answer.errors).toBeUndefined();
        expect(Object.values(answer.data)).toEqual(Array(100).fill('MATCH'));
      });

      it('cost a refused argument only its own field: its neighbours in the same department call are answered', async () => {
        const badCheck = `${PERSON.idNumber.slice(0, 17)}${PERSON.idNumber[17] === '6' ? '5' : '6'}`;
        const answer = await stack.query(
          `query($good: ID!, $bad: ID!, $name: String!, $more: [ID!]!, $usccs: [ID!]!) {
            a: verifyNaturalPerson(idNumber: $good, name: $name) b: verifyNaturalPerson(idNumber: $bad, name: $name)
            one: naturalPerson(idNumber: $good) { name } many: naturalPersons(idNumbers: $more) { name }
            companies: legalPersons(usccs: $usccs) { uscc }
          }`,
          { good: PERSON.idNumber, bad: badCheck, name: PERSON.name, more: [PERSON.idNumber, badCheck], usccs: ['91350527MA23FLYW0D', 'bad'] },
        );
        // In a list, a bad key costs only its own item: the others are answered.
        expect(answer.data).toEqual({ a: 'MATCH', b: null, one: { name: PERSON.name }, many: [{ name: PERSON.name }, null], companies: [expect.anything(), null] });
        expect(answer.errors!.map((e) => [e.path, e.extensions?.code])).toEqual(expect.arrayContaining([
          [['b'], 'BAD_USER_INPUT'], [['many', 1], 'BAD_USER_INPUT'], [['companies', 1], 'BAD_USER_INPUT'],
        ]));
        expect(answer.errors!.find((e) => e.path?.[0] === 'many')?.message).toMatch(/^Invalid idNumbers\[1\]: the idNumber's check character/);
      });

      it('refuse 100 aliases of a hundred-person lookup: 10,000 persons in one request cost what they are', async () => {
        const ids = Array.from({ length: 100 }, () => PERSON.idNumber);
        const aliases = Array.from({ length: 100 }, (_, i) => `p${i}: naturalPersons(idNumbers: $ids) { name }`).join(' ');
        const answer = await stack.query(`query($ids: [ID!]!) { ${aliases} }`, { ids });
        expect(answer.status).toBe(400);
        expect(answer.data).toBeUndefined();
        expect(answer.errors![0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit: 'maxCost', max: 20000 });
        // One of them is an ordinary batch lookup.
        const one = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { idNumber name gender birthDate status } }`, { ids });
        expect(one.errors).toBeUndefined();
        expect(one.data.naturalPersons).toHaveLength(100);
      });

      it('answer a list of verifications item by item: an invalid idNumber is null at its place with an error naming it, a repeated one answered twice', async () => {
        const badCheck = `${PERSON.idNumber.slice(0, 17)}${PERSON.idNumber[17] === '6' ? '5' : '6'}`;
        const unknown = '110101199003070011';
        const answer = await stack.query(`query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, {
          r: [
            { idNumber: PERSON.idNumber, name: PERSON.name },
            { idNumber: badCheck, name: PERSON.name },
            { idNumber: PERSON.idNumber, name: '某某' },
            { idNumber: unknown, name: '某某' },
            { idNumber: PERSON.idNumber.toLowerCase(), name: ` ${PERSON.name} ` },
          ],
        });
        expect(answer.data).toEqual({ verifyNaturalPersons: ['MATCH', null, 'MISMATCH', 'NOT_FOUND', 'MATCH'] });
        expect(answer.errors!.map((e) => [e.path, e.extensions?.code, e.message])).toEqual([
          [['verifyNaturalPersons', 1], 'BAD_USER_INPUT', expect.stringMatching(/^Invalid requests\[1\]\.idNumber: .*check/)],
        ]);
        const many = await stack.query(`query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r: Array(101).fill({ idNumber: PERSON.idNumber, name: PERSON.name }) });
        expect(many.errors!.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', 'verifyNaturalPersons takes at most 100 requests, 101 were sent']]);
      });

      it('refuse more than 100 keys in a list argument through the gateway', async () => {
        const answer = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name } }`, { ids: Array(101).fill(PERSON.idNumber) });
        expect(codes(answer)).toContain('BAD_USER_INPUT');
        expect(JSON.stringify(answer.errors)).toMatch(/100/);
      });
    });

    describe('each limit: at the limit passes, one over is QUERY_TOO_COMPLEX naming it', () => {
      const ask = async (query: string, consumer = 'drc-approval') => post<any>(tight.url, { query }, await stack.as(consumer));
      const expectPasses = (answer: GraphQLAnswer) => {
        expect(answer.status).toBe(200);
        expect(answer.errors).toBeUndefined();
        expect(Object.values(answer.data ?? {})[0]).toBeTruthy();
      };
      const expectRefused = (answer: GraphQLAnswer, limit: string, max: number) => {
        expect(answer.status).toBe(400);
        expect(answer.data).toBeUndefined();
        expect(answer.errors).toHaveLength(1);
        expect(answer.errors![0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX', limit, max });
        expect(answer.errors![0].message).toContain(String(max));
      };

      it('depth', async () => {
        expectPasses(await ask(division('parent { parent { name } }'))); // 4 deep
        expectRefused(await ask(division('parent { parent { parent { name } } }')), 'maxDepth', 4);
      });

      it('depth counts fields, however the query is written: named fragments, one per type, count as written out', async () => {
        // administrativeDivision and 5 parents: 6 deep under the default limit of 10, written with a
        // fragment per level (graphql-armor's default counted each spread two levels more: 16).
        const levels = 5;
        const fragments = Array.from({ length: levels }, (_, i) => `fragment L${i} on AdministrativeDivision { parent { ${i + 1 < levels ? `...L${i + 1}` : 'name'} } }`);
        const deep = await stack.query(`query { administrativeDivision(code: "350112") { ...L0 } } ${fragments.join(' ')}`);
        expect([deep.status, deep.errors?.map((e) => e.message)]).toEqual([200, undefined]);
        expect(deep.errors).toBeUndefined();
        // Past the limit by fragments too (tight limit 4: the division and 4 parents).
        const tooDeep = `{ administrativeDivision(code: "350112") { ...A } } fragment A on AdministrativeDivision { parent { parent { parent { parent { name } } } } }`;
        expectRefused(await ask(tooDeep, 'data-quality'), 'maxDepth', 4);
      });

      it('answers the whole schema once per document: aliased __schema fields are refused', async () => {
        const once = await stack.query(`{ __schema { queryType { name } } }`);
        expect(once.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
        const twice = await stack.query(`{ a: __schema { queryType { name } } b: __schema { queryType { name } } }`);
        expect(twice.status).toBe(400);
        expect(twice.errors!.map((e) => e.extensions)).toEqual([{ code: 'QUERY_TOO_COMPLEX', limit: 'maxSchemaIntrospections', max: 1 }]);
      });

      it('aliases', async () => {
        expectPasses(await ask(division('a: name b: name c: name')));
        expectRefused(await ask(division('a: name b: name c: name d: name')), 'maxAliases', 3);
        expectRefused(await ask(division('a: __typename b: __typename c: __typename d: __typename')), 'maxAliases', 3);
        expectPasses(await ask(division('__typename a: name b: name c: name')));
      });

      it('directives', async () => {
        expectPasses(await ask(division('name @include(if: true) code @skip(if: false)')));
        expectRefused(await ask(division('name @include(if: true) code @skip(if: false) level @include(if: true)')), 'maxDirectives', 2);
      });

      it('tokens', async () => {
        expect(tokenCount(queryOfTokens(40))).toBe(40);
        // Thirty companies cost more than 30: asked by a consumer whose cost limit is higher.
        expectPasses(await ask(queryOfTokens(40), 'data-quality'));
        expectRefused(await ask(queryOfTokens(41), 'data-quality'), 'maxTokens', 40);
      });

      it("labels /metrics with no operation name that holds an idNumber's digits", async () => {
        const named = await post<any>(tight.url, { query: 'query N350426195905090690 { __typename }', operationName: 'N350426195905090690' }, await stack.as('drc-approval'));
        expect(named.status).toBe(200);
        const metrics = await (await fetch(tight.url.replace(/\/graphql$/, '/metrics'))).text();
        expect(metrics).not.toMatch(/350426195905090690/);
        expect(metrics).toMatch(/onesource_gateway_requests_total\{operation="other",consumer="drc-approval",outcome="ok"\}/);
      });

      it('counts each refusal in /metrics, under its consumer and operation, by its code', async () => {
        // Depth, aliases, directives and tokens are refused as the source arrives, before Apollo's
        // own pipeline runs (operation-limits.ts); cost, after it: both are answers, both counted.
        const metrics = async () => parsePrometheus(await (await fetch(tight.url.replace(/\/graphql$/, '/metrics'))).text());
        const before = await metrics();
        const portal = await stack.as('market-portal');
        const named = async (selection: string) => post<any>(tight.url, { query: `query TooMuch ${division(selection)}`, operationName: 'TooMuch' }, portal);
        expectRefused(await named('parent { parent { parent { name } } }'), 'maxDepth', 4);
        expectRefused(await named('a: name b: name c: name d: name'), 'maxAliases', 3);
        expectRefused(await named('name code level name code level'), 'maxCost', 10); // 11
        expectRefused(await ask(division('parent { parent { parent { name } } }'), 'market-portal'), 'maxDepth', 4);
        const after = await metrics();
        const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
        // Refused before it ran, as a bad token is; under the operationName it gave, if it gave one.
        expect(delta('onesource_gateway_requests_total', { operation: 'TooMuch', consumer: 'market-portal', outcome: 'refused' })).toBe(2);
        expect(delta('onesource_gateway_requests_total', { operation: 'not-run', consumer: 'market-portal', outcome: 'refused' })).toBe(1);
        expect(delta('onesource_gateway_requests_total', { operation: 'TooMuch', consumer: 'market-portal', outcome: 'error' })).toBe(1);
        expect(delta('onesource_gateway_errors_total', { code: 'QUERY_TOO_COMPLEX' })).toBe(4);
        expect(delta('onesource_gateway_request_duration_seconds_count', { operation: 'TooMuch' })).toBe(3);
      });

      it('cost, per consumer', async () => {
        // graphql-armor's estimate: 2 for the object, 1.5 for each scalar inside it.
        const scalars = (k: number) => division(Array.from({ length: k }, (_, i) => ['name', 'code', 'level'][i % 3]).join(' '));
        expectPasses(await ask(scalars(18))); // 29
        expectRefused(await ask(scalars(19)), 'maxCost', 30); // 30.5
        expectPasses(await ask(scalars(5), 'market-portal')); // 9.5
        expectRefused(await ask(scalars(6), 'market-portal'), 'maxCost', 10); // 11
        expectPasses(await ask(scalars(6), 'drc-approval'));
      });

      it('cost counts a page size passed as a variable as the number it is', async () => {
        // A page of projects costs 12.875 per project asked for: 1 passes, 3 (38.6) does not.
        const page = (first: string) => `query($n: Int) { investmentProjects(first: ${first}) { edges { node { name } } } }`;
        const askWith = async (query: string, variables: Record<string, unknown>) => post<any>(tight.url, { query, variables }, await stack.as('drc-approval'));
        expectRefused(await askWith(`{ investmentProjects(first: 3) { edges { node { name } } } }`, {}), 'maxCost', 30);
        expectRefused(await askWith(page('$n'), { n: 3 }), 'maxCost', 30);
        expectPasses(await askWith(page('$n'), { n: 1 }));
        // The same document again, with another value: the value is part of what was measured.
        expectRefused(await askWith(page('$n'), { n: 3 }), 'maxCost', 30);
        expectRefused(await askWith(`query($n: Int = 3) { investmentProjects(first: $n) { edges { node { name } } } }`, {}), 'maxCost', 30);
        // Left out, the page is the 20 the field answers by default, and costs as such.
        expectRefused(await askWith(`{ investmentProjects { edges { node { name } } } }`, {}), 'maxCost', 30);
      });

      it('cost counts a key list as the page it answers: one person per idNumber asked', async () => {
        // naturalPersons(idNumbers:) { name } costs 3.5 per number: 8 pass (28), 9 do not (31.5).
        const persons = `query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name } }`;
        const askWith = async (query: string, variables: Record<string, unknown>) => post<any>(tight.url, { query, variables }, await stack.as('drc-approval'));
        expectPasses(await askWith(persons, { ids: Array(8).fill(PERSON.idNumber) }));
        expectRefused(await askWith(persons, { ids: Array(9).fill(PERSON.idNumber) }), 'maxCost', 30);
        // Written into the query, or left to the operation's default, it counts the same.
        const written = `{ naturalPersons(idNumbers: [${Array(9).fill(`"${PERSON.idNumber}"`).join(', ')}]) { name } }`;
        expectRefused(await askWith(written, {}), 'maxCost', 30);
        const defaulted = `query($ids: [ID!]! = [${Array(9).fill(`"${PERSON.idNumber}"`).join(', ')}]) { naturalPersons(idNumbers: $ids) { name } }`;
        expectRefused(await askWith(defaulted, {}), 'maxCost', 30);
        // The same document with fewer numbers again: the list's length is part of what was measured.
        expectPasses(await askWith(persons, { ids: Array(2).fill(PERSON.idNumber) }));

      });

      it('take one list of verifications per document: aliased lists would verify a hundred times what aliases allow', async () => {
        const r = [{ idNumber: PERSON.idNumber, name: PERSON.name }];
        const one = await stack.query(`query($r: [VerificationRequest!]!) { verifyNaturalPersons(requests: $r) }`, { r });
        expect(one.data).toEqual({ verifyNaturalPersons: ['MATCH'] });
        const two = await stack.query(`query($r: [VerificationRequest!]!) { a: verifyNaturalPersons(requests: $r) b: verifyNaturalPersons(requests: $r) }`, { r });
        expect(two.status).toBe(400);
        expect(two.errors!.map((e) => [e.extensions, e.message])).toEqual([[
          { code: 'QUERY_TOO_COMPLEX', limit: 'maxVerificationLists', max: 1 },
          'verifyNaturalPersons is asked more than once: one list of up to 100 requests per document',
        ]]);
      });
    });

    describe('malformed requests get 4xx JSON with a standard code', () => {
      const json = async (body: string, headers: Record<string, string> = {}) =>
        send(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(await stack.as('drc-approval')), ...headers }, body });
      const expectBadRequest = (answer: { status: number; json: any; text: string }, status: number, code = 'BAD_REQUEST') => {
        expect(answer.status).toBe(status);
        expect(answer.json?.errors?.[0]?.extensions?.code).toBe(code);
        expect(answer.text).not.toMatch(/<html|<pre|node_modules|\/work\/|at .*\(/i);
      };

      it('a body over the size limit: 413 naming the limit', async () => {
        const answer = await json(JSON.stringify({ query: `{ __typename } # ${'x'.repeat(stack.config.limits.maxBodyBytes)}` }));
        expectBadRequest(answer, 413);
        expect(answer.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST', limit: 'maxBodyBytes', max: stack.config.limits.maxBodyBytes });
      });

      it('JSON that does not parse: 400', async () => {
        expectBadRequest(await json('{"query": "{ __typename }"'), 400);
        expectBadRequest(await json('not json at all'), 400);
      });

      it('a body that is not UTF-8 JSON as sent: 415 naming what to send', async () => {
        const body = JSON.stringify({ query: '{ __typename }' });
        const latin1 = await json(body, { 'content-type': 'application/json; charset=latin1' });
        expectBadRequest(latin1, 415);
        expect(latin1.json.errors[0].message).toBe('The request body must be UTF-8 JSON');
        const gzipped = await send(stack.gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...(await stack.as('drc-approval')) },
          body: gzipSync(body),
        });
        expectBadRequest(gzipped, 415);
        expect(gzipped.json.errors[0].message).toMatch(/must not be compressed \(Content-Encoding: gzip\)/);
        // Said in UTF-8 in so many words, it is answered.
        expect((await json(body, { 'content-type': 'application/json; charset="UTF-8"' })).json).toEqual({ data: { __typename: 'Query' } });
      });

      it('an empty body: 400 saying what to send', async () => {
        const answer = await json('');
        expectBadRequest(answer, 400);
        expect(answer.json.errors[0].message).toBe('The request body is empty: send {"query": "…"} as JSON');
      });

      it('a caller that hangs up halfway through its body costs nothing but its own request', async () => {
        const { hostname, port, pathname } = new URL(stack.gatewayUrl);
        const auth = (await stack.as('drc-approval')).authorization;
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(port), hostname, () => {
            socket.write(`POST ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nAuthorization: ${auth}\r\nContent-Length: 1000\r\n\r\n{"query": "{ __typ`);
            setTimeout(() => socket.destroy(), 50);
          });
          socket.once('close', () => resolve());
          socket.once('error', reject);
        });
        expect((await json(JSON.stringify({ query: '{ __typename }' }))).json).toEqual({ data: { __typename: 'Query' } });
      });

      it('a method other than GET and POST: 405', async () => {
        const answer = await send(stack.gatewayUrl, { method: 'PUT', headers: { 'content-type': 'application/json', ...(await stack.as('drc-approval')) }, body: '{"query":"{ __typename }"}' });
        expectBadRequest(answer, 405);
      });

      it('a body that is not a GraphQL request: 400', async () => {
        expectBadRequest(await json('[]'), 400);
        expectBadRequest(await json('{"query": 42}'), 400);
        expectBadRequest(await json('{"query": "{ __typename }", "variables": "nope"}'), 400);
      });

      it('an unknown operationName: 400 OPERATION_RESOLUTION_FAILURE', async () => {
        const answer = await json(JSON.stringify({ query: 'query A { __typename }', operationName: 'B' }));
        expectBadRequest(answer, 400, 'OPERATION_RESOLUTION_FAILURE');
        const several = await json(JSON.stringify({ query: 'query A { __typename } query B { __typename }' }));
        expectBadRequest(several, 400, 'OPERATION_RESOLUTION_FAILURE');
      });

      it('GraphQL that does not parse or validate: 400', async () => {
        expectBadRequest(await json(JSON.stringify({ query: '{ naturalPerson(' })), 400, 'GRAPHQL_PARSE_FAILED');
        expectBadRequest(await json(JSON.stringify({ query: '{ noSuchField }' })), 400, 'GRAPHQL_VALIDATION_FAILED');
      });

      it('fragments that spread each other in a cycle: 400, not a stack overflow', async () => {
        const query = 'query { legalPerson(uscc: "91350527MA23FLYW0D") { ...A } } fragment A on LegalPerson { legalRepresentative { legalRepresentativeOf { ...A } } }';
        const answer = await json(JSON.stringify({ query }));
        expectBadRequest(answer, 400, 'GRAPHQL_VALIDATION_FAILED');
        expect(answer.json.errors[0].message).toMatch(/Cannot spread fragment "A" within itself/);
      });

      it('a number literal out of range: 400 naming it, as the same value in a variable is', async () => {
        const answer = await json(JSON.stringify({ query: '{ divisionAt(longitude: 1e400, latitude: 26.1) { code } }' }));
        expectBadRequest(answer, 400, 'GRAPHQL_VALIDATION_FAILED');
        expect(answer.json.errors[0].message).toMatch(/1e400 is out of range/);
      });

      it('variables of the wrong type: 400 BAD_USER_INPUT', async () => {
        const answer = await json(JSON.stringify({ query: 'query($id: ID!) { naturalPerson(idNumber: $id) { name } }', variables: { id: { a: 1 } } }));
        expectBadRequest(answer, 400, 'BAD_USER_INPUT');
      });
    });

    describe('CSRF prevention stays on', () => {
      it('refuses a simple POST (text/plain) without apollo-require-preflight', async () => {
        const answer = await send(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'text/plain', ...(await stack.as('drc-approval')) }, body: '{"query":"{ __typename }"}' });
        expect(answer.status).toBe(400);
        expect(answer.json.errors[0].extensions.code).toBe('BAD_REQUEST');
        expect(answer.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
      });

      it('refuses a POST with no content type', async () => {
        const answer = await send(stack.gatewayUrl, { method: 'POST', headers: await stack.as('drc-approval'), body: 'x' });
        expect(answer.status).toBe(400);
        expect(answer.json.errors[0].extensions.code).toBe('BAD_REQUEST');
      });

      it('refuses a simple GET without apollo-require-preflight, answers it with the header', async () => {
        const url = `${stack.gatewayUrl}?query=${encodeURIComponent('{ __typename }')}`;
        const refused = await send(url, { headers: await stack.as('drc-approval') });
        expect(refused.status).toBe(400);
        expect(refused.json.errors[0].message).toMatch(/Cross-Site Request Forgery/);
        const answered = await send(url, { headers: { ...(await stack.as('drc-approval')), 'apollo-require-preflight': 'true' } });
        expect(answered.status).toBe(200);
        expect(answered.json.data).toEqual({ __typename: 'Query' });
      });
    });

    describe('rate limits per consumer, shared by replicas through Redis', () => {
      it(`answers 429 with Retry-After once ${RATE_LIMITED_CONSUMER} has sent ${RATE_LIMIT} requests to either replica`, async () => {
        const headers = await stack.as(RATE_LIMITED_CONSUMER);
        const body = JSON.stringify({ query: division('name') });
        const to = (url: string) => send(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
        const replicas = [stack.gatewayUrl, tight.url];
        for (let i = 0; i < RATE_LIMIT; i++) expect((await to(replicas[i % 2])).status).toBe(200);
        for (const url of replicas) {
          const refused = await to(url);
          expect(refused.status).toBe(429);
          expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(600);
          expect(refused.json.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'rateLimit', max: RATE_LIMIT });
        }
        // Another consumer has its own count.
        expect((await post(stack.gatewayUrl, { query: division('name') }, await stack.as('market-portal'))).status).toBe(200);
      });

      it('counts a citizen under a keyed hash of their idNumber, never the idNumber itself nor a bare hash of it', async () => {
        const citizen = `35010219900101003${idNumberCheckCharacter('35010219900101003')}`;
        expect((await post(stack.gatewayUrl, { query: '{ __typename }' }, await stack.asCitizen(citizen))).status).toBe(200);
        const redis = new Redis(stack.config.limits.rateLimit.redisUrl);
        try {
          const keys = await redis.keys(`${prefix}rate:citizen:*`);
          expect(keys.length).toBeGreaterThan(0);
          for (const key of keys) expect(key).toMatch(/rate:citizen:[0-9a-f]{32}$/);
          expect(keys.join()).not.toContain(citizen.slice(0, 17));
          // Nor under a bare hash of it, which trying every idNumber of a county and birth date finds again.
          expect(keys.join()).not.toContain(createHash('sha256').update(citizen).digest('hex').slice(0, 32));
        } finally {
          redis.disconnect();
        }
      });

      it('fails open when Redis cannot be reached', async () => {
        const headers = await stack.as(RATE_LIMITED_CONSUMER);
        for (let i = 0; i < RATE_LIMIT + 2; i++) {
          const answer = await post<any>(production.url, { query: division('name') }, headers);
          expect(answer.status).toBe(200);
          expect(answer.data.administrativeDivision.name).toBe('长乐区');
        }
      });
    });

    describe('production switches', () => {
      it('introspection can be switched off', async () => {
        const query = '{ __schema { queryType { name } } }';
        const off = await post(production.url, { query }, await stack.as('drc-approval'));
        expect(off.status).toBe(400);
        expect(codes(off)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
        const on = await post<any>(stack.gatewayUrl, { query }, await stack.as('drc-approval'));
        expect(on.data.__schema.queryType.name).toBe('Query');
      });

      it('the playground can be switched off', async () => {
        const root = (url: string) => fetch(url.replace(/\/graphql$/, '/'), { headers: { accept: 'text/html' } });
        expect((await root(stack.gatewayUrl)).status).toBe(200);
        expect((await root(production.url)).status).toBe(404);
      });

      it("answers 503, not 401, while the identity provider's keys cannot be fetched: the caller's token is not at fault", async () => {
        const idp = await startGateway({
          config: { ...stack.config, gatewayPort: await freePort(), auth: { ...stack.config.auth, jwksUrl: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json` } },
          logger,
        });
        try {
          const answer = await post<any>(idp.url, { query: '{ __typename }' }, await stack.as('drc-approval'));
          expect(answer.status).toBe(503);
          expect(answer.errors!.map((e) => [e.extensions?.code, e.extensions?.reason])).toEqual([['INTERNAL_SERVER_ERROR', 'IDENTITY_PROVIDER_UNAVAILABLE']]);
          expect(answer.errors![0].message).not.toMatch(/127\.0\.0\.1/);
        } finally {
          await idp.stop();
        }
      });
    });
  });
}

defineLimitsSuite('sqlite');
defineLimitsSuite('mysql');
