import { DocumentNode, FieldNode, GraphQLFormattedError, Kind, OperationDefinitionNode, parse, print, visit } from 'graphql';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { BoundedMemo } from '../shared/bounded-memo';

/**
 * Fetch merging: the fetches to one department that arise in the same turn of the gateway's event
 * loop, with the same internal token (so the same consumer, kind, roles and purpose) and the same
 * query text, go to the department as one call; its answer is cut back into one answer per fetch.
 *
 * Why: under load an approval hall sends the same review query many times at once, and each
 * query-plan step of each review is a call to a department. Profiling the five-department review
 * showed the departments spending most of their time per call around the data (HTTP, parsing the
 * body, building the GraphQL execution, writing the answer), not on it. Merged, the fixed part is
 * paid once per call, and the department's DataLoaders read all the call's keys in one statement.
 *
 * Two kinds of fetch merge:
 * - entity fetches (`_entities`, the later steps of a plan): their representations go end to end
 *   (the other variables must be the same), and each fetch gets its slice of `_entities`;
 * - root fetches (a plan's first step, e.g. `investmentProject(projectCode: $projectCode)`): each
 *   fetch's root fields are copied under aliases `_<n>_<field>` with its variables renamed
 *   `$_<n>_<name>`, and each fetch gets its own fields back under their names. A call whose
 *   answer has no data at all (a non-null root field failed for one fetch and nulled the rest)
 *   is sent again fetch by fetch, so one fetch's bad input never costs another its answer.
 *
 * What it does not change: who is asked and what for (only calls with the same token merge, so the
 * department sees the very caller and purpose it would have seen for each), what each request gets
 * (its own data, and the errors at its own paths renumbered to it; an error that names no path
 * goes to every fetch of the call), the gateway's usage counts and timings (they observe each
 * request's fetch, above this), and the audit trail (written per request by the guard). A
 * department that fails fails every fetch of the call, as it would have failed each of them.
 * Mutations are never merged.
 *
 * Nothing waits for company: a call leaves after the turn its fetches arose in, with whatever
 * that turn produced (one fetch, when the gateway is not busy).
 */

export interface DepartmentFetch {
  query: string;
  operationName?: string;
  variables: Record<string, unknown> | undefined;
  headers: Record<string, string>;
}

/** Sends one fetch to the department; throws when there is no GraphQL answer to it. */
export type SendFetch = (fetch: DepartmentFetch) => Promise<GatewayGraphQLResponse>;

/** What the gateway sends a department is a printed operation: a mutation says so first. */
export const isMutation = (query: string) => /^\s*mutation\b/.test(query);

/**
 * Thrown by a `SendFetch` when the department refused the request itself (HTTP 4xx) rather than
 * failed: a merged call so refused is sent again fetch by fetch, since each may fare differently.
 */
export class RefusedFetch extends Error {}

/**
 * At most per merged call: its body stays well under a department's 2 MB limit, and the list of
 * request ids in its X-Request-Id header (up to 100 characters each) under Node's 16 KB of headers.
 * A root fetch's query text is copied once per fetch: `queryBytes` caps the merged text. A root
 * fetch with more than `rootFields` fields (a batch of 100 verifications) goes alone: it carries
 * enough work per call already, and measured, merging such fetches made them slower (the department
 * and the gateway then take turns on a big call instead of working side by side on small ones).
 */
export const MERGE_LIMITS = { fetches: 64, representations: 2_000, queryBytes: 32 * 1024, rootFields: 10 };
export type MergeLimits = typeof MERGE_LIMITS;

/** How one kind of fetch is merged into one call, and the call's answer cut back. */
interface Merging {
  /** Whether one more fetch fits a call that already has these. */
  fits(fetches: readonly DepartmentFetch[], next: DepartmentFetch): boolean;
  merge(fetches: readonly DepartmentFetch[]): DepartmentFetch;
  /** Each fetch's answer, in order; null when the answer cannot be cut (send each alone). */
  split(response: GatewayGraphQLResponse, fetches: readonly DepartmentFetch[]): GatewayGraphQLResponse[] | null;
}

interface Batch {
  merging: Merging;
  fetches: DepartmentFetch[];
  waiting: { resolve(response: GatewayGraphQLResponse): void; reject(error: unknown): void }[];
}

/**
 * Wraps `send` so that mergeable fetches of the same turn go out as one call. `alone`: fetches that
 * go out each on its own (asking for a field its department serves per request, `perRequestFields`).
 */
