import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

const VALID = /^[\w.-]{1,100}$/;

/**
 * Every request gets an id before anything else sees it: the caller's X-Request-Id when it is a
 * sane token, else a new one. It is echoed in the response, sent to each department called, and
 * written into the audit record, so one id follows a request through every log.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers['x-request-id'];
  const value = Array.isArray(given) ? given[0] : given;
  const id = value && VALID.test(value) ? value : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}
