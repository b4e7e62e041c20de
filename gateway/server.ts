import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import express from 'express';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import type { Config } from '../shared/config';
import { DEPARTMENTS, DepartmentName } from '../shared/departments';
import { formatPublicError } from '../shared/errors';
import { listen, localUrl } from '../shared/http';
import { internalSigner, internalVerifier } from '../shared/internal-token';
import { derivedSecret, ensureKeyPair, loadPrivateKey, loadPublicKey, publicJwk } from '../shared/keys';
import type { Logger } from '../shared/logger';
import { atPath } from '../shared/graphql-endpoint';
import { subgraphHandler } from '../shared/subgraph-server';
import { graphqlOverHttp } from './graphql-http';
import { AuditTrail, PURPOSE_MAX } from './audit/trail';
import { SubjectIndex } from './audit/subject-index';
import { createAuthenticator } from './auth/consumer-token';
import { issueDevToken } from './auth/dev-tokens';
import { ConsumerRegistry, createConsumerRegistry, DATA_QUALITY_CONSUMER } from './consumers';
import { startQuality } from './quality';
import { objectionReferencesPlugin } from './quality/objection-references';
import type { GatewayContext, Principal } from './context';
import { answeredByDepartment, DepartmentDataSource } from './department-source';
import { asksForAny, EntityCache, entityCacheAges, perRequestFields, withEntityCache } from './entity-cache';
import { partialAnswerSupergraph } from './partial-answers';
import { subgraphPolicy } from './resilience';
import { RESILIENCE_DEFAULTS } from '../shared/config';
import { isDepartmentName } from '../shared/departments';
import { playgroundRouter } from './playground';
import { guardGateway } from './guard';
import { rememberExecutedOperations } from './operation-memo';
import { httpErrorAnswer, notFoundAnswer } from './limits/http-body';
import { FiniteNumbersRule } from './limits/finite-numbers';
import { ReservedAliasesRule } from './policy/enforce';
import { identifierVariablesPlugin } from './identifier-variables';
import { operationLimitsPlugin } from './limits/operation-limits';
import { requestErrorCodesPlugin } from './limits/request-errors';
import { createRateLimiter, rateLimitedAuthenticator } from './limits/rate-limit';
import { createAccessStore } from './sharing/access';
import { SHARING_SUBGRAPH, sharingSubgraph } from './sharing';
import { prepareConsumerRegistry } from './sharing/seed';
import { openGatewayStore } from './store';
import { GatewayMetrics } from './operations/metrics';
import { readinessProbe } from './operations/readiness';
import { requestLogPlugin } from './operations/request-log';
import { observeCalls } from './operations/subgraph-calls';
import { usageRecording } from './usage';
import { composeSupergraph, executableSupergraph } from './supergraph';
import { LiveSupergraph, reloadingSupergraph } from './supergraph-reload';
import { SCHEMA_IDENTITY_HEADER, SCHEMA_IDENTITY_PATH, schemaIdentity } from './schema-identity';
import { catalogRouter } from './catalog/routes';
import { createOperationRecorder, operationRecorderPlugin } from './operations-recorder';
import { persistedQueries } from './persisted-queries';
import { gatewaySubgraphSources } from './prepare';
import { purposeOf } from './purpose';
import { yearsWithoutHolidays } from './sharing/working-days';
import { InMemoryLRUCache } from '@apollo/utils.keyvaluecache';
import type { DocumentNode } from 'graphql';

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  logger: Logger;
  /**
   * For the benchmark's "trust layer off" target only, and deliberately not a setting: no token
   * check, no share rules, no audit; every request runs as the principal this returns. It
   * measures what identity, policy and audit cost (issue 3 asks for that ratio).
   */
  withoutTrustLayer?: (registry: ConsumerRegistry) => Promise<Principal>;
  /**
   * A `node:cluster` worker's: the primary has seeded or checked the consumer registry already
   * (prepareGateway), so the workers neither repeat it nor each warn of an empty registry.
   */
  registryPrepared?: boolean;
}

/** How long a starting gateway waits for its first connection to Redis. */
const REDIS_START_WAIT_MS = 5_000;

