import fs from 'node:fs';
import type { RequestListener } from 'node:http';
import { parse } from 'graphql';
import type { Knex } from 'knex';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Config } from './config';
import { departmentOwner, isDepartmentName, type DepartmentName } from './departments';
import { Migration, migrate, openStore, pendingMigrations, storeExists } from './db';
import { atPath, graphqlEndpoint } from './graphql-endpoint';
import { listen, localUrl, sendJson } from './http';
import { GatewayKeysUnavailable, InternalCaller, internalVerifier, InternalVerifier } from './internal-token';
import { hasKeyPair, loadPublicKey, publicJwk } from './keys';
import type { Logger } from './logger';

/** What the seed of every department is told: the size of the province and its seed number. */
export interface SeedPlan {
  seed: number;
  persons: number;
  legalPersons: number;
  parcels: number;
  projects: number;
}

export type SeedProgress = (done: number, total: number) => void;

/**
 * Everything a subgraph brings: its schema, resolvers, migrations and seed. The bootstrap below
 * is the same for all, so each department's folder says only what is its own.
 */
export interface Subgraph<Context extends object = object> {
  name: string;
  /** Its SDL; several files are read as one document (the gateway's own subgraph has two parts). */
  schemaFile: string | string[];
  resolvers: GraphQLResolverMap<Context>;
  migrations: readonly Migration[];
  /** Per-request context: fresh DataLoaders, so batching never leaks data between requests. */
  createContext(db: Knex, caller: InternalCaller): Context;
}

export interface Department<Context extends object = object> extends Subgraph<Context> {
  name: DepartmentName;
  isSeeded(db: Knex): Promise<boolean>;
  seed(db: Knex, plan: SeedPlan, progress: SeedProgress): Promise<void>;
}

export function readSdl(subgraph: Pick<Subgraph, 'schemaFile'>): string {
  return [subgraph.schemaFile].flat().map((file) => fs.readFileSync(file, 'utf8')).join('\n');
}

export function readSchema(subgraph: Pick<Subgraph, 'schemaFile'>) {
  return parse(readSdl(subgraph));
}

export async function openDepartmentStore(config: Config, subgraph: Pick<Subgraph, 'name' | 'migrations'>): Promise<Knex> {
  const db = await openStore(config, subgraph.name);
  await migrate(db, subgraph.migrations);
  return db;
}

/**
 * The department's store for a load (created and migrated where needed), or for a dry run as it
 * stands, since a dry run must change nothing: not created where it is missing, not migrated where
 * it is behind (on MySQL a schema change commits at once, dry run or not). Where a load would first
 * have to do either, the reason instead.
 */
export async function openDepartmentStoreToLoad(config: Config, subgraph: Pick<Subgraph, 'name' | 'migrations'>, dryRun: boolean): Promise<{ db: Knex } | { refused: string }> {
  if (!dryRun) return { db: await openDepartmentStore(config, subgraph) };
  if (!(await storeExists(config, subgraph.name))) return { refused: `there is no ${subgraph.name} store yet: a load would create it first, which a dry run does not` };
  const db = await openStore(config, subgraph.name);
  const pending = await pendingMigrations(db, subgraph.migrations).catch(async (error) => {
    await db.destroy();
    throw error;
  });
  if (!pending.length) return { db };
  await db.destroy();
  return { refused: `the ${subgraph.name} store is behind its schema (migrations not yet run: ${pending.join(', ')}): a load would migrate it first, which a dry run does not` };
}

/** The gateway's public key, from its JWKS URL or from the key file it wrote under dataDir. */
export async function gatewayVerifier(config: Config, audience: string): Promise<InternalVerifier> {
  if (config.auth.gatewayJwksUrl) return internalVerifier(audience, new URL(config.auth.gatewayJwksUrl));
  return keyFileVerifier(audience, config.dataDir);
}

/**
 * Verifies with the key file the gateway wrote, read again when a token fails against it and the
 * file holds another key since (the gateway was started with a new one): read once, every
 * department answered 401 to every call until it was restarted by hand.
 */
