import type { IncomingMessage, RequestListener } from 'node:http';
import { DocumentNode, execute, GraphQLError, GraphQLFormattedError, GraphQLSchema, parse, validate } from 'graphql';
import { BoundedMemo } from './bounded-memo';
import { StoreBusy } from './db';
import { formatPublicError, subgraphUnavailable } from './errors';
import { errorAnswer, sendJson } from './http';
import type { Logger } from './logger';
import { BodyProblem, readRequestBody } from './request-body';

/**
 * The GraphQL endpoint every department (and the gateway's own sharing subgraph) serves to the
 * gateway: node:http and graphql-js, nothing in between.
 *
 * Why not express and Apollo Server, as before: a department is called only by the gateway, with
 * the same few query-plan fetches over and over. Profiling the five-department review showed the
 * subgraphs spending most of their CPU in the framework around the resolvers (express's router and
 * body parser, Apollo Server's plugin pipeline, request and response objects built twice), not in
 * the resolvers or the SQL. What a department needs of all that is: check the caller, parse and
 * validate the query once per distinct text, execute it, and say what went wrong in the contract's
 * error codes. That is this file.
 */
export interface GraphqlEndpointOptions<Context> {
  schema: GraphQLSchema;
  logger: Logger;
  /** Who answers, for error messages: "the persons subgraph". */
  name: string;
  /** The department that answers, for an error that names it as the gateway's partial answers do (SUBGRAPH_UNAVAILABLE). */
  department?: { name: string; owner: string };
  /**
   * The request's context, or why it is refused (HTTP 401, UNAUTHENTICATED), or why no caller can be
   * checked now (HTTP 503, INTERNAL_SERVER_ERROR; `reason` is logged, not sent). `requestId` is the
   * gateway's id for the request this call serves (X-Request-Id), for what the callee records.
   */
  authenticate(
    authorization: string | undefined,
    requestId: string | undefined,
  ): Promise<{ context: Context } | { refused: string; reason?: string } | { unavailable: string; reason: string }>;
}

/** Largest request body accepted: a batch of entity representations, never a file. */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/** Distinct query texts kept parsed and validated: the gateway sends a few dozen query-plan fetches. */
const MAX_DOCUMENTS = 1_000;

type Prepared = { document: DocumentNode } | { status: 400; errors: GraphQLFormattedError[] };

class RequestProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function graphqlEndpoint<Context extends object>(options: GraphqlEndpointOptions<Context>): RequestListener {
  const { schema, logger } = options;
  // Oldest out first: the working set is small and stable, so nothing smarter is needed.
  const documents = new BoundedMemo<Prepared>(MAX_DOCUMENTS);

