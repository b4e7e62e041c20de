import { isBrokenCircuitError, TaskCancelledError } from 'cockatiel';
import type { GraphQLDataSource, GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { AUDIT_TRAIL_UNAVAILABLE } from '../shared/errors';
import type { SubgraphResilience } from '../shared/config';
import type { InternalCaller, InternalSigner } from '../shared/internal-token';
import type { Logger } from '../shared/logger';
import type { GatewayContext, Principal } from './context';
import { missingRecords } from './missing-records';
import { departmentFailed, unavailableAnswer } from './partial-answers';
import type { SubgraphPolicy } from './resilience';
import { DepartmentFetch, isMutation, mergingFetches, RefusedFetch, SendFetch } from './fetch-merging';
import { keepAliveClient } from './subgraph-http';

export function internalCaller(principal: Principal, purpose: string | undefined): InternalCaller {
  return principal.kind === 'SYSTEM'
    ? { consumer: principal.consumer.id, kind: 'SYSTEM', roles: principal.consumer.roles, department: principal.consumer.department ?? undefined, purpose }
    : { consumer: 'citizen', kind: 'CITIZEN', roles: [], subject: principal.idNumber, purpose };
}

/** One keep-alive pool for every department this process calls (gateway/subgraph-http.ts says why). */
const post = keepAliveClient();

/** A 2xx answer that is not a GraphQL response to this fetch (a proxy's page, `{}`, a short list). */
class GarbageAnswer extends Error {}

/**
 * The codes a department answers on purpose (and the gateway's own subgraph's refusal to answer
 * without its audit record); any other error in an answer is its failure. SUBGRAPH_UNAVAILABLE is
 * the gateway's own subgraph saying that a department it had to ask did not answer (whether an
 * objection's record exists): passed on naming that department, not made its own failure.
 */
const MEANT_CODES = new Set(['BAD_USER_INPUT', 'FORBIDDEN', 'UNAUTHENTICATED', 'GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_COMPLEX', 'SUBGRAPH_UNAVAILABLE']);

/**
 * The department refused the caller's own input (HTTP 400, every error BAD_USER_INPUT: a Date
 * that is not YYYY-MM-DD, say; the gateway passes custom scalars through unchecked, and the
 * department that owns the rule checks them). The caller's mistake, not the department's failure:
 * it is answered as BAD_USER_INPUT at the fetch's fields, and neither retried nor counted by the
 * circuit breaker (five bad dates must not shut a department for everyone).
 */
export class RefusedInput extends RefusedFetch {
  constructor(readonly errors: { message: string }[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/**
 * The department does not know what the gateway asked of it (HTTP 400, every error
 * GRAPHQL_VALIDATION_FAILED): the SDL the gateway composed and the schema the department runs
 * differ, as while a new field's SDL is published before the department that serves it. Only the
 * fetches that touch the difference fail, so it is neither retried nor counted by the circuit
 * breaker: one consumer asking for the new field must not shut the department for everyone.
 */
export class SchemaSkew extends RefusedFetch {}

/** A 400 answer in which the department refused the request itself, named by what it refused. */
function refusal(body: string): RefusedInput | SchemaSkew | undefined {
  let answer: { errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  try {
    answer = JSON.parse(body);
  } catch {
    return undefined;
  }
  const errors = answer?.errors;
  if (!Array.isArray(errors) || !errors.length || !errors.every((e) => typeof e?.message === 'string')) return undefined;
  const messages = errors.map((e) => ({ message: e.message as string }));
  if (errors.every((e) => e.extensions?.code === 'BAD_USER_INPUT')) return new RefusedInput(messages);
  if (errors.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')) return new SchemaSkew(messages.map((m) => m.message).join('; '));
  return undefined;
}

/** An error in an answer that the department did not mean for the caller: its own failure. */
const unmeant = (e: { extensions?: Record<string, unknown> }) => !MEANT_CODES.has(String(e.extensions?.code)) && e.extensions?.reason !== AUDIT_TRAIL_UNAVAILABLE;

/**
 * Whether the department answered the request, so that its health is not in question: any refusal
 * (HTTP 4xx) is the request's, not the department's failing. A merged call over its body limit
 * (413) is then sent again fetch by fetch; retried and counted, one consumer's large but valid
 * inputs opened the department's circuit for everyone.
 */
export const answeredByDepartment = (error: unknown) => error instanceof RefusedFetch;

/**
 * How the gateway calls one subgraph: with an internal token it signs for that subgraph alone
 * (who asks, and why) and the request id, under that subgraph's timeout, retries and circuit
 * breaker. A subgraph that does not answer, or answers garbage, costs only its own fields: they
 * come back null with SUBGRAPH_UNAVAILABLE naming it at their paths, never a socket error with
 * its address, and the rest of the answer is whole.
 *
 * A GraphQLDataSource of its own rather than Apollo's RemoteGraphQLDataSource: that one reaches
 * its fetch with no per-call abort signal (we needed AsyncLocalStorage, which slows every promise
 * in the process) and builds node-fetch objects per call that nothing here reads.
 */
export class DepartmentDataSource implements GraphQLDataSource<GatewayContext> {
  /** Every fetch goes out through here: merged with others of its turn where it can be. */
  private readonly send: SendFetch;

  constructor(
    private readonly subgraph: string,
    private readonly description: string,
    private readonly url: string,
    private readonly sign: InternalSigner,
    private readonly logger: Logger,
    private readonly policy?: SubgraphPolicy,
    /** Fetch merging (`gateway/fetch-merging.ts`); on unless ONESOURCE_MERGE_FETCHES=false. */
    mergeFetches = true,
    /** Fetches that are never merged: those asking for a field served per request. */
    alone?: (query: string) => boolean,
  ) {
    const call: SendFetch = (fetch) => this.call(fetch);
    this.send = mergeFetches ? mergingFetches(call, undefined, alone) : call;
  }

  async process({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const query = request.query ?? '';
    try {
      const answer = await this.send({ query, operationName: request.operationName, variables: request.variables, headers: await this.headers(context as GatewayContext | undefined) });
      // An error the department did not mean for the caller (INTERNAL_SERVER_ERROR, or no code):
      // its own store or code failed, the commonest way a running department fails. Its fields are
      // its failure, SUBGRAPH_UNAVAILABLE naming it, instead of a bare "Internal server error" that
      // names nobody. Judged per fetch, after a merged call is split, so that one fetch's failure
      // costs no other request its answer (and so neither retried nor counted by the breaker).
      const failure = answer.errors?.find(unmeant);
      const missing = (context as GatewayContext | undefined)?.missingRecords;
      if (missing) missing.push(...missingRecords(this.subgraph, this.description, request.variables?.representations, answer.data, answer.errors));
      if (!failure) return answer;
      this.logger.warn({ subgraph: this.subgraph, requestId: context?.requestId, reason: failure.message }, 'subgraph failed');
      // A mutation's department failed while making the change: whether it was made (a commit that
      // failed late, a department that changes more than one store) is for the record to say.
      const couldNot = isMutation(query)
        ? this.unavailable(`could not answer: ${OUTCOME_UNKNOWN}`, { reason: 'FAILED', outcome: 'UNKNOWN' })
        : this.unavailable('could not answer', { reason: 'FAILED' });
      // Nothing came back: every field of the fetch is named. Otherwise what did come back stays,
      // and each failed field says so at its own path.
      if (answer.data == null) return departmentFailed(unavailableAnswer(query, request.variables, couldNot));
      return departmentFailed({ ...answer, errors: answer.errors!.map((e) => (unmeant(e) ? { ...couldNot, path: e.path } : e)) } as GatewayGraphQLResponse);
    } catch (error) {
      if (error instanceof RefusedInput) {
        const extensions = { code: 'BAD_USER_INPUT', department: this.subgraph };
        const answers = error.errors.map(({ message }) => unavailableAnswer(query, request.variables, { message, extensions }));
        return { data: null, errors: answers.flatMap((a) => a.errors ?? []) } as GatewayGraphQLResponse;
      }
      // Errors inside a GraphQL answer are returned, not thrown: what is thrown is a refused or
      // broken connection, a timeout, an open circuit, a non-2xx status or a body that is not
      // GraphQL. Returned as a GraphQL answer with paths, so the gateway nulls only these fields.
      // An open circuit is logged once when it opens; each refused call is only a debug line.
      const fields = { subgraph: this.subgraph, requestId: context?.requestId, breaker: this.policy?.state(), reason: (error as Error)?.message };
      if (error instanceof SchemaSkew) {
        // The operator's to fix (deploy the department, or withdraw the SDL), so the reason is logged, not sent.
        this.logger.warn(fields, "subgraph refused the gateway's query: its schema differs from the SDL the gateway composed");
        const cannotYet = this.unavailable("cannot answer these fields yet: the schema it runs differs from the gateway's");
        return unavailableAnswer(query, request.variables, cannotYet);
      }
      const missed = noAnswer(error, isMutation(query), this.policy?.settings);
      if (missed.reason === 'CIRCUIT_OPEN') this.logger.debug(fields, 'subgraph skipped: circuit open');
      else this.logger.warn({ ...fields, outcome: missed.outcome }, 'subgraph did not answer');
      const { why, ...extensions } = missed;
      return departmentFailed(unavailableAnswer(query, request.variables, this.unavailable(why, extensions)));
    }
  }

  /** SUBGRAPH_UNAVAILABLE naming this department and why, and nothing of its insides. */
  private unavailable(why: string, more: Record<string, string> = {}) {
    return { message: `The ${this.subgraph} subgraph (${this.description}) ${why}`, extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: this.subgraph, ...more } };
  }

  /** One HTTP call to the department under its policy; throws when there is no GraphQL answer. */
  private async call({ query, operationName, variables, headers }: DepartmentFetch): Promise<GatewayGraphQLResponse> {
    const idempotent = !isMutation(query);
    const body = JSON.stringify({ query, variables, operationName });
    const attempt = async (signal: AbortSignal) => {
      const reply = await post(this.url, { headers, body, signal });
      if (reply.status === 400) {
        const refused = refusal(reply.body);
        if (refused) throw refused;
      }
      if (reply.status >= 400 && reply.status < 500) throw new RefusedFetch(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
      if (reply.status < 200 || reply.status > 299) throw new Error(`HTTP ${reply.status}: ${reply.body.slice(0, 200)}`);
      if (!reply.contentType.includes('json')) throw new GarbageAnswer(`not JSON but ${reply.contentType || 'no content type'}`);
      const response = JSON.parse(reply.body) as GatewayGraphQLResponse;
      checkShape(response, variables);
      return response;
    };
    return this.policy ? this.policy.call(idempotent, attempt) : attempt(new AbortController().signal);
  }

  /** Who asks and why, for this subgraph alone; the gateway's own schema loads carry no caller. */
  private async headers(context: GatewayContext | undefined): Promise<Record<string, string>> {
    if (!context?.principal) return {};
    return {
      authorization: `Bearer ${await this.sign(this.subgraph, internalCaller(context.principal, context.purpose))}`,
      'x-request-id': context.requestId,
    };
  }
}

/** What a mutation's caller is told when its change may or may not have been made. */
const OUTCOME_UNKNOWN = 'whether the change was made is not known. Read the record again before you send the change again';

/** Errors of a connection that was never made: nothing was sent, so no change can have been made. */
const NEVER_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * Why a call brought no answer, in the caller's words (`reason` for programs), and for a mutation
 * whether its change was made (`outcome`). A mutation that was sent and not answered (a timeout, a
 * connection lost, a 5xx or garbage) may have been applied: saying "did not answer" alone would
 * invite the caller to send it again, so it is told the outcome is unknown and to read the record
 * first. One never sent (an open circuit, a department that could not be reached) was not applied.
 */
export function noAnswer(error: unknown, mutation: boolean, settings?: SubgraphResilience): { why: string; reason: string; outcome?: string } {
  const seconds = (ms: number) => `${Math.ceil(ms / 100) / 10} s`;
  let reason: string;
  let why: string;
  if (isBrokenCircuitError(error)) {
    reason = 'CIRCUIT_OPEN';
    why = settings
      ? `is not being called: its last ${settings.breakerFailures} call${settings.breakerFailures === 1 ? '' : 's'} failed, and it is tried again within ${seconds(settings.halfOpenAfterMs)}`
      : 'is not being called: its last calls failed, and it is tried again shortly';
  } else if (NEVER_CONNECTED.has((error as NodeJS.ErrnoException)?.code ?? '')) {
    reason = 'UNREACHABLE';
    why = 'could not be reached';
  } else if (error instanceof TaskCancelledError) {
    reason = 'TIMEOUT';
    why = settings ? `did not answer within ${seconds(settings.timeoutMs)}` : 'did not answer in time';
  } else {
    reason = 'NO_ANSWER';
    why = 'did not answer';
  }
  if (!mutation) return { why, reason };
  if (reason === 'CIRCUIT_OPEN' || reason === 'UNREACHABLE') return { why: `${why}: the change was not made`, reason, outcome: 'NOT_MADE' };
  return { why: `${why}: ${OUTCOME_UNKNOWN}`, reason, outcome: 'UNKNOWN' };
}

function checkShape(response: GatewayGraphQLResponse, variables: Record<string, unknown> | undefined): void {
  const data = response.data as Record<string, unknown> | null | undefined;
  if (data === undefined && !Array.isArray(response.errors)) throw new GarbageAnswer('neither data nor errors');
  // Null data says the request failed, and an answer must say why: without errors it would read as "nothing there".
  if (data === null && !response.errors?.length) throw new GarbageAnswer('data is null, without errors');
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) throw new GarbageAnswer('data is not an object');
  const representations = variables?.representations;
  if (Array.isArray(representations) && data) {
    const entities = data._entities;
    if (!Array.isArray(entities) || entities.length !== representations.length) throw new GarbageAnswer('_entities does not match the representations');
  }
}