export async function startGateway({ config, logger, withoutTrustLayer, registryPrepared = false }: GatewayOptions): Promise<RunningGateway> {
  // @apollo/gateway reads this switch from the environment only, in its constructor. A closed
  // e-government network must never try to reach Apollo's telemetry endpoint: forced off here.
  process.env.APOLLO_TELEMETRY_DISABLED = '1';
  const port = config.gatewayPort;
  if (!port) throw new Error('the gateway needs a fixed port (ONESOURCE_GATEWAY_PORT): its own sharing subgraph is composed at that address');

  await ensureKeyPair(config.dataDir, 'gateway-signing');
  if (config.auth.devTokens) await ensureKeyPair(config.dataDir, 'dev-idp');
  const db = await openGatewayStore(config);
  const readSources = () => gatewaySubgraphSources(config, port);
  const startingSources = readSources();
  const supergraphSdl = composeSupergraph(startingSources);
  // The FULL supergraph (rules, catalogue); Apollo Gateway gets the executable copy. Both follow SDL changes.
  const live = new LiveSupergraph(supergraphSdl);
  const rules = live.rules();
  if (!registryPrepared) await prepareConsumerRegistry(db, rules.resources(), { seed: config.seedEmptyStores, logger });

  const { key, kid } = await loadPrivateKey(config.dataDir, 'gateway-signing');
  const sign = internalSigner(key, kid);
  const usage = usageRecording(db, logger, supergraphSdl);
  const metrics = new GatewayMetrics();
  const descriptions: Record<string, string> = Object.fromEntries(DEPARTMENTS.map((d) => [d.name, d.owner]));
  descriptions[SHARING_SUBGRAPH] = 'OneSource sharing records';
  // What each department lets the gateway keep (@cacheControl in its SDL), following SDL changes.
  let cacheAges = entityCacheAges(startingSources);
  let servedPerRequest = perRequestFields(startingSources);
  if (!rememberExecutedOperations()) logger.warn('@apollo/federation-internals changed: each request rebuilds its operation (slower, still correct)');
  const gateway = new ApolloGateway({
    // Fields a department may fail to deliver are nullable here, so its outage nulls only them.
    supergraphSdl: reloadingSupergraph({
      live, readSources, servedSources: startingSources, executable: (sdl) => partialAnswerSupergraph(executableSupergraph(sdl)), pollMs: config.schemaPollMs, logger,
      onSources: (sources) => {
        cacheAges = entityCacheAges(sources);
        servedPerRequest = perRequestFields(sources);
      },
    }),
    buildService: ({ name, url }) => {
      const settings = isDepartmentName(name) ? config.resilience[name] : RESILIENCE_DEFAULTS; // the gateway's own sharing subgraph
      // The gateway's own subgraph records the reads it answers under the request id it is called
      // with, which a merged call would give as the list of every request merged into it.
      const merge = config.mergeFetches && isDepartmentName(name);
      const perRequest = asksForAny(() => servedPerRequest.get(name));
      const calls = observeCalls(
        new DepartmentDataSource(name, descriptions[name] ?? name, url as string, sign, logger, subgraphPolicy(name, settings, logger, answeredByDepartment), merge, perRequest),
        name, [usage.observeCall, metrics.observeCall],
      );
      // Outside the observers: an entity answered from the cache is not a call to the department.
      return withEntityCache(calls, new EntityCache(() => cacheAges.get(name), undefined, perRequest));
    },
  });
  const auditSubjects = new SubjectIndex(db, logger);
  const trail = new AuditTrail(db, logger, undefined, (batch) => {
    metrics.observeAuditBatch(batch);
    if (batch.ok) auditSubjects.behind();
  });
  // Records a gateway wrote but did not index before it stopped are indexed now.
  auditSubjects.behind();
  const registry = createConsumerRegistry(db);
  // The consistency checks read through this very gateway, as the data-quality consumer.
  let apollo: ApolloServer<GatewayContext> | undefined;
  const quality = await startQuality({
    db, logger, sign, catalog: () => live.catalog(), changeNoticeDays: config.changeNoticeDays, trail,
    subgraphUrl: (department) => config.subgraphs[department as DepartmentName].url,
    subgraphTimeoutMs: (department) => config.resilience[department as DepartmentName].timeoutMs,
    query: async (query, variables) => {
      const consumer = await registry.byId(DATA_QUALITY_CONSUMER);
      if (!consumer || !apollo) throw new Error(`the ${DATA_QUALITY_CONSUMER} consumer is not registered`);
      // Its token would be refused while it is suspended; these reads skip the token, not the suspension.
      if (consumer.status !== 'ACTIVE') throw new Error(`the ${DATA_QUALITY_CONSUMER} consumer is suspended (npm run consumers -- activate ${DATA_QUALITY_CONSUMER})`);
      const context: GatewayContext = {
        requestId: randomUUID(), principal: { kind: 'SYSTEM', consumer }, purpose: '共享校核 consistency checks', keepsNoReadReceipts: true,
      };
      const response = await apollo.executeOperation({ query, variables }, { contextValue: context });
      const result = response.body.kind === 'single' ? response.body.singleResult : undefined;
      if (!result?.data || result.errors?.length) throw new Error(`a consistency query was not answered: ${result?.errors?.[0]?.message ?? 'no data'}`);
      return result.data;
    },
  });
  const guard = guardGateway(gateway, {
    rules: () => live.rules(), access: createAccessStore(db), trail, logger, reads: quality.reads, objections: quality.open, owners: usage.source.owners,
  });
  // Which schema is served, named on every answer: an open playground introspects again when it changes.
  // Set when Apollo Gateway loads, before the gateway listens; the same SDL Apollo serves, so a
  // client that sees a new identity and introspects gets the schema that identity names.
  let servedSchema = '';
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    usage.useSupergraph(coreSupergraphSdl);
    servedSchema = schemaIdentity(coreSupergraphSdl);
  });

  // Registered through any replica, known to all: the hash → query cache is in Redis.
  const apq = persistedQueries(config.persistedQueries, logger);
  apollo = new ApolloServer<GatewayContext>({
    // Signals are the process's to handle (scripts/signals.ts drains, then stops this server).
    // Apollo's own handlers, on whenever NODE_ENV is not `test`, stopped the server at once and
    // signalled the process again, which read as a second Ctrl-C: in-flight answers were cut off.
    stopOnTerminationSignals: false,
    gateway: withoutTrustLayer ? gateway : guard,
    persistedQueries: apq.options,
    documentStore: parsedDocuments(),
    // What failed inside is logged with the request id by requestLogPlugin; the caller sees the code.
    formatError: (formatted) => formatPublicError(formatted),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    validationRules: [FiniteNumbersRule, ReservedAliasesRule],
    // No landing page from Apollo's CDN and nothing reported to Apollo: the playground is ours.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      operationLimitsPlugin(config.limits),
      requestErrorCodesPlugin(),
      // An ID sent as a JSON number beyond 2^53 has lost digits: refused naming the variable.
      identifierVariablesPlugin(),
      apq.plugin,
      operationRecorderPlugin(createOperationRecorder(db, logger)),
      objectionReferencesPlugin(quality.services.objections),
      usage.plugin,
      metrics.plugin(),
      requestLogPlugin(logger),
    ],
  });
  await apollo.start();

  const rateLimiter = createRateLimiter(config.limits.rateLimit, logger);
  // Redis is connected before the first request is taken, however busy the machine; a Redis that
  // is down is said so once here, and each request then goes on without it (failing open).
  const redisUp = await Promise.all([rateLimiter.connected(REDIS_START_WAIT_MS), apq.connected(REDIS_START_WAIT_MS)]);
  const uncounted = yearsWithoutHolidays(new Date());
  if (uncounted.length) {
    logger.warn(`the holiday calendar (npm package chinese-days) does not hold ${uncounted.join(' or ')} yet: application deadlines there skip weekends and the fixed-date holidays (元旦, 劳动节, 国庆节) only, not 春节 or the other lunar holidays nor 调休; upgrade chinese-days once the State Council has announced them`);
  }
  if (redisUp.includes(false)) logger.warn('Redis (ONESOURCE_REDIS_URL) cannot be reached at start: rate limits are not enforced and persisted queries are not shared until it can');
  const authenticate = rateLimitedAuthenticator(
    await createAuthenticator(config, registry), rateLimiter, config.limits.rateLimit.windowSeconds,
    derivedSecret(config.dataDir, 'gateway-signing', 'rate limits: citizens'),
  );
  const sharing = subgraphHandler(
    sharingSubgraph({ rules: () => guard.rules(), auditSubjects, usage: usage.source, catalog: () => live.catalog(), quality: quality.services }),
    db,
    internalVerifier(SHARING_SUBGRAPH, await loadPublicKey(config.dataDir, 'gateway-signing')),
    logger,
  );

  const app = express();
  app.disable('x-powered-by');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const departments = DEPARTMENTS.map(({ name }) => ({ name, url: config.subgraphs[name].url }));
  app.get('/ready', readinessProbe(departments, sign, { onStatus: (s) => metrics.subgraphUp.set({ subgraph: s.department }, s.status === 'UP' ? 1 : 0) }).handler);
  app.get('/metrics', metrics.handler());
  // Departments running elsewhere verify internal tokens with this key (ONESOURCE_GATEWAY_JWKS_URL).
  app.get('/.well-known/jwks.json', (_req, res) => {
    res.json({ keys: [publicJwk(config.dataDir, 'gateway-signing')] });
  });
  if (config.playground) {
    // What an open playground asks every few seconds to learn the schema changed: a few bytes, no token.
    app.get(SCHEMA_IDENTITY_PATH, (_req, res) => {
      res.set({ 'Cache-Control': 'no-store', [SCHEMA_IDENTITY_HEADER]: servedSchema }).json({ schema: servedSchema });
    });
    app.use(playgroundRouter({ devConsumers: config.auth.devTokens }));
  }
  if (config.auth.devTokens) {
    // Development only: tokens for the registered consumers, for the playground's picker, and only to a
    // browser on this machine: any token here is a consumer's identity (the auditor's included).
    app.get('/playground/dev-consumers', async (req, res) => {
      if (!fromThisMachine(req)) {
        res.status(403).json({ errors: [{ message: 'Development tokens are given only to a browser on the gateway\'s own machine that calls it localhost, 127.0.0.1 or [::1]', extensions: { code: 'FORBIDDEN' } }] });
        return;
      }
      // A suspended consumer is not offered: its token would only be refused.
      const consumers = (await registry.all()).filter((c) => c.status === 'ACTIVE');
      res.json(
        await Promise.all(
          consumers.map(async (c) => ({ id: c.id, name: c.name, department: c.organisation, token: await issueDevToken(config, { consumer: c.id }) })),
        ),
      );
    });
  }
  app.use(`/${SHARING_SUBGRAPH}/graphql`, sharing);
  app.use(catalogRouter(db, () => live.catalog(), logger));
  app.use(notFoundAnswer('/graphql'));
  app.use(httpErrorAnswer(logger));

  // Every consumer request is a POST to /graphql: answered on node:http, without express.
  const graphql = graphqlOverHttp({
    apollo, maxBodyBytes: config.limits.maxBodyBytes, logger,
    schemaIdentity: config.introspection ? () => servedSchema : undefined,
    context: async (req, requestId) => ({
      requestId,
      principal: withoutTrustLayer ? await withoutTrustLayer(registry) : await authenticate(req.headers.authorization),
      purpose: purposeOf(req.headers['x-purpose']),
    }),
    // Token floods and throttled consumers show in /metrics and the log, as answered requests do.
    onRefused: (refusal) => {
      metrics.observeRefusal(refusal);
      logger.info(refusal, 'request refused');
    },
  });
  const http = await listen(atPath('/graphql', graphql, app), port, config.host, {
    headersTooLargeHint: `X-Purpose should be a short statement (the audit trail keeps ${PURPOSE_MAX} characters of it), and a long query belongs in a POST body, not the URL`,
  });
  const url = localUrl(config.host, http.port, '/graphql');
  logger.info({ url }, 'gateway listening');
  return {
    url,
    port: http.port,
    async stop() {
      await http.close();
      await apollo.stop();
      await trail.close();
      await auditSubjects.close();
      await quality.stop();
      await usage.stop();
      await rateLimiter.close();
      apq.close();
      await db.destroy();
    },
  };
}

/**
 * A request made on this machine, not relayed: from a loopback address and with no proxy's
 * forwarding header (nginx in front of the gateway connects from loopback for anyone), to a
 * loopback name: a page of another site whose name was made to point at 127.0.0.1 (DNS
 * rebinding) reaches the gateway from loopback too, but its Host header names that site.
 */
function fromThisMachine(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  const loopback = address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
  const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const loopbackName = hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  return loopback && loopbackName && req.headers['x-forwarded-for'] === undefined && req.headers.forwarded === undefined;
}

/**
 * Apollo Server's cache of parsed and validated documents, as big as its default (30 MiB) but
 * sized by the text each document keeps alive: its default sizes a document by its JSON, which
 * leaves out the source text every node's location holds on to, so 900 KB queries of spaces each
 * counted a few hundred bytes, and a few hundred of them filled the heap.
 */
function parsedDocuments(): InMemoryLRUCache<DocumentNode> {
  return new InMemoryLRUCache<DocumentNode>({
    maxSize: 30 * 2 ** 20,
    sizeCalculation: (document) => 2 * (document.loc?.source.body.length ?? 0) + InMemoryLRUCache.sizeCalculation(document),
  });
}
