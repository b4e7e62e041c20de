import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { readConfig } from '../shared/config';
import { openDepartmentStore, subgraphHandler, gatewayVerifier } from '../shared/subgraph-server';
import { listen } from '../shared/http';
import { internalSigner, internalVerifier } from '../shared/internal-token';
import { loadPrivateKey } from '../shared/keys';
import { departments } from '../subgraphs';
import { scaledPlan } from '../shared/seed/population';
import { describeWithStore, post, Stack, startStack, StoreKind } from './support/stack';
import { PROJECT_REVIEW } from './support/operations';
import { parsePrometheus, valueOf } from './support/prometheus';


const DEPARTMENT_NAMES = ['credit', 'geo', 'legal-persons', 'persons', 'projects'];

/**
 * Operations: /health, /ready, /metrics, and a request id that follows a request everywhere.
 * `processes` runs the departments as `npm start` does, so one can be stopped; the MySQL run is
 * in-process to keep the file fast (what /ready measures does not depend on the store).
 */
function defineOperationsSuite(store: StoreKind, mode: 'processes' | 'in-process') {
  describeWithStore(store, 'operations endpoints', () => {
    let stack: Stack;
    let base: string;
    let person: string;

    beforeAll(async () => {
      // A small province: these checks need the stack, not its volume.
      stack = await startStack({ store, mode, plan: scaledPlan(500) });
      base = stack.gatewayUrl.replace(/\/graphql$/, '');
      const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { applicant { legalRepresentative { idNumber } } } } } }`);
      person = page.data.investmentProjects.edges[0].node.applicant.legalRepresentative.idNumber;
    }, 300_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it('/health says the gateway is alive', async () => {
      const res = await fetch(`${base}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('/ready is 200 with every department answering, its latency and the connectivity rate', async () => {
      const res = await fetch(`${base}/ready`);
      const body = await res.json();
      expect(res.status).toBe(200);
      expect(body).toMatchObject({ ready: true, connectivityRate: 1 });
      expect(body.departments.map((d: any) => d.department).sort()).toEqual(DEPARTMENT_NAMES);
      for (const d of body.departments) {
        expect(d.status).toBe('UP');
        expect(d.latencyMs).toBeGreaterThanOrEqual(0);
      }
    });

    it('echoes the request id and writes the same id into the audit record', async () => {
      const given = `ops-${randomUUID()}`;
      const query = `query OpsPerson($id: ID!) { naturalPerson(idNumber: $id) { name } }`;
      const asked = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': given, ...(await stack.as('drc-approval', 'ops test')) },
        body: JSON.stringify({ query, variables: { id: person } }),
      });
      expect(asked.status).toBe(200);
      expect(asked.headers.get('x-request-id')).toBe(given);

      // Without one (or with one that is not a sane token) the gateway makes one and echoes it.
      const unnamed = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'not a token\t!', ...(await stack.as('market-portal')) },
        body: JSON.stringify({ query, variables: { id: person } }),
      });
      const made = unnamed.headers.get('x-request-id');
      expect(made).toMatch(/^[0-9a-f-]{36}$/);

      const log = await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { consumer requestId operationName } } } }`, { id: person }, await stack.as('auditor', '投诉核查'));
      const records = log.data.accessLog.edges.map((e: any) => e.node);
      expect(records).toEqual(expect.arrayContaining([
        { consumer: 'drc-approval', requestId: given, operationName: 'OpsPerson' },
        { consumer: 'market-portal', requestId: made, operationName: 'OpsPerson' },
      ]));
    });

    it('/metrics counts the requests refused before they ran (a bad token, an unreadable body), by code', async () => {
      const before = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const badToken = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer not-a-token' }, body: '{"query":"{ __typename }"}' });
      expect(badToken.status).toBe(401);
      const badJson = await fetch(`${base}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...(await stack.as('market-portal')) }, body: '{"query": ' });
      expect(badJson.status).toBe(400);
      const after = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
      expect(delta('onesource_gateway_requests_total', { operation: 'not-run', consumer: 'unknown', outcome: 'refused' })).toBe(2);
      expect(delta('onesource_gateway_errors_total', { code: 'UNAUTHENTICATED' })).toBe(1);
      expect(delta('onesource_gateway_errors_total', { code: 'BAD_REQUEST' })).toBe(1);
    });

    it('/metrics is Prometheus text counting requests, latency per operation and per subgraph, and errors by code', async () => {
      const before = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const query = `query OpsMetrics($id: ID!) { naturalPerson(idNumber: $id) { name householdAddress } }`;
      const portal = await stack.as('market-portal');
      for (let i = 0; i < 3; i++) await stack.query(query, { id: person }, portal); // householdAddress: FORBIDDEN for market-portal

      const res = await fetch(`${base}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const after = parsePrometheus(await res.text());
      const delta = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
      expect(delta('onesource_gateway_requests_total', { operation: 'OpsMetrics', consumer: 'market-portal', outcome: 'error' })).toBe(3);
      expect(delta('onesource_gateway_request_duration_seconds_count', { operation: 'OpsMetrics' })).toBe(3);
      expect(valueOf(after, 'onesource_gateway_request_duration_seconds_bucket', { operation: 'OpsMetrics', le: '+Inf' })).toBe(3);
      expect(delta('onesource_gateway_errors_total', { code: 'FORBIDDEN' })).toBe(3);
      expect(delta('onesource_subgraph_request_duration_seconds_count', { subgraph: 'persons' })).toBe(3);
      expect(delta('onesource_subgraph_requests_total', { subgraph: 'persons', outcome: 'ok' })).toBe(3);
      // Each answer carried a person's name: three audit records naming one person each, each
      // written before its answer left, in one to three batches.
      expect(delta('onesource_audit_records_total', { outcome: 'written' })).toBe(3);
      expect(delta('onesource_audit_subjects_total', {})).toBe(3);
      expect(delta('onesource_audit_batch_duration_seconds_count', { outcome: 'written' })).toBeGreaterThanOrEqual(1);
      expect(delta('onesource_audit_batch_duration_seconds_count', { outcome: 'written' })).toBeLessThanOrEqual(3);
      // The process's own metrics (prom-client's defaults) are there too.
      expect(after.some((s) => s.name === 'onesource_process_cpu_user_seconds_total')).toBe(true);
      expect(after.some((s) => s.name === 'onesource_nodejs_heap_size_used_bytes')).toBe(true);
    });

    it('asks geo for a division once an hour, not in every review: the same review again calls geo only for the parcels', async () => {
      const code = (await stack.query(`{ investmentProjects(first: 1) { edges { node { projectCode } } } }`)).data.investmentProjects.edges[0].node.projectCode;
      const first = await stack.query(PROJECT_REVIEW, { projectCode: code });
      expect(first.errors).toBeUndefined();
      const before = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const again = await stack.query(PROJECT_REVIEW, { projectCode: code });
      const after = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      const calls = (subgraph: string) => valueOf(after, 'onesource_subgraph_requests_total', { subgraph, outcome: 'ok' }) - valueOf(before, 'onesource_subgraph_requests_total', { subgraph, outcome: 'ok' });

      expect(again).toEqual(first);
      expect(again.data.investmentProject.division.name).toEqual(expect.any(String));
      // Three division fetches (the project's, the applicant's, the representative's household) kept.
      expect(calls('geo')).toBe(first.data.investmentProject.parcels.length > 0 ? 1 : 0);
      expect(calls('projects')).toBe(1);
      expect(calls('persons')).toBe(1);
    });

    it('a department logs the request id the gateway sent it', async () => {
      const lines: any[] = [];
      const sink = new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().trim().split('\n').map((l: string) => JSON.parse(l))); done(); } });
      const logger = pino({ level: 'debug' }, sink);
      const config = readConfig(stack.env);
      const db = await openDepartmentStore(config, departments.persons);
      const handler = subgraphHandler(departments.persons, db, await gatewayVerifier(config, 'persons'), logger);
      const http = await listen(handler, 0, '127.0.0.1');
      try {
        const { key, kid } = await loadPrivateKey(config.dataDir, 'gateway-signing');
        const token = await internalSigner(key, kid)('persons', { consumer: 'drc-approval', kind: 'SYSTEM', roles: [] });
        const id = `ops-${randomUUID()}`;
        const answer = await post<any>(`http://127.0.0.1:${http.port}/graphql`, { query: '{ naturalPerson(idNumber: "123") { name } }' }, {
          authorization: `Bearer ${token}`, 'x-request-id': id,
        });
        expect(answer.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
        const ours = lines.filter((l) => l.requestId === id);
        expect(ours.map((l) => l.msg)).toEqual(expect.arrayContaining(['answered']));
        expect(ours.some((l) => l.code === 'BAD_USER_INPUT')).toBe(true);
      } finally {
        await http.close();
        await db.destroy();
      }
    });

    it("a department that cannot reach the gateway's keys answers 503 saying so, and logs where and why", async () => {
      const lines: any[] = [];
      const sink = new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().trim().split('\n').map((l: string) => JSON.parse(l))); done(); } });
      const config = readConfig(stack.env);
      const db = await openDepartmentStore(config, departments.persons);
      // A port nothing listens on: the gateway down, or ONESOURCE_GATEWAY_JWKS_URL mistyped.
      const closed = await listen(() => undefined, 0, '127.0.0.1');
      await closed.close();
      const jwks = new URL(`http://127.0.0.1:${closed.port}/.well-known/jwks.json`);
      const handler = subgraphHandler(departments.persons, db, internalVerifier('persons', jwks), pino({ level: 'warn' }, sink));
      const http = await listen(handler, 0, '127.0.0.1');
      try {
        const { key, kid } = await loadPrivateKey(config.dataDir, 'gateway-signing');
        const token = await internalSigner(key, kid)('persons', { consumer: 'drc-approval', kind: 'SYSTEM', roles: [] });
        const answer = await post<any>(`http://127.0.0.1:${http.port}/graphql`, { query: '{ __typename }' }, { authorization: `Bearer ${token}` });
        expect(answer.status).toBe(503);
        expect(answer.errors).toEqual([expect.objectContaining({
          message: "The persons subgraph cannot check the gateway's internal token now: it cannot reach the gateway's signing keys (its log says where and why)",
          extensions: expect.objectContaining({ code: 'INTERNAL_SERVER_ERROR' }),
        })]);
        expect(lines).toEqual(expect.arrayContaining([expect.objectContaining({
          msg: 'cannot check internal tokens', reason: `the gateway's signing keys could not be fetched from ${jwks} (ECONNREFUSED)`,
        })]));
      } finally {
        await http.close();
        await db.destroy();
      }
    });

    (mode === 'processes' ? it : it.skip)('/ready is 503 naming the department that does not answer', async () => {
      await stack.processes.geo!.stop();
      const res = await fetch(`${base}/ready`);
      const body = await res.json();
      expect(res.status).toBe(503);
      expect(body.ready).toBe(false);
      expect(body.connectivityRate).toBeCloseTo(0.8);
      const geo = body.departments.find((d: any) => d.department === 'geo');
      expect(geo).toMatchObject({ status: 'DOWN', reason: expect.any(String) });
      expect(body.departments.filter((d: any) => d.status === 'UP').map((d: any) => d.department).sort()).toEqual(DEPARTMENT_NAMES.filter((n) => n !== 'geo'));
      const metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text());
      expect(valueOf(metrics, 'onesource_subgraph_up', { subgraph: 'geo' })).toBe(0);
      expect(valueOf(metrics, 'onesource_subgraph_up', { subgraph: 'persons' })).toBe(1);
    });
  });
}

defineOperationsSuite('sqlite', 'processes');
defineOperationsSuite('mysql', 'in-process');