  /** Parsed and validated once per distinct text; the schema never changes while the process runs. */
  const prepare = (query: string): Prepared => documents.get(query, () => {
    try {
      const document = parse(query);
      const invalid = validate(schema, document);
      return invalid.length
        // A value a scalar refuses (a Date 2027-02-29 written into the query) is the caller's bad
        // input, as it is when passed as a variable: the gateway, whose copy of the scalar takes
        // any value, would otherwise read a validation failure here as the schemas disagreeing.
        ? { status: 400, errors: invalid.map((e) => withCode(e, e.extensions?.code === 'BAD_USER_INPUT' ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED')) }
        : { document };
    } catch (e) {
      return { status: 400, errors: [withCode(e as GraphQLError, 'GRAPHQL_PARSE_FAILED')] };
    }
  });

  return (req, res) => {
    const started = performance.now();
    // A child logger only when a line is written: most calls write none at the default level.
    let child: Logger | undefined;
    const log = () => (child ??= logger.child({ requestId: req.headers['x-request-id'] ?? null }));

    answer(req, options, prepare, log).then(
      ({ status, body, operationName }) => {
        sendJson(res, status, body);
        if (logger.isLevelEnabled('debug')) log().debug({ operationName, ms: Math.round(performance.now() - started) }, 'answered');
      },
      (e: unknown) => {
        log().error({ err: e }, 'request failed');
        sendJson(res, 500, errorAnswer('Internal server error', 'INTERNAL_SERVER_ERROR'));
      },
    );
  };
}

async function answer<Context extends object>(
  req: IncomingMessage,
  options: GraphqlEndpointOptions<Context>,
  prepare: (query: string) => Prepared,
  log: () => Logger,
): Promise<{ status: number; body: unknown; operationName?: string }> {
  const { schema, name, authenticate, logger } = options;
  try {
    if (req.method !== 'POST') throw new RequestProblem(405, `${name} answers GraphQL over POST only`);
    const requestId = req.headers['x-request-id'];
    const caller = await authenticate(req.headers.authorization, typeof requestId === 'string' ? requestId : undefined);
    if ('unavailable' in caller) {
      logger.error({ reason: caller.reason, requestId: req.headers['x-request-id'] }, 'cannot check internal tokens');
      req.resume();
      return { status: 503, body: errorAnswer(caller.unavailable, 'INTERNAL_SERVER_ERROR') };
    }
    if ('refused' in caller) {
      if (caller.reason) logger.warn({ reason: caller.reason, requestId: req.headers['x-request-id'] }, 'refused a call without a valid internal token');
      req.resume();
      return { status: 401, body: errorAnswer(caller.refused, 'UNAUTHENTICATED') };
    }
    const { query, variables, operationName } = graphqlRequest(await readBody(req));
    const prepared = prepare(query);
    if (!('document' in prepared)) return { status: prepared.status, body: { errors: prepared.errors }, operationName };

    const result = await execute({ schema, document: prepared.document, variableValues: variables, operationName, contextValue: caller.context });
    // No data at all: the request could not start (variables that do not fit, an unknown
    // operationName). That is the caller's mistake, named as such, as Apollo Server does.
    if (!('data' in result) && result.errors) return { status: 400, body: { errors: result.errors.map((e) => withCode(e, 'BAD_USER_INPUT')) }, operationName };
    const errors = result.errors?.map((error) => publicError(error, options, log));
    return { status: 200, body: errors ? { errors, data: result.data } : { data: result.data }, operationName };
  } catch (e) {
    if (!(e instanceof RequestProblem)) throw e;
    req.resume();
    return { status: e.status, body: errorAnswer(e.message, 'BAD_REQUEST') };
  }
}

/** What the caller may see of an execution error; internal ones are logged with their cause. */
function publicError(error: GraphQLError, { logger, department }: GraphqlEndpointOptions<object>, log: () => Logger): GraphQLFormattedError {
  if (error.originalError instanceof StoreBusy && department) {
    log().warn({ path: error.path, waitedMs: error.originalError.waitedMs }, 'write not made: store busy');
    return { ...storeBusy(department, error.originalError).toJSON(), path: error.path };
  }
  const formatted = formatPublicError(error.toJSON());
  if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') log().error({ err: error.originalError ?? error, path: error.path }, 'resolver failed');
  // A refusal of the caller's input quotes the input (an idNumber, a name): the log says what was
  // refused where, the caller's answer says why.
  else if (logger.isLevelEnabled('debug')) {
    const code = formatted.extensions?.code;
    log().debug({ code, path: error.path, argument: error.extensions?.argument }, code === 'BAD_USER_INPUT' ? 'input refused' : error.message);
  }
  return formatted;
}

function withCode(error: GraphQLError, code: string): GraphQLFormattedError {
  return { ...error.toJSON(), extensions: { ...error.extensions, code } };
}

function graphqlRequest(body: string): { query: string; variables?: Record<string, unknown>; operationName?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RequestProblem(400, 'The request body is not JSON');
  }
  const { query, variables, operationName } = (parsed ?? {}) as Record<string, unknown>;
  if (typeof query !== 'string') throw new RequestProblem(400, 'The request has no query: send {"query": "…"} as JSON');
  if (variables != null && typeof variables !== 'object') throw new RequestProblem(400, '"variables" must be an object');
  if (operationName != null && typeof operationName !== 'string') throw new RequestProblem(400, '"operationName" must be a string');
  return { query, variables: (variables ?? undefined) as Record<string, unknown> | undefined, operationName: operationName ?? undefined };
}

async function readBody(req: IncomingMessage): Promise<string> {
  try {
    return await readRequestBody(req, MAX_BODY_BYTES);
  } catch (e) {
    if (e instanceof BodyProblem) throw new RequestProblem(e.kind === 'too-large' ? 413 : 400, e.message);
    throw e;
  }
}

/**
 * Serves `handler` at exactly `path` (any query string) and hands every other request to
 * `elsewhere`; without one, 404: a department serves nothing else.
 */
export function atPath(path: string, handler: RequestListener, elsewhere?: RequestListener): RequestListener {
  return (req, res) => {
    const url = req.url ?? '/';
    const end = url.indexOf('?');
    if ((end < 0 ? url : url.slice(0, end)) === path) return handler(req, res);
    if (elsewhere) return elsewhere(req, res);
    req.resume();
    sendJson(res, 404, nothingAt(req, path));
  };
}

/**
 * The 404 of a path nothing is served at, as a GraphQL error (never a framework's HTML page),
 * pointing to the GraphQL endpoint: `/graphql/` is not `/graphql`, and the message says so.
 */
export function nothingAt(req: IncomingMessage, graphqlPath: string) {
  const url = req.url ?? '/';
  const end = url.indexOf('?');
  const path = end < 0 ? url : url.slice(0, end);
  const hint = path === `${graphqlPath}/` ? `GraphQL is at ${graphqlPath}, without the trailing slash` : `GraphQL is at ${graphqlPath}`;
  return errorAnswer(`Nothing at ${req.method ?? 'GET'} ${path.slice(0, 200)}: ${hint}`, 'BAD_REQUEST');
}

/**
 * A change its store had no room for now (another write, such as a load, held the lock): not made,
 * and said so (`outcome: NOT_MADE`), so that the caller sends it again rather than read the record
 * first, as it must after a failure whose outcome is unknown.
 */
function storeBusy(department: { name: string; owner: string }, busy: StoreBusy): GraphQLError {
  return subgraphUnavailable(department.name, department.owner,
    `could not make the change: its store was busy with another write (a load, perhaps)${busy.waitedMs === null ? '' : ` for ${busy.waitedMs / 1000} s`}. The change was not made: send it again shortly`,
    { reason: 'STORE_BUSY', outcome: 'NOT_MADE' });
}
