import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ApolloServer, BaseContext, HeaderMap, HTTPGraphQLResponse } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { errorAnswer, sendJson } from '../shared/http';
import type { Logger } from '../shared/logger';
import { graphqlRequestBody } from './limits/http-body';
import { RateLimitedError } from './limits/rate-limit';
import { assignRequestId } from './operations/request-id';
import { SCHEMA_IDENTITY_HEADER } from './schema-identity';

/**
 * A request refused before Apollo Server ran it: its body could not be read, or its context could
 * not be made (no valid token, over its rate limit). No plugin sees these, so metrics and the log
 * are told here.
 */
export interface RefusedRequest {
  requestId: string;
  status: number;
  code: string;
  /** Who was refused, where known (a rate-limited consumer). */
  consumer?: string;
}

export interface GraphqlHttpOptions<Context extends BaseContext> {
  apollo: ApolloServer<Context>;
  maxBodyBytes: number;
  logger: Logger;
  /** The request's context; `requestId` is the one echoed to the caller. */
  context(req: IncomingMessage, requestId: string): Promise<Context>;
  onRefused?(refusal: RefusedRequest): void;
  /** The served schema's identity, named on every answer (refusals too); unset, no header. */
  schemaIdentity?(): string;
}

/**
 * `/graphql` on node:http: the request id, the body, then Apollo Server's own HTTP handling
 * (CSRF prevention, GET, persisted queries, status codes), answered straight onto the socket.
 *
 * Why not express, which serves the gateway's other routes: every consumer request comes here,
 * and under person lookups express's router, body parser and response helpers were 13% of the
 * gateway's CPU, and kept about 7 KB per request alive long enough to be promoted to the old
 * generation, about half of what made its major collections (BENCHMARKS.md). What `/graphql`
 * needs of express is what this file does. The departments left express for the same reason.
 */
export function graphqlOverHttp<Context extends BaseContext>(options: GraphqlHttpOptions<Context>): RequestListener {
  const { logger } = options;
  return (req, res) => {
    const requestId = assignRequestId(req, res);
    const schema = options.schemaIdentity?.();
    if (schema) res.setHeader(SCHEMA_IDENTITY_HEADER, schema);
    answer(req, res, requestId, options).catch((e: unknown) => {
      logger.error({ err: e, requestId }, 'request failed');
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, errorAnswer('Internal server error', 'INTERNAL_SERVER_ERROR'));
    });
  };
}

async function answer<Context extends BaseContext>(
  req: IncomingMessage, res: ServerResponse, requestId: string, { apollo, maxBodyBytes, context, onRefused }: GraphqlHttpOptions<Context>,
): Promise<void> {
  const read = await graphqlRequestBody(req, maxBodyBytes);
  if ('refused' in read) {
    const { status, message, extensions } = read.refused;
    onRefused?.({ requestId, status, code: 'BAD_REQUEST' });
    return sendJson(res, status, errorAnswer(message, 'BAD_REQUEST', extensions));
  }

  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: query < 0 ? '' : url.slice(query), body: read.body },
    context: async () => {
      try {
        return await context(req, requestId);
      } catch (e) {
        const { code, http } = ((e as GraphQLError).extensions ?? {}) as { code?: string; http?: { status?: number } };
        const consumer = e instanceof RateLimitedError ? e.consumer : undefined;
        onRefused?.({ requestId, status: http?.status ?? 500, code: code ?? 'INTERNAL_SERVER_ERROR', consumer });
        throw e;
      }
    },
  });
  await send(res, response);
}

async function send(res: ServerResponse, { status, headers, body }: HTTPGraphQLResponse): Promise<void> {
  for (const [key, value] of headers) res.setHeader(key, value);
  res.statusCode = status ?? 200;
  if (body.kind === 'complete') {
    res.setHeader('content-length', Buffer.byteLength(body.string));
    res.end(body.string);
    return;
  }
  for await (const chunk of body.asyncIterator) res.write(chunk);
  res.end();
}
