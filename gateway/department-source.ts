import { AsyncLocalStorage } from 'node:async_hooks';
import { isBrokenCircuitError } from 'cockatiel';
import { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Fetcher } from '@apollo/utils.fetcher';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { InternalCaller, InternalSigner } from '../shared/internal-token';
import type { Logger } from '../shared/logger';
import type { GatewayContext, Principal } from './context';
import { unavailableAnswer } from './partial-answers';
import type { SubgraphPolicy } from './resilience';
import { keepAliveFetcher } from './subgraph-http';

export function internalCaller(principal: Principal, purpose: string | undefined): InternalCaller {
  return principal.kind === 'SYSTEM'
    ? { consumer: principal.consumer.id, kind: 'SYSTEM', roles: principal.consumer.roles, department: principal.consumer.department ?? undefined, purpose }
    : { consumer: 'citizen', kind: 'CITIZEN', roles: [], subject: principal.idNumber, purpose };
}

/** The abort signal of the call now running, for the fetcher RemoteGraphQLDataSource calls. */
const callSignal = new AsyncLocalStorage<AbortSignal>();

/** One keep-alive pool for every department this process calls (gateway/subgraph-http.ts says why not fetch). */
const subgraphFetch = keepAliveFetcher();

// RemoteGraphQLDataSource has no per-call signal: it reaches the fetch through the async context.
const abortableFetch: Fetcher = (url, init) => subgraphFetch(url, { ...init, signal: callSignal.getStore() } as never);

/** A 2xx answer that is not a GraphQL response to this fetch (a proxy's page, `{}`, a short list). */
class GarbageAnswer extends Error {}

/**
 * How the gateway calls one subgraph: with an internal token it signs for that subgraph alone
 * (who asks, and why) and the request id, under that subgraph's timeout, retries and circuit
 * breaker. A subgraph that does not answer, or answers garbage, costs only its own fields: they
 * come back null with SUBGRAPH_UNAVAILABLE naming it at their paths, never a socket error with
 * its address, and the rest of the answer is whole.
 */
export class DepartmentDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    private readonly subgraph: string,
    private readonly description: string,
    url: string,
    private readonly sign: InternalSigner,
    private readonly logger: Logger,
    private readonly policy?: SubgraphPolicy,
  ) {
    super({ url, fetcher: abortableFetch });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    const headers = request.http!.headers;
    if (!context?.principal) return; // the gateway's own health checks carry no caller
    headers.set('authorization', `Bearer ${await this.sign(this.subgraph, internalCaller(context.principal, context.purpose))}`);
    headers.set('x-request-id', context.requestId);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    const query = options.request.query ?? '';
    // What the gateway sends a subgraph is a printed operation: a mutation says so first.
    const idempotent = !/^\s*mutation\b/.test(query);
    const attempt = async (signal: AbortSignal) => {
      const response = await callSignal.run(signal, () => super.process(options));
      checkShape(response, options.request.variables);
      return response;
    };
    try {
      return this.policy ? await this.policy.call(idempotent, attempt) : await attempt(new AbortController().signal);
    } catch (error) {
      // Errors inside a GraphQL answer are returned, not thrown: what is thrown is a refused or
      // broken connection, a timeout, an open circuit, a non-2xx status or a body that is not
      // GraphQL. Returned as a GraphQL answer with paths, so the gateway nulls only these fields.
      // An open circuit is logged once when it opens; each refused call is only a debug line.
      const fields = { subgraph: this.subgraph, requestId: options.context?.requestId, breaker: this.policy?.state(), reason: (error as Error)?.message };
      if (isBrokenCircuitError(error)) this.logger.debug(fields, 'subgraph skipped: circuit open');
      else this.logger.warn(fields, 'subgraph did not answer');
      return unavailableAnswer(query, options.request.variables, {
        message: `The ${this.subgraph} subgraph (${this.description}) did not answer`,
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: this.subgraph },
      });
    }
  }
}

function checkShape(response: GatewayGraphQLResponse, variables: Record<string, unknown> | undefined): void {
  const data = response.data as Record<string, unknown> | null | undefined;
  if (data === undefined && !Array.isArray(response.errors)) throw new GarbageAnswer('neither data nor errors');
  if (data !== undefined && data !== null && (typeof data !== 'object' || Array.isArray(data))) throw new GarbageAnswer('data is not an object');
  const representations = variables?.representations;
  if (Array.isArray(representations) && data) {
    const entities = data._entities;
    if (!Array.isArray(entities) || entities.length !== representations.length) throw new GarbageAnswer('_entities does not match the representations');
  }
}