async function keyFileVerifier(audience: string, dataDir: string): Promise<InternalVerifier> {
  const load = async () => ({ kid: publicJwk(dataDir, 'gateway-signing').kid, verify: internalVerifier(audience, await loadPublicKey(dataDir, 'gateway-signing')) });
  // The key the file holds now; with the file gone, the key in hand is all there is.
  const kidInFile = () => (hasKeyPair(dataDir, 'gateway-signing') ? publicJwk(dataDir, 'gateway-signing').kid : current.kid);
  let current = await load();
  return async (token) => {
    try {
      return await current.verify(token);
    } catch (e) {
      if (kidInFile() === current.kid) throw e;
      current = await load();
      return current.verify(token);
    }
  };
}

/**
 * A department's GraphQL endpoint: refuses every call that does not carry a valid internal token
 * from the gateway, then runs the request with a fresh context (see `graphql-endpoint.ts`).
 */
export function subgraphHandler(subgraph: Subgraph<any>, db: Knex, verify: InternalVerifier, logger: Logger): RequestListener {
  const schema = buildSubgraphSchema({ typeDefs: readSchema(subgraph), resolvers: subgraph.resolvers });
  return graphqlEndpoint({
    schema,
    logger,
    name: `the ${subgraph.name} subgraph`,
    department: isDepartmentName(subgraph.name) ? { name: subgraph.name, owner: departmentOwner(subgraph.name) } : undefined,
    async authenticate(authorization, requestId) {
      if (!authorization?.startsWith('Bearer ')) return { refused: `The ${subgraph.name} subgraph answers only the OneSource gateway: no internal token` };
      try {
        // The verified caller is shared by every request with the same token: the request's own id is added to a copy.
        const caller = await verify(authorization.slice(7));
        return { context: subgraph.createContext(db, requestId ? { ...caller, requestId } : caller) };
      } catch (e) {
        if (e instanceof GatewayKeysUnavailable) {
          return { unavailable: `The ${subgraph.name} subgraph cannot check the gateway's internal token now: it cannot reach the gateway's signing keys (its log says where and why)`, reason: e.message };
        }
        return {
          refused: `The ${subgraph.name} subgraph answers only the OneSource gateway: the internal token is not valid`,
          reason: (e as Error).message,
        };
      }
    },
  });
}

/** How long a health probe waits for the store before calling it down. */
const HEALTH_STORE_TIMEOUT_MS = 2000;

/**
 * `GET /health`: whether the department answers and reaches its own store, for its operator's own
 * probes (a load balancer, a liveness check). A subgraph run alone answers nothing else without the
 * gateway's token; this names no data and needs none. 200 `UP`, or 503 `DOWN` with the reason in
 * the department's log (not in the answer: it may name hosts).
 */
export function healthHandler(name: string, db: Knex, logger: Logger): RequestListener {
  return async (req, res) => {
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: `${req.method} is not answered here: GET /health` });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        db.raw('select 1'),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_STORE_TIMEOUT_MS} ms`)), HEALTH_STORE_TIMEOUT_MS))),
      ]);
      sendJson(res, 200, { status: 'UP', department: name, store: 'UP' });
    } catch (e) {
      logger.warn({ err: e }, 'health: the store does not answer');
      sendJson(res, 503, { status: 'DOWN', department: name, store: 'DOWN' });
    } finally {
      clearTimeout(timer);
    }
  };
}

export interface RunningSubgraph {
  url: string;
  db: Knex;
  stop(): Promise<void>;
}

export async function startSubgraph(
  department: Department<any>,
  options: { config: Config; logger: Logger; port?: number; db?: Knex },
): Promise<RunningSubgraph> {
  const { config, logger } = options;
  const db = options.db ?? (await openDepartmentStore(config, department));
  let http: Awaited<ReturnType<typeof listen>>;
  try {
    const handler = subgraphHandler(department, db, await gatewayVerifier(config, department.name), logger);
    const port = options.port ?? config.subgraphs[department.name].port;
    http = await listen(atPath('/health', healthHandler(department.name, db, logger), atPath('/graphql', handler)), port, config.host);
  } catch (error) {
    // A schema that does not parse, a port taken: the store opened here is closed, not left open.
    if (!options.db) await db.destroy();
    throw error;
  }
  const url = localUrl(config.host, http.port, '/graphql');
  logger.info({ url }, `${department.name} subgraph listening`);
  return {
    url,
    db,
    async stop() {
      await http.close();
      if (!options.db) await db.destroy();
    },
  };
}