export function mergingFetches(send: SendFetch, limits: MergeLimits = MERGE_LIMITS, alone: (query: string) => boolean = () => false): SendFetch {
  const entities = entityMerging(limits);
  const roots = rootMerging(limits);
  let open = new Map<string, Batch>();
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batches = open;
    open = new Map();
    for (const batch of batches.values()) sendBatch(send, batch);
  };

  return (fetch) => {
    if (isMutation(fetch.query) || alone(fetch.query)) return send(fetch);
    const representations = fetch.variables?.representations;
    const isEntityFetch = Array.isArray(representations);
    if (isEntityFetch ? representations.length === 0 : !roots.mergeable(fetch.query)) return send(fetch);
    const merging = isEntityFetch ? entities : roots;
    const { representations: _, ...shared } = fetch.variables ?? {};
    const key = [isEntityFetch ? 'entities' : 'root', fetch.headers.authorization ?? '', fetch.operationName ?? '', fetch.query, isEntityFetch ? JSON.stringify(shared) : ''].join('\u0000');
    return new Promise<GatewayGraphQLResponse>((resolve, reject) => {
      let batch = open.get(key);
      if (batch && !batch.merging.fits(batch.fetches, fetch)) {
        open.delete(key);
        sendBatch(send, batch);
        batch = undefined;
      }
      if (!batch) open.set(key, (batch = { merging, fetches: [], waiting: [] }));
      batch.fetches.push(fetch);
      batch.waiting.push({ resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
  };
}

function sendBatch(send: SendFetch, { merging, fetches, waiting }: Batch): void {
  const eachAlone = () => fetches.forEach((fetch, i) => send(fetch).then(waiting[i].resolve, waiting[i].reject));
  if (fetches.length === 1) return eachAlone();
  send(merging.merge(fetches)).then(
    (response) => {
      const answers = merging.split(response, fetches);
      if (answers) answers.forEach((answer, i) => waiting[i].resolve(answer));
      else eachAlone();
    },
    (error: unknown) => (error instanceof RefusedFetch ? eachAlone() : waiting.forEach((w) => w.reject(error))),
  );
}

/** The merged call's headers: the token they share, and every request id the call answers. */
function mergedHeaders(fetches: readonly DepartmentFetch[]): Record<string, string> {
  const { 'x-request-id': _, ...headers } = fetches[0].headers;
  const requestIds = fetches.map((f) => f.headers['x-request-id']).filter(Boolean);
  return requestIds.length ? { ...headers, 'x-request-id': requestIds.join(',') } : headers;
}

// ---------------------------------------------------------------------------------------------
// Entity fetches: representations end to end

const representationsOf = (fetch: DepartmentFetch) => fetch.variables!.representations as unknown[];

function entityMerging(limits: MergeLimits): Merging {
  return {
    fits: (fetches, next) =>
      fetches.length < limits.fetches &&
      fetches.reduce((n, f) => n + representationsOf(f).length, representationsOf(next).length) <= limits.representations,
    merge: (fetches) => ({
      query: fetches[0].query,
      operationName: fetches[0].operationName,
      variables: { ...fetches[0].variables, representations: fetches.flatMap(representationsOf) },
      headers: mergedHeaders(fetches),
    }),
    split: (response, fetches) => {
      let offset = 0;
      return fetches.map((fetch) => {
        const length = representationsOf(fetch).length;
        const answer = entitySlice(response, offset, length);
        offset += length;
        return answer;
      });
    },
  };
}

/** One fetch's part of a merged entity answer: its entities and the errors at them, renumbered from 0. */
export function entitySlice(response: GatewayGraphQLResponse, offset: number, length: number): GatewayGraphQLResponse {
  const data = response.data as { _entities?: unknown[] } | null | undefined;
  const sliced: GatewayGraphQLResponse = { ...response };
  if (data && Array.isArray(data._entities)) sliced.data = { ...data, _entities: data._entities.slice(offset, offset + length) };
  return withErrors(sliced, response.errors, (path) => {
    if (path[0] !== '_entities' || typeof path[1] !== 'number') return path;
    return path[1] >= offset && path[1] < offset + length ? ['_entities', path[1] - offset, ...path.slice(2)] : null;
  });
}

// ---------------------------------------------------------------------------------------------
// Root fetches: each fetch's root fields under aliases of its own

/** A root fetch that can be copied under aliases: one query, fields at its root, no variables in fragments. */
interface RootShape {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fields: readonly FieldNode[];
  /** The fields' response keys, as the fetch's answer names them. */
  keys: readonly string[];
  bytes: number;
}

const prefix = (n: number) => `_${n}_`;

function rootMerging(limits: MergeLimits) {
  // Both bounded: a gateway sends a few dozen distinct fetch texts.
  const shapes = new BoundedMemo<RootShape | null>(1_000);
  const merged = new BoundedMemo<string>(256); // at most queryBytes each

  const shapeOf = (query: string) => {
    return shapes.get(query, () => rootShape(query, limits.rootFields));
  };

  const merging: Merging & { mergeable(query: string): boolean } = {
    mergeable: (query) => shapeOf(query) !== null,
    fits: (fetches, next) => fetches.length < limits.fetches && (fetches.length + 1) * shapeOf(next.query)!.bytes <= limits.queryBytes,
    merge: (fetches) => {
      const { query } = fetches[0];
      const key = `${fetches.length}\u0000${query}`;
      const text = merged.get(key, () => aliasedCopies(shapeOf(query)!, fetches.length));
      const variables: Record<string, unknown> = {};
      fetches.forEach((fetch, n) => {
        for (const [name, value] of Object.entries(fetch.variables ?? {})) variables[`${prefix(n)}${name}`] = value;
      });
      return { query: text, operationName: fetches[0].operationName, variables, headers: mergedHeaders(fetches) };
    },
    split: (response, fetches) => {
      const data = response.data as Record<string, unknown> | null | undefined;
      if (data == null) return null;
      const { keys } = shapeOf(fetches[0].query)!;
      // Locations point into the merged text, which no fetch sent: left out.
      const errors = response.errors?.map(({ locations: _, ...error }) => error);
      return fetches.map((_, n) => {
        const own: Record<string, unknown> = {};
        for (const key of keys) own[key] = data[`${prefix(n)}${key}`];
        return withErrors({ ...response, data: own }, errors, (path) => {
          if (typeof path[0] !== 'string' || !/^_\d+_/.test(path[0])) return path;
          return path[0].startsWith(prefix(n)) ? [path[0].slice(prefix(n).length), ...path.slice(1)] : null;
        });
      });
    },
  };
  return merging;
}

function rootShape(query: string, maxFields: number): RootShape | null {
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch {
    return null;
  }
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  if (operations.length !== 1 || operations[0].operation !== 'query' || operations[0].directives?.length) return null;
  const fields = operations[0].selectionSet.selections;
  if (fields.length > maxFields || !fields.every((s): s is FieldNode => s.kind === Kind.FIELD)) return null;
  // A variable inside a fragment would have to be renamed per copy: such fetches go alone.
  let variableInFragment = false;
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) visit(d, { Variable: () => void (variableInFragment = true) });
  }
  if (variableInFragment) return null;
  return { document, operation: operations[0], fields, keys: fields.map((f) => f.alias?.value ?? f.name.value), bytes: Buffer.byteLength(query) };
}

/** The operation with its root fields copied `count` times, copy n under `_<n>_` aliases and variables. */
function aliasedCopies({ document, operation, fields }: RootShape, count: number): string {
  const copies = Array.from({ length: count }, (_, n) => {
    const rename = (node: FieldNode) =>
      visit(node, { Variable: (v) => ({ ...v, name: { ...v.name, value: `${prefix(n)}${v.name.value}` } }) });
    return {
      variables: (operation.variableDefinitions ?? []).map((d) => ({ ...d, variable: { ...d.variable, name: { ...d.variable.name, value: `${prefix(n)}${d.variable.name.value}` } } })),
      fields: fields.map((f) => ({ ...rename(f), alias: { kind: Kind.NAME, value: `${prefix(n)}${f.alias?.value ?? f.name.value}` } }) as FieldNode),
    };
  });
  const copied: OperationDefinitionNode = {
    ...operation,
    variableDefinitions: copies.flatMap((c) => c.variables),
    selectionSet: { ...operation.selectionSet, selections: copies.flatMap((c) => c.fields) },
  };
  return print({ ...document, definitions: document.definitions.map((d) => (d === operation ? copied : d)) });
}

// ---------------------------------------------------------------------------------------------

/**
 * `answer` with those of `errors` that concern it: `own` maps an error's path to the path in this
 * answer, or null for another fetch's error. An error without a path concerns the whole call.
 */
function withErrors(
  answer: GatewayGraphQLResponse,
  errors: readonly GraphQLFormattedError[] | undefined,
  own: (path: readonly (string | number)[]) => readonly (string | number)[] | null,
): GatewayGraphQLResponse {
  const kept: GraphQLFormattedError[] = [];
  for (const error of errors ?? []) {
    if (!error.path) {
      kept.push(error);
      continue;
    }
    const path = own(error.path);
    if (path) kept.push(path === error.path ? error : { ...error, path });
  }
  const { errors: _, ...rest } = answer;
  return kept.length ? { ...rest, errors: kept } : rest;
}
