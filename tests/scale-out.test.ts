import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { createLogger } from '../shared/logger';
import { scaledPlan } from '../shared/seed/population';
import { supervise, Supervised, waitUntilAnswering } from '../scripts/processes';
import { PROJECT_REVIEW } from './support/operations';
import { freePort, GraphQLAnswer, mysqlUrl, post, Stack, startStack } from './support/stack';
import { alive } from './support/scripts';

/**
 * Scale-out shown, not claimed: two gateway replicas (separate processes over the same five
 * departments, the same store and the same Redis) behind nginx. A persisted query registered
 * through one replica is answered by the other, directly and through nginx, exactly as the full
 * query is. On MySQL the first replica is itself a `node:cluster` of two workers, and SIGTERM to
 * its primary drains and stops them.
 */
const NGINX = '/usr/sbin/nginx';
const hasNginx = fs.existsSync(NGINX);
const store = mysqlUrl ? 'mysql' : 'sqlite';
const REDIS_URL = process.env.ONESOURCE_REDIS_URL || 'redis://127.0.0.1:6379';

if (!hasNginx) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: "scale-out behind nginx" — ${NGINX} is missing (apt-get install -y nginx; .ci/run installs it).`);
}
const describeWithNginx = hasNginx ? describe : describe.skip;
const CLUSTER_TEST = 'replica A is a node:cluster primary whose SIGTERM drains and stops its workers';
if (hasNginx && !mysqlUrl) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED: "${CLUSTER_TEST}" — on SQLite the gateway runs one process; set ONESOURCE_MYSQL_URL=mysql://root@127.0.0.1:3306 to run it.`);
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A polling wait on something observed, never a guessed delay. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nginx in front of the replicas, round robin, from a config of our own in a temporary directory. */
async function startNginx(upstreams: number[]): Promise<{ url: string; stop(): Promise<void>; log(): string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-nginx-'));
  const port = await freePort();
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    `
# Started as root, nginx's workers would switch to "nobody", who cannot use this private directory.
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream onesource {
    ${upstreams.map((p) => `server 127.0.0.1:${p};`).join('\n    ')}
    keepalive 8;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://onesource;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # Which replica answered: the test checks that both did.
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`,
  );
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', conf, '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  const log = () => `${stderr}${fs.existsSync(path.join(dir, 'error.log')) ? fs.readFileSync(path.join(dir, 'error.log'), 'utf8') : ''}`;
  const url = `http://127.0.0.1:${port}`;
  try {
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`nginx exited: ${log()}`);
      try {
        return (await fetch(`${url}/health`)).ok;
      } catch {
        return false;
      }
    }, 'nginx answering');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    url,
    log,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGQUIT'); // nginx's graceful stop
      }),
  };
}

