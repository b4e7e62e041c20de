import fs from 'node:fs';
import express, { Router } from 'express';
import { parse } from 'graphql';
import type { Knex } from 'knex';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { Config } from './config';
import type { DepartmentName } from './departments';
import { Migration, migrate, openStore } from './db';
import { formatPublicError } from './errors';
import { listen } from './http';
import { InternalCaller, internalVerifier, InternalVerifier } from './internal-token';
import { loadPublicKey } from './keys';
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

/** The gateway's public key, from its JWKS URL or from the key file it wrote under dataDir. */
export async function gatewayVerifier(config: Config, audience: string): Promise<InternalVerifier> {
  const key = config.auth.gatewayJwksUrl ? new URL(config.auth.gatewayJwksUrl) : await loadPublicKey(config.dataDir, 'gateway-signing');
  return internalVerifier(audience, key);
}

const unauthenticated = (message: string) => ({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });

/**
 * The subgraph's HTTP handler: refuses every call that does not carry a valid internal token from
 * the gateway, then runs the GraphQL request with a fresh context.
 */
export async function subgraphRouter(
  subgraph: Subgraph<any>,
  db: Knex,
  verify: InternalVerifier,
  logger: Logger,
): Promise<{ router: Router; stop(): Promise<void> }> {
  const schema = buildSubgraphSchema({ typeDefs: readSchema(subgraph), resolvers: subgraph.resolvers });
  const apollo = new ApolloServer<object>({
    schema,
    // Internal errors are logged by requestLog, with the request id; the caller sees only the code.
    formatError: (formatted) => formatPublicError(formatted),
    includeStacktraceInErrorResponses: false,
    // No traces for Apollo's cloud: they cost time on every call and nobody reads them here.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled(), requestLog(logger)],
  });
  await apollo.start();

  const router = express.Router();
  router.use(async (req, res, next) => {
    const header = req.headers.authorization ?? '';
    if (!header.startsWith('Bearer ')) {
      res.status(401).json(unauthenticated(`The ${subgraph.name} subgraph answers only the OneSource gateway: no internal token`));
      return;
    }
    try {
      res.locals.caller = await verify(header.slice(7));
      next();
    } catch (e) {
      logger.warn({ reason: (e as Error).message, requestId: req.headers['x-request-id'] }, 'refused a call without a valid internal token');
      res.status(401).json(unauthenticated(`The ${subgraph.name} subgraph answers only the OneSource gateway: the internal token is not valid`));
    }
  });
  router.use(
    express.json({ limit: '2mb' }),
    expressMiddleware(apollo, { context: async ({ res }) => subgraph.createContext(db, res.locals.caller as InternalCaller) }),
  );
  return { router, stop: () => apollo.stop() };
}

/**
 * Every log line about a call carries the gateway's X-Request-Id (a pino child logger per call),
 * so one id follows a request from the gateway's log and audit record into each department's log.
 */
function requestLog(logger: Logger): ApolloServerPlugin<object> {
  return {
    async requestDidStart({ request }) {
      // The child is made only when a line is written: most calls write none at the default level.
      let child: Logger | undefined;
      const log = () => (child ??= logger.child({ requestId: request.http?.headers.get('x-request-id') ?? null }));
      const started = performance.now();
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const internal = formatPublicError({ message: error.message, extensions: error.extensions }).extensions?.code === 'INTERNAL_SERVER_ERROR';
            if (internal) log().error({ err: error.originalError ?? error, path: error.path }, 'resolver failed');
            else if (logger.isLevelEnabled('debug')) log().debug({ code: error.extensions?.code, path: error.path }, error.message);
          }
        },
        async willSendResponse({ operationName }) {
          if (logger.isLevelEnabled('debug')) log().debug({ operationName, ms: Math.round(performance.now() - started) }, 'answered');
        },
      };
    },
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
  const handler = await subgraphRouter(department, db, await gatewayVerifier(config, department.name), logger);
  const app = express();
  app.disable('x-powered-by');
  app.use('/graphql', handler.router);
  const port = options.port ?? config.subgraphs[department.name].port;
  const http = await listen(app, port, config.host);
  const url = `http://127.0.0.1:${http.port}/graphql`;
  logger.info({ url }, `${department.name} subgraph listening`);
  return {
    url,
    db,
    async stop() {
      await http.close();
      await handler.stop();
      if (!options.db) await db.destroy();
    },
  };
}
