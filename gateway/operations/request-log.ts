import type { ApolloServerPlugin } from '@apollo/server';
import { formatPublicError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import type { GatewayContext } from '../context';
import { codeOf } from '../usage/served';
import { usageConsumer } from '../usage/plugin';

/**
 * One JSON log line per answered request, carrying the request id that the response header, the
 * departments' logs and the audit record carry too: at `debug` when all went well, at `warn` when
 * a department did not answer or the gateway failed. An error the caller sees only as
 * INTERNAL_SERVER_ERROR is logged with its cause and the same request id.
 */
export function requestLogPlugin(logger: Logger): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async didEncounterErrors({ contextValue, errors }) {
          for (const error of errors) {
            if (formatPublicError(error.toJSON()).extensions?.code !== 'INTERNAL_SERVER_ERROR') continue;
            logger.error({ err: error.originalError ?? error, path: error.path, requestId: contextValue?.requestId }, 'request failed');
          }
        },
        async willSendResponse({ contextValue, operationName, request, response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = [...new Set(errors.map(codeOf))];
          const serious = codes.some((c) => c === 'SUBGRAPH_UNAVAILABLE' || c === 'INTERNAL_SERVER_ERROR');
          const level = serious ? 'warn' : 'debug';
          if (!logger.isLevelEnabled(level)) return;
          logger[level]({
            requestId: contextValue?.requestId,
            consumer: contextValue?.principal ? usageConsumer(contextValue) : undefined,
            operationName: operationName ?? request.operationName ?? null,
            ms: Math.round(performance.now() - started),
            errors: codes,
          }, 'answered');
        },
      };
    },
  };
}
