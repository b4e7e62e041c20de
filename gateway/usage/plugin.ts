import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { GatewayContext, principalId } from '../context';
import { OperationShape, operationShape } from '../policy/operation-shape';
import type { FieldOwners } from './owners';
import { codeOf, servedFields } from './served';
import type { UsageRecorder } from './recorder';

const SHAPES_KEPT = 2000;

/** Citizens are counted together: usage statistics carry no personal identifiers. */
export const usageConsumer = (context: GatewayContext) => (context.principal.kind === 'SYSTEM' ? principalId(context.principal) : 'citizen');

/**
 * Counts every answered request for the usage statistics: who asked, which fields of which
 * department it read, how many values each served, which errors, how long it took.
 */
export function usagePlugin(recorder: UsageRecorder, owners: () => FieldOwners): ApolloServerPlugin<GatewayContext> {
  let shapesOf: GraphQLSchema | undefined;
  const shapes = new Map<string, OperationShape | null>();
  const shapeFor = (schema: GraphQLSchema, key: string, make: () => OperationShape | null) => {
    if (schema !== shapesOf) {
      shapes.clear();
      shapesOf = schema;
    }
    if (!shapes.has(key)) {
      if (shapes.size >= SHAPES_KEPT) shapes.delete(shapes.keys().next().value as string);
      shapes.set(key, make());
    }
    return shapes.get(key) ?? null;
  };

  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(requestContext) {
          const context = requestContext.contextValue;
          if (!context?.principal) return;
          const body = requestContext.response.body;
          const result = body.kind === 'single' ? body.singleResult : undefined;
          const errors = result?.errors ?? [];
          const { document, schema } = requestContext;
          const operationName = requestContext.operationName ?? requestContext.request.operationName ?? null;
          const shape = document && requestContext.queryHash
            ? shapeFor(schema, `${requestContext.queryHash}\u0000${operationName ?? ''}`, () => operationShape(schema, document, operationName))
            : null;
          recorder.recordRequest({
            at: new Date(),
            consumer: usageConsumer(context),
            latencyMs: performance.now() - started,
            errorCodes: errors.map(codeOf),
            fields: shape ? servedFields(shape, result?.data, errors, owners()) : [],
          });
        },
      };
    },
  };
}
