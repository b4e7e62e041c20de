import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { GatewayContext, principalId } from '../context';
import { conditionVariables, OperationShape, operationShape, shapeKey } from '../policy/operation-shape';
import type { FieldOwners } from './owners';
import { codeOf, servedFields, thrownCode } from './served';
import type { UsageRecorder } from './recorder';
import { BoundedMemo } from '../../shared/bounded-memo';

const SHAPES_KEPT = 2000;

/** Citizens are counted together: usage statistics carry no personal identifiers. */
export const usageConsumer = (context: GatewayContext) => (context.principal.kind === 'SYSTEM' ? principalId(context.principal) : 'citizen');

/**
 * Counts every answered request for the usage statistics: who asked, which fields of which
 * department it read, how many values each served, which errors, how long it took.
 */
export function usagePlugin(recorder: UsageRecorder, owners: () => FieldOwners): ApolloServerPlugin<GatewayContext> {
  let shapesOf: GraphQLSchema | undefined;
  const shapes = new BoundedMemo<OperationShape | null>(SHAPES_KEPT);
  const conditionNames = new BoundedMemo<string[]>(SHAPES_KEPT);
  /** `text`: the operation's length (a shape holds its document's nodes, and so its text). */
  const shapeFor = (schema: GraphQLSchema, key: string, make: () => OperationShape | null, text: number) => {
    if (schema !== shapesOf) {
      shapes.clear();
      shapesOf = schema;
    }
    return shapes.get(key, make, text);
  };

  const started = new WeakMap<object, number>();
  const latencyOf = (requestContext: object) => performance.now() - (started.get(requestContext) ?? performance.now());
  return {
    async requestDidStart(requestContext) {
      started.set(requestContext, performance.now());
      return {
        async willSendResponse(requestContext) {
          const context = requestContext.contextValue;
          if (!context?.principal) return;
          const body = requestContext.response.body;
          const result = body.kind === 'single' ? body.singleResult : undefined;
          const errors = result?.errors ?? [];
          const { document, schema } = requestContext;
          const operationName = requestContext.operationName ?? requestContext.request.operationName ?? null;
          // Only an operation that ran read anything: one refused whole (it did not parse or
          // validate, or was over its cost limit) answers no `data` at all, and its fields are not used.
          const ran = result !== undefined && 'data' in result;
          // What ran is the operation as the guard judged it, with this request's variables: a field
          // @include(if: $w) left out was not read, whatever the document's default says. (Worked
          // out the same way here where the guard did not run: the benchmark's trust layer off.)
          const { queryHash } = requestContext;
          const variables = requestContext.request.variables;
          const shape = !ran || !document || !queryHash ? null : context.shape ?? shapeFor(
            schema,
            shapeKey(queryHash, operationName, conditionNames.get(queryHash, () => conditionVariables(document)), variables),
            () => operationShape(schema, document, operationName, variables),
            requestContext.source?.length ?? 0,
          );
          recorder.recordRequest({
            at: new Date(),
            consumer: usageConsumer(context),
            latencyMs: latencyOf(requestContext),
            errorCodes: errors.map(codeOf),
            fields: shape ? servedFields(shape, result?.data, errors, owners(), context.refusedPaths) : [],
          });
        },
      };
    },
    // Refused as its source arrived (operation-limits.ts): never reaches willSendResponse.
    async unexpectedErrorProcessingRequest({ requestContext, error }) {
      const context = requestContext.contextValue;
      if (!context?.principal) return;
      recorder.recordRequest({ at: new Date(), consumer: usageConsumer(context), latencyMs: latencyOf(requestContext), errorCodes: [thrownCode(error)], fields: [] });
    },
  };
}
