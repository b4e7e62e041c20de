import type { IncomingMessage } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { nothingAt } from '../../shared/graphql-endpoint';
import { errorAnswer } from '../../shared/http';
import type { Logger } from '../../shared/logger';
import { BodyProblem, readRequestBody } from '../../shared/request-body';

/** Why the gateway refuses a request before Apollo Server sees it, as the caller will read it. */
export interface BodyRefusal {
  status: number;
  message: string;
  extensions?: Record<string, unknown>;
}

/**
 * The body of a GraphQL request: JSON in UTF-8, not compressed, at most `maxBodyBytes`. Only a
 * POST of `application/json` is read. Any other body is left unread (`undefined`) for Apollo
 * Server to refuse in its own words: CSRF prevention for a simple content type, a missing query
 * otherwise, 405 for a method it does not answer. A GET carries its request in the URL.
 */
export async function graphqlRequestBody(req: IncomingMessage, maxBodyBytes: number): Promise<{ body: unknown } | { refused: BodyRefusal }> {
  const media = mediaType(req.headers['content-type']);
  if (req.method !== 'POST' || media.type !== 'application/json') {
    req.resume();
    return { body: undefined };
  }
  if (media.charset && media.charset !== 'utf-8' && media.charset !== 'utf8') return refuse(req, 415, 'The request body must be UTF-8 JSON');
  const encoding = req.headers['content-encoding'];
  if (encoding && encoding.toLowerCase() !== 'identity') return refuse(req, 415, `The request body must not be compressed (Content-Encoding: ${encoding.slice(0, 40)})`);

  let text: string;
  try {
    text = await readRequestBody(req, maxBodyBytes);
  } catch (e) {
    if (!(e instanceof BodyProblem)) throw e;
    if (e.kind === 'too-large') return { refused: { status: 413, message: e.message, extensions: { limit: 'maxBodyBytes', max: maxBodyBytes } } };
    return { refused: { status: 400, message: e.kind === 'not-utf8' ? e.message : 'The request body was incomplete' } };
  }
  if (!text.trim()) return { refused: { status: 400, message: 'The request body is empty: send {"query": "…"} as JSON' } };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    // Where it went wrong, when JSON.parse says; never its quote of the body.
    const position = /at position (\d+)/.exec((e as Error).message)?.[1];
    const where = position ? ` (at character ${position})` : /end of JSON input/.test((e as Error).message) ? ' (it ends early)' : '';
    return { refused: { status: 400, message: `The request body is not valid JSON${where}` } };
  }
  const notARequest = notGraphqlRequest(body);
  return notARequest ? { refused: { status: 400, message: notARequest } } : { body };
}

/**
 * Why JSON that parsed is not a GraphQL request at all, in our words rather than Apollo Server's
 * "POST body missing, invalid Content-Type, or JSON object has no keys": a request is one JSON
 * object. Batching (a JSON array of requests) is not enabled on this gateway.
 */
function notGraphqlRequest(body: unknown): string | undefined {
  const send = 'send {"query": "…"} (or a persisted query\'s {"extensions": {"persistedQuery": …}}) as a JSON object';
  if (Array.isArray(body)) return `The request body is a JSON array, but batched requests are not accepted here: ${send}, one request per POST`;
  if (body === null || typeof body !== 'object') return `The request body is JSON ${body === null ? 'null' : `a ${typeof body}`}, not a GraphQL request: ${send}`;
  if (Object.keys(body).length === 0) return `The request body is an empty JSON object: ${send}`;
  return undefined;
}

function refuse(req: IncomingMessage, status: number, message: string): { refused: BodyRefusal } {
  req.resume();
  return { refused: { status, message } };
}

/** `application/json; charset="UTF-8"` → { type: 'application/json', charset: 'utf-8' }. */
function mediaType(header: string | undefined): { type: string; charset?: string } {
  if (!header) return { type: '' };
  const [type, ...parameters] = header.split(';');
  const charset = parameters.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('charset='));
  return { type: type.trim().toLowerCase(), charset: charset?.slice('charset='.length).replace(/^"|"$/g, '') };
}

/**
 * After the express app's last route: a path nothing answers (`POST /graphql/`, `GET /nope`) is a
 * 404 with a JSON GraphQL error pointing to `graphqlPath`, not express's "Cannot POST /graphql/" page.
 */
export function notFoundAnswer(graphqlPath: string): RequestHandler {
  return (req, res) => {
    req.resume();
    res.status(404).type('application/json').send(JSON.stringify(nothingAt(req, graphqlPath)));
  };
}

interface HttpError {
  status?: number;
  statusCode?: number;
}

/**
 * The last handler of the express app (the portal, the catalogue, the operational routes): an
 * error no route answered becomes a JSON GraphQL error, never express's HTML page with its stack
 * trace (BAD_REQUEST for the caller's mistakes; INTERNAL_SERVER_ERROR, logged, for ours).
 */
export function httpErrorAnswer(logger: Logger): ErrorRequestHandler {
  return (error: HttpError, req, res, next) => {
    if (res.headersSent) return next(error);
    const given = error?.status ?? error?.statusCode;
    const status = given && given >= 400 && given < 500 ? given : 500;
    const [message, code] = status < 500 ? ['The request could not be read', 'BAD_REQUEST'] : ['Internal server error', 'INTERNAL_SERVER_ERROR'];
    if (status >= 500) logger.error({ err: error, url: req.originalUrl }, 'request failed');
    res.status(status).type('application/json').send(JSON.stringify(errorAnswer(message, code)));
  };
}
