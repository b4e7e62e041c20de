import type { ApolloServerPlugin } from '@apollo/server';

/**
 * A few of Apollo Server's own refusals of a malformed request carry an HTTP 4xx status but no
 * `extensions.code` (a persisted-query hash that does not match its query, for one), and our
 * formatError would then call them INTERNAL_SERVER_ERROR. They are the caller's mistake: BAD_REQUEST.
 */
export function requestErrorCodesPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors }) {
          for (const error of errors) {
            const extensions = error.extensions as Record<string, unknown> & { http?: { status?: number } };
            const status = extensions.http?.status;
            if (extensions.code === undefined && status !== undefined && status >= 400 && status < 500) extensions.code = 'BAD_REQUEST';
          }
        },
      };
    },
  };
}
