import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/**
 * Entity fetch merging: `_entities` fetches to one department that are sent in the same turn of
 * the event loop, with the same query text, the same other variables and the same internal token
 * (so the same consumer, kind, roles and purpose), go to the department as one call whose
 * representations are theirs end to end; its answer is cut back into one answer per fetch.
 *
 * Why: under load an approval hall sends the same review query many times at once, and each
 * query-plan step of each review is a call to a department. Profiling the five-department review
 * showed the departments spending most of their time per call around the data (HTTP, parsing the
 * body, building the GraphQL execution, writing the answer), not on it. Merged, the fixed part is
 * paid once per batch and the department reads all the batch's keys in one SQL statement.
 *
 * What it does not change: who is asked and what for (only calls with the same token are merged,
 * so the department sees the very caller and purpose it would have seen for each), which
 * entities each request gets (each gets exactly its slice, and the errors at its paths), the
 * gateway's usage counts and timings (they observe each request's call, above this), and the
 * audit trail (written per request by the guard). A department that fails fails every fetch of
 * the batch, as it would have failed each of them.
 *
 * Nothing waits for company: a batch is sent after the current turn of the event loop, with
 * whatever fetches that turn produced (one, when the gateway is not busy).
 */

export interface DepartmentFetch {
  query: string;
  operationName?: string;
  variables: Record<string, unknown> | undefined;
  headers: Record<string, string>;
}

/** Sends one fetch to the department; throws when there is no GraphQL answer to it. */
export type SendFetch = (fetch: DepartmentFetch) => Promise<GatewayGraphQLResponse>;

/** At most per merged call: its body stays well under a department's 2 MB limit, and the list of
 * request ids in its X-Request-Id header (up to 100 characters each) under Node's 16 KB of headers. */
export const MERGE_LIMITS = { representations: 2_000, fetches: 64 };

interface Waiting {
  representations: unknown[];
  requestId: string | undefined;
  resolve(response: GatewayGraphQLResponse): void;
  reject(error: unknown): void;
}

interface Batch {
  query: string;
  operationName?: string;
  /** The variables other than `representations`, the same for every fetch of the batch. */
  shared: Record<string, unknown>;
  headers: Record<string, string>;
  waiting: Waiting[];
  representations: number;
}

/** Wraps `send` so that mergeable fetches sent in the same turn go out as one. */
export function mergingEntityFetches(send: SendFetch, limits = MERGE_LIMITS): SendFetch {
  let open = new Map<string, Batch>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batches = open;
    open = new Map();
    for (const batch of batches.values()) sendBatch(send, batch);
  };

  return (fetch) => {
    const representations = fetch.variables?.representations;
    if (!Array.isArray(representations) || representations.length === 0 || /^\s*mutation\b/.test(fetch.query)) return send(fetch);
    const { representations: _, ...shared } = fetch.variables!;
    const { 'x-request-id': requestId, ...headers } = fetch.headers;
    const key = `${headers.authorization ?? ''}\u0000${fetch.operationName ?? ''}\u0000${fetch.query}\u0000${JSON.stringify(shared)}`;
    return new Promise<GatewayGraphQLResponse>((resolve, reject) => {
      let batch = open.get(key);
      if (batch && (batch.representations + representations.length > limits.representations || batch.waiting.length >= limits.fetches)) {
        open.delete(key);
        sendBatch(send, batch);
        batch = undefined;
      }
      if (!batch) {
        batch = { query: fetch.query, operationName: fetch.operationName, shared, headers, waiting: [], representations: 0 };
        open.set(key, batch);
      }
      batch.waiting.push({ representations, requestId, resolve, reject });
      batch.representations += representations.length;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}

function sendBatch(send: SendFetch, { query, operationName, shared, headers, waiting }: Batch): void {
  const requestIds = waiting.map((w) => w.requestId).filter((id): id is string => !!id);
  const fetch: DepartmentFetch = {
    query,
    operationName,
    variables: { ...shared, representations: waiting.length === 1 ? waiting[0].representations : waiting.flatMap((w) => w.representations) },
    // The department logs every request id the call answers (a list, as HTTP joins repeated headers).
    headers: requestIds.length ? { ...headers, 'x-request-id': requestIds.join(',') } : headers,
  };
  send(fetch).then(
    (response) => {
      if (waiting.length === 1) return waiting[0].resolve(response);
      let offset = 0;
      for (const w of waiting) {
        w.resolve(sliceOf(response, offset, w.representations.length));
        offset += w.representations.length;
      }
    },
    (error: unknown) => waiting.forEach((w) => w.reject(error)),
  );
}

/**
 * One fetch's part of a merged answer: its entities, the errors at their paths (renumbered from
 * 0), and the errors that name no entity (they concern the whole call, so every fetch gets them).
 */
export function sliceOf(response: GatewayGraphQLResponse, offset: number, length: number): GatewayGraphQLResponse {
  const data = response.data as { _entities?: unknown[] } | null | undefined;
  const sliced: GatewayGraphQLResponse = { ...response };
  if (data && Array.isArray(data._entities)) sliced.data = { ...data, _entities: data._entities.slice(offset, offset + length) };
  if (response.errors) {
    const errors = [];
    for (const error of response.errors) {
      const index = error.path?.[0] === '_entities' && typeof error.path[1] === 'number' ? error.path[1] : undefined;
      if (index === undefined) errors.push(error);
      else if (index >= offset && index < offset + length) errors.push({ ...error, path: ['_entities', index - offset, ...error.path!.slice(2)] });
    }
    if (errors.length) sliced.errors = errors;
    else delete sliced.errors;
  }
  return sliced;
}