/** Gateway processes whose parent is `pid` (Linux /proc): a cluster primary's workers. */
function workersOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return (
          /^PPid:\s+(\d+)$/m.exec(fs.readFileSync(`/proc/${d}/status`, 'utf8'))?.[1] === String(pid) &&
          fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('scripts/gateway.js')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

describeWithNginx(`scale-out: two gateway replicas behind nginx sharing Redis [${store}, processes]`, () => {
  const prefix = `onesource-test:${randomUUID()}:`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  let stack: Stack;
  let replicaB: Supervised;
  let nginx: Awaited<ReturnType<typeof startNginx>>;
  let urlA: string;
  let urlB: string;
  let headers: Record<string, string>;
  let full: GraphQLAnswer;
  let projectCode: string;
  const hash = sha256(PROJECT_REVIEW);
  const persisted = (sha256Hash: string) => ({ operationName: 'ProjectReview', variables: { projectCode }, extensions: { persistedQuery: { version: 1, sha256Hash } } });

  beforeAll(async () => {
    const env = {
      ONESOURCE_LOG_LEVEL: 'error',
      ONESOURCE_REDIS_PREFIX: prefix,
      ONESOURCE_APQ_TTL: '600',
      // Databases of its own on MySQL: other suites may be reseeding onesource_test_* meanwhile.
      ONESOURCE_DB_PREFIX: 'onesource_test_scale_',
      // Replica A is a node:cluster primary with two workers (on SQLite the gateway runs one process).
      ONESOURCE_GATEWAY_WORKERS: store === 'mysql' ? '2' : '1',
    };
    stack = await startStack({ store, mode: 'processes', plan: scaledPlan(200), env });
    urlA = stack.gatewayUrl;
    const portB = await freePort();
    replicaB = supervise('gateway-b', 'scripts/gateway.ts', [], { ...stack.env, ONESOURCE_GATEWAY_PORT: String(portB), ONESOURCE_GATEWAY_WORKERS: '1' }, createLogger('test', 'error'), { restart: false });
    await waitUntilAnswering(`http://127.0.0.1:${portB}/health`);
    urlB = `http://127.0.0.1:${portB}/graphql`;
    nginx = await startNginx([stack.config.gatewayPort, portB]);
    await redis.connect();
    headers = await stack.as('drc-approval', 'test: 并联审批核验');
    const page = await post<any>(urlA, { query: '{ investmentProjects(first: 1) { edges { node { projectCode } } } }' }, headers);
    projectCode = page.data.investmentProjects.edges[0].node.projectCode;
    full = await post(urlA, { query: PROJECT_REVIEW, variables: { projectCode } }, headers);
    expect(full.errors).toBeUndefined();
    expect(full.data.investmentProject.projectCode).toBe(projectCode);
  }, 180_000);

  afterAll(async () => {
    await nginx?.stop();
    await replicaB?.stop();
    await stack?.stop();
    const keys = await redis.keys(`${prefix}*`).catch(() => [] as string[]);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('registers a persisted query through replica A and answers its hash alone through B and through nginx, identically', async () => {
    // Before registration neither replica knows the hash.
    const before = await post(urlB, persisted(hash), headers);
    expect(before.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await post(urlA, { ...persisted(hash), query: PROJECT_REVIEW }, headers);
    expect(registered.errors).toBeUndefined();
    expect(registered.data).toEqual(full.data);
    // Apollo writes the entry without holding the answer for it: wait until it is in Redis.
    await until(async () => (await redis.get(`${prefix}apq:${hash}`)) === PROJECT_REVIEW, 'the query registered in Redis');
    const ttl = await redis.ttl(`${prefix}apq:${hash}`);
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);

    const throughB = await post(urlB, persisted(hash), headers);
    expect(throughB.errors).toBeUndefined();
    expect(throughB.data).toEqual(full.data);

    // Through nginx: round robin, so successive requests reach both replicas.
    const upstreams = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${nginx.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(persisted(hash)) });
      expect(res.status).toBe(200);
      const answer = await res.json();
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(full.data);
      upstreams.add(res.headers.get('x-upstream') ?? '');
    }
    expect([...upstreams].sort()).toEqual([`127.0.0.1:${stack.config.gatewayPort}`, `127.0.0.1:${new URL(urlB).port}`].sort());
  });

  it('answers an unknown hash with PERSISTED_QUERY_NOT_FOUND on every replica and through nginx', async () => {
    const unknown = sha256(`${PROJECT_REVIEW} # never sent`);
    for (const url of [urlA, urlB, `${nginx.url}/graphql`, `${nginx.url}/graphql`]) {
      const answer = await post(url, persisted(unknown), headers);
      expect(answer.data).toBeUndefined();
      expect(answer.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    }
    // A hash that does not match the query sent with it is the caller's mistake, and registers nothing.
    const mismatched = await post(urlA, { ...persisted(unknown), query: PROJECT_REVIEW }, headers);
    expect(mismatched.status).toBe(400);
    expect(mismatched.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
    expect(await redis.exists(`${prefix}apq:${unknown}`)).toBe(0);
  });

  it('answers a query with a literal value but keeps it in no cache: the literal may be an idNumber', async () => {
    const literal = `query ProjectReview { investmentProject(projectCode: "${projectCode}") { projectCode } }`;
    const literalHash = sha256(literal);
    const registered = await post(urlA, { operationName: 'ProjectReview', query: literal, extensions: { persistedQuery: { version: 1, sha256Hash: literalHash } } }, headers);
    expect(registered.errors).toBeUndefined();
    expect(registered.data).toEqual({ investmentProject: { projectCode } });
    for (const url of [urlA, urlB]) {
      const byHash = await post(url, { operationName: 'ProjectReview', extensions: { persistedQuery: { version: 1, sha256Hash: literalHash } } }, headers);
      expect(byHash.errors?.map((e) => e.extensions?.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    }
    // The answer says why it may not be known, and says the same of a hash nobody sent: were it
    // to differ, any consumer could learn whether someone had looked a person up, by hashing the lookup.
    const again = await post(urlA, { operationName: 'ProjectReview', extensions: { persistedQuery: { version: 1, sha256Hash: literalHash } } }, headers);
    expect(again.errors?.[0]?.extensions?.reason).toMatch(/holds a string literal.*pass its values as variables/);
    const unknown = await post(urlA, { operationName: 'ProjectReview', extensions: { persistedQuery: { version: 1, sha256Hash: sha256(`${literal} # never sent`) } } }, headers);
    expect(unknown.errors).toEqual(again.errors);
    expect(await redis.exists(`${prefix}apq:${literalHash}`)).toBe(0);
  });

  (mysqlUrl ? it : it.skip)(mysqlUrl ? CLUSTER_TEST : `${CLUSTER_TEST} [mysql: SKIPPED, ONESOURCE_MYSQL_URL is not set]`, async () => {
    const primary = stack.processes.gateway!.current();
    const workers = workersOf(primary.pid!);
    expect(workers).toHaveLength(2);
    // Requests in flight when SIGTERM arrives are answered before the workers exit.
    const inFlight = Array.from({ length: 4 }, () => post(urlA, persisted(hash), headers));
    const exited = new Promise<number | null>((resolve) => primary.once('exit', (code) => resolve(code)));
    await new Promise((r) => setTimeout(r, 20));
    primary.kill('SIGTERM');
    for (const answer of await Promise.all(inFlight)) expect(answer.data).toEqual(full.data);
    expect(await exited).toBe(0);
    expect(workers.filter(alive)).toEqual([]);
    // Replica B, and nginx over it, still answer: the hash lives in Redis, not in A.
    const throughNginx = await post(`${nginx.url}/graphql`, persisted(hash), headers);
    expect(throughNginx.data).toEqual(full.data);
  });
});
