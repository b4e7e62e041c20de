import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { GatewayContext } from '../context';
import { codeOf, thrownCode } from '../usage/served';
import { usageConsumer } from '../usage/plugin';
import type { ObservedCall } from './subgraph-calls';
import type { WrittenBatch } from '../audit/trail';
import type { RefusedRequest } from '../graphql-http';
import { PERSONAL_DIGITS } from '../../shared/personal-digits';

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Operation names are chosen by callers: a bounded set keeps the label's cardinality bounded. */
const OPERATION_NAMES_KEPT = 200;
const OPERATION_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

/**
 * Prometheus metrics of the gateway, in a registry of its own (not prom-client's global one, so
 * two gateways in one process, as in tests, never mix their counts), with the process's defaults.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'onesource_gateway_requests_total', help: 'GraphQL requests answered, by operation name, consumer and outcome',
    labelNames: ['operation', 'consumer', 'outcome'] as const, registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'onesource_gateway_request_duration_seconds', help: 'Time to answer a GraphQL request, by operation name',
    labelNames: ['operation'] as const, buckets: SECONDS, registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'onesource_gateway_errors_total', help: 'Errors in answers, by extensions.code',
    labelNames: ['code'] as const, registers: [this.registry],
  });
  private readonly calls = new Counter({
    name: 'onesource_subgraph_requests_total', help: 'Calls to department subgraphs, by subgraph and outcome',
    labelNames: ['subgraph', 'outcome'] as const, registers: [this.registry],
  });
  private readonly callDuration = new Histogram({
    name: 'onesource_subgraph_request_duration_seconds', help: 'Time for a department subgraph to answer one call of a query plan',
    labelNames: ['subgraph'] as const, buckets: SECONDS, registers: [this.registry],
  });
  readonly subgraphUp = new Gauge({
    name: 'onesource_subgraph_up', help: '1 when the department answered the last readiness probe, else 0',
    labelNames: ['subgraph'] as const, registers: [this.registry],
  });
  private readonly auditBatches = new Histogram({
    name: 'onesource_audit_batch_duration_seconds', help: 'Time to write and commit one batch of audit records, by outcome',
    labelNames: ['outcome'] as const, buckets: SECONDS, registers: [this.registry],
  });
  private readonly auditRecords = new Counter({
    name: 'onesource_audit_records_total', help: 'Audit records written (each one answer that carried personal data), by outcome',
    labelNames: ['outcome'] as const, registers: [this.registry],
  });
  private readonly auditSubjects = new Counter({
    name: 'onesource_audit_subjects_total', help: 'Persons named by the audit records written', registers: [this.registry],
  });
  private readonly operationNames = new Set<string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'onesource_' });
  }

  plugin(): ApolloServerPlugin<GatewayContext> {
    const started = new WeakMap<object, number>();
    const count = (requestContext: GraphQLRequestContext<GatewayContext>, codes: string[], outcome = codes.length ? 'error' : 'ok') => {
      const name = requestContext.operationName ?? requestContext.request.operationName;
      const operation = outcome === 'refused' && !name ? 'not-run' : this.operationLabel(name);
      const consumer = requestContext.contextValue?.principal ? usageConsumer(requestContext.contextValue) : 'unknown';
      this.requests.inc({ operation, consumer, outcome });
      this.duration.observe({ operation }, (performance.now() - (started.get(requestContext) ?? performance.now())) / 1000);
      for (const code of codes) this.errors.inc({ code });
    };
    return {
      requestDidStart: async (requestContext) => {
        started.set(requestContext, performance.now());
        return {
          willSendResponse: async (requestContext) => {
            const body = requestContext.response.body;
            count(requestContext, (body.kind === 'single' ? (body.singleResult.errors ?? []) : []).map(codeOf));
          },
        };
      },
      // A request refused as its source arrived (tokens, depth, aliases, directives: see
      // operation-limits.ts) never reaches willSendResponse; it is counted here, by its code, as
      // refused before it ran, under the operationName the request gave (its document was not read).
      // Anything else thrown out of Apollo's pipeline is answered as a 500: an error, not a refusal.
      unexpectedErrorProcessingRequest: async ({ requestContext, error }) => {
        const code = thrownCode(error);
        count(requestContext, [code], code === 'INTERNAL_SERVER_ERROR' ? 'error' : 'refused');
      },
    };
  }

  /** A request refused before it was run (unreadable body, no valid token, over its rate limit). */
  observeRefusal = (refusal: RefusedRequest): void => {
    this.requests.inc({ operation: 'not-run', consumer: refusal.consumer ?? 'unknown', outcome: 'refused' });
    this.errors.inc({ code: refusal.code });
  };

  observeCall = (call: ObservedCall): void => {
    this.calls.inc({ subgraph: call.department, outcome: call.ok ? 'ok' : 'failed' });
    this.callDuration.observe({ subgraph: call.department }, call.ms / 1000);
  };

  observeAuditBatch = (batch: WrittenBatch): void => {
    const outcome = batch.ok ? 'written' : 'failed';
    this.auditBatches.observe({ outcome }, batch.ms / 1000);
    this.auditRecords.inc({ outcome }, batch.records);
    if (batch.ok) this.auditSubjects.inc(batch.subjects);
  };

  handler(): RequestHandler {
    return async (_req, res) => {
      res.setHeader('content-type', this.registry.contentType);
      res.end(await this.registry.metrics());
    };
  }

  private operationLabel(name: string | null | undefined): string {
    if (!name) return 'anonymous';
    // A name holding an idNumber's digits (`P35042619590509…`) is personal: never a label.
    if (!OPERATION_NAME.test(name) || PERSONAL_DIGITS.test(name)) return 'other';
    if (this.operationNames.has(name)) return name;
    if (this.operationNames.size >= OPERATION_NAMES_KEPT) return 'other';
    this.operationNames.add(name);
    return name;
  }
}
