import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig, Config } from '../../shared/config';
import { DEPARTMENTS, DepartmentName, envName } from '../../shared/departments';
import { localUrl } from '../../shared/http';
import { dropStore } from '../../shared/db';
import { createLogger } from '../../shared/logger';
import { DEFAULT_PLAN } from '../../shared/seed/population';
import { InternalCaller, internalSigner } from '../../shared/internal-token';
import { ensureKeyPair, loadPrivateKey } from '../../shared/keys';
import { RunningSubgraph, SeedPlan, startSubgraph } from '../../shared/subgraph-server';
import { issueDevToken } from '../../gateway/auth/dev-tokens';
import { startGateway } from '../../gateway/server';
import { departments } from '../../subgraphs';
import { freePort, supervise, Supervised, waitUntilAnswering } from '../../scripts/processes';
import { seedDepartments } from '../../scripts/seeding';
import { ensurePlaygroundBuilt } from '../../scripts/build-playground';

export { freePort };

/**
 * The one way end-to-end suites start OneSource: the real five subgraphs and the gateway, on
 * SQLite (a fresh temporary directory) or MySQL (databases `onesource_test_*`), seeded with the
 * default province. `processes` runs them as `npm start` does; `in-process` runs the same servers
 * inside the test process so a test can watch each store's SQL.
 */
export type StoreKind = 'sqlite' | 'mysql';

export interface StackOptions {
  store: StoreKind;
  mode: 'processes' | 'in-process';
  plan?: SeedPlan;
  /** Extra environment for the processes (and the config of in-process servers). */
  env?: NodeJS.ProcessEnv;
}

export interface GraphQLAnswer<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

export interface Stack {
  config: Config;
  env: NodeJS.ProcessEnv;
  gatewayUrl: string;
  /** Stores of in-process departments (empty for processes). */
  stores: Partial<Record<DepartmentName, Knex>>;
  /**
   * A request through the gateway, by default as `drc-approval` stating a purpose; `headers`
   * replace those (pass `{}` to send no token at all).
   */
  query<T = any>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLAnswer<T>>;
  /** Headers of a consumer: its dev token, and the purpose if given. */
  as(consumer: string, purpose?: string): Promise<Record<string, string>>;
  /** Headers of a citizen token for this idNumber. */
  asCitizen(idNumber: string): Promise<Record<string, string>>;
  /** A request straight to a department, with an internal token as the gateway would sign it. */
  querySubgraph<T = any>(name: DepartmentName, query: string, variables?: Record<string, unknown>, caller?: InternalCaller): Promise<GraphQLAnswer<T>>;
  processes: Partial<Record<DepartmentName | 'gateway', Supervised>>;
  /** Starts a department's subgraph process again (after a test stopped it) and waits until it answers. */
  startSubgraphProcess(name: DepartmentName, options?: { restart?: boolean }): Promise<Supervised>;
  stop(): Promise<void>;
}

export const mysqlUrl = process.env.ONESOURCE_MYSQL_URL;

/** `describe` for suites that need MySQL: skipped, and saying so, when ONESOURCE_MYSQL_URL is unset. */
export function describeWithStore(store: StoreKind, title: string, body: () => void): void {
  if (store === 'mysql' && !mysqlUrl) {
    // eslint-disable-next-line no-console
    console.warn(`SKIPPED: "${title}" on MySQL — set ONESOURCE_MYSQL_URL=mysql://root@127.0.0.1:3306 to run it.`);
    describe.skip(`${title} [mysql: SKIPPED, ONESOURCE_MYSQL_URL is not set]`, body);
    return;
  }
  describe(`${title} [${store}]`, body);
}

export async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLAnswer<T>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  try {
    return { status: res.status, ...JSON.parse(text) };
  } catch {
    return { status: res.status, errors: [{ message: text }] };
  }
}

