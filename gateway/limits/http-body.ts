import express, { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../../shared/logger';

/**
 * The request body of `/graphql`: JSON up to `maxBodyBytes`. Everything that goes wrong before
 * Apollo Server sees the request (a body too large, JSON that does not parse, an unknown charset)
 * is answered here as a GraphQL error in JSON, never express's HTML page with its stack trace.
 */
export function graphqlBody(maxBodyBytes: number): RequestHandler[] {
  return [
    express.json({ limit: maxBodyBytes }),
    // express 5 leaves `req.body` unset for a body it did not parse (no or another content type),
    // and Apollo's express integration then answers 500. Unset is "no body": Apollo refuses it
    // with a 400 (or its CSRF prevention does).
    (req, _res, next) => {
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      next();
    },
  ];
}

interface HttpError {
  status?: number;
  statusCode?: number;
  type?: string;
  limit?: number;
  expose?: boolean;
}

/** What body-parser's errors mean to a caller, in words that name no internals. */
function describe(error: HttpError, maxBodyBytes: number): { status: number; message: string; extensions: Record<string, unknown> } {
  switch (error.type) {
    case 'entity.too.large':
      return { status: 413, message: `The request body is larger than the limit of ${maxBodyBytes} bytes`, extensions: { limit: 'maxBodyBytes', max: maxBodyBytes } };
    case 'entity.parse.failed':
      return { status: 400, message: 'The request body is not valid JSON', extensions: {} };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, message: 'The request body must be UTF-8 JSON', extensions: {} };
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, message: 'The request body was incomplete', extensions: {} };
    default: {
      const status = error.status ?? error.statusCode;
      return status && status >= 400 && status < 500
        ? { status, message: 'The request could not be read', extensions: {} }
        : { status: 500, message: 'Internal server error', extensions: {} };
    }
  }
}

/**
 * The last handler of the app: an error no route answered becomes a JSON GraphQL error
 * (BAD_REQUEST for the caller's mistakes, INTERNAL_SERVER_ERROR, logged, for ours).
 */
export function httpErrorAnswer(maxBodyBytes: number, logger: Logger): ErrorRequestHandler {
  return (error: HttpError, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, message, extensions } = describe(error ?? {}, maxBodyBytes);
    const code = status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    if (status >= 500) logger.error({ err: error, requestId: req.headers['x-request-id'] }, 'request failed before GraphQL');
    res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
  };
}