async function stackEnvironment(options: StackOptions): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ONESOURCE_LOG_LEVEL: process.env.ONESOURCE_LOG_LEVEL ?? 'warn',
    ONESOURCE_GATEWAY_PORT: String(await freePort()),
    ONESOURCE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-test-')),
    ...options.env,
  };
  for (const d of DEPARTMENTS) {
    env[`ONESOURCE_${envName(d.name)}_PORT`] = String(await freePort());
    // A suite may point the gateway at a stand-in for a department (tests/faults.test.ts).
    if (!options.env?.[`ONESOURCE_${envName(d.name)}_URL`]) delete env[`ONESOURCE_${envName(d.name)}_URL`];
  }
  if (options.store === 'mysql') {
    if (!mysqlUrl) throw new Error('ONESOURCE_MYSQL_URL is not set');
    env.ONESOURCE_MYSQL_URL = mysqlUrl;
    // A suite may take databases of its own (prefix starting onesource_test_), so as not to share them with a concurrent run.
    env.ONESOURCE_DB_PREFIX = options.env?.ONESOURCE_DB_PREFIX?.startsWith('onesource_test_') ? options.env.ONESOURCE_DB_PREFIX : 'onesource_test_';
  } else {
    delete env.ONESOURCE_MYSQL_URL;
  }
  return env;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const env = await stackEnvironment(options);
  const config = readConfig(env);
  await seedDepartments(config, options.plan ?? DEFAULT_PLAN, DEPARTMENTS.map((d) => d.name), { reset: true });
  await dropStore(config, 'gateway');
  await ensureKeyPair(config.dataDir, 'gateway-signing');
  const { key, kid } = await loadPrivateKey(config.dataDir, 'gateway-signing');
  const sign = internalSigner(key, kid);
  await ensurePlaygroundBuilt();

  const logger = createLogger('test', env.ONESOURCE_LOG_LEVEL ?? 'warn');
  const processes: Stack['processes'] = {};
  const servers: RunningSubgraph[] = [];
  const stores: Stack['stores'] = {};
  let stopGateway = async () => {};
  const stopAll = async () => {
    await stopGateway();
    await Promise.all(Object.values(processes).map((p) => p!.stop()));
    await Promise.all(servers.map((s) => s.stop()));
    fs.rmSync(config.dataDir, { recursive: true, force: true });
  };

  try {
    if (options.mode === 'processes') {
      for (const { name } of DEPARTMENTS) processes[name] = supervise(name, 'scripts/subgraph.ts', [name], env, logger, { restart: false });
      await Promise.all(DEPARTMENTS.map(({ name }) => waitUntilAnswering(config.subgraphs[name].url)));
      processes.gateway = supervise('gateway', 'scripts/gateway.ts', [], env, logger, { restart: false });
      await waitUntilAnswering(localUrl(config.host, config.gatewayPort, '/health'));
    } else {
      for (const { name } of DEPARTMENTS) {
        const running = await startSubgraph(departments[name], { config, logger });
        servers.push(running);
        stores[name] = running.db;
      }
      stopGateway = (await startGateway({ config, logger })).stop;
    }
  } catch (error) {
    // What did start is stopped: left running, its servers and stores keep jest from ever exiting,
    // and a suite whose stack cannot start (an SDL that does not parse) hangs instead of failing.
    await stopAll().catch(() => {});
    throw error;
  }

  const gatewayUrl = localUrl(config.host, config.gatewayPort, '/graphql');
  const tokens = new Map<string, string>();
  async function as(consumer: string, purpose?: string): Promise<Record<string, string>> {
    if (!tokens.has(consumer)) tokens.set(consumer, await issueDevToken(config, { consumer }));
    const headers: Record<string, string> = { authorization: `Bearer ${tokens.get(consumer)}` };
    if (purpose) headers['x-purpose'] = encodeURIComponent(purpose);
    return headers;
  }
  return {
    config,
    env,
    gatewayUrl,
    stores,
    processes,
    query: async (query, variables, headers) => post(gatewayUrl, { query, variables }, headers ?? (await as('drc-approval', 'test: 并联审批核验'))),
    as,
    asCitizen: async (idNumber) => ({ authorization: `Bearer ${await issueDevToken(config, { citizen: idNumber })}` }),
    querySubgraph: async (name, query, variables, caller = { consumer: 'drc-approval', kind: 'SYSTEM', roles: [] }) =>
      post(config.subgraphs[name].url, { query, variables }, { authorization: `Bearer ${await sign(name, caller)}` }),
    async startSubgraphProcess(name, startOptions = {}) {
      await processes[name]?.stop();
      processes[name] = supervise(name, 'scripts/subgraph.ts', [name], env, logger, { restart: startOptions.restart ?? false });
      await waitUntilAnswering(localUrl(config.host, config.subgraphs[name].port, '/graphql'));
      return processes[name]!;
    },
    stop: stopAll,
  };
}
