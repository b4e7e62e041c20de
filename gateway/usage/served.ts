import { GraphQLError, GraphQLFormattedError } from 'graphql';
import type { OperationShape } from '../policy/operation-shape';
import type { FieldOwners } from './owners';
import type { ServedField } from './recorder';

/**
 * What `servedFields` needs of an operation, worked out once per operation shape (and owner map,
 * which follows the supergraph): a batch of 100 verifications would otherwise build the same 100
 * coordinates, paths and owner lookups on every request.
 */
interface ServedPlan {
  owners: FieldOwners;
  /** Each field coordinate of the operation once, in the order it first appears, with its department. */
  coordinates: { coordinate: string; department: string }[];
  /**
   * Each distinct (coordinate, response path) once: two fragments selecting one field at one path read
   * it once. `atOrAbove`: the dotted paths of the read and of each field above it, where an error
   * means nothing below was served.
   */
  reads: { field: number; path: readonly string[]; pathKey: string; atOrAbove: readonly string[] }[];
  /** Dotted response path → the coordinate served there, for errors. */
  atPath: Map<string, number>;
}

const plans = new WeakMap<OperationShape, ServedPlan>();

function servedPlan(shape: OperationShape, owners: FieldOwners): ServedPlan {
  const known = plans.get(shape);
  if (known?.owners === owners) return known;
  const plan: ServedPlan = { owners, coordinates: [], reads: [], atPath: new Map() };
  const index = new Map<string, number>();
  const seen = new Set<string>();
  for (const visit of shape.fields) {
    const coordinate = `${visit.parentType}.${visit.fieldName}`;
    let field = index.get(coordinate);
    if (field === undefined) {
      field = plan.coordinates.push({ coordinate, department: owners.owner(coordinate) ?? 'unknown' }) - 1;
      index.set(coordinate, field);
    }
    const pathKey = visit.path.join('.');
    plan.atPath.set(pathKey, field);
    if (seen.has(`${coordinate}@${pathKey}`)) continue;
    seen.add(`${coordinate}@${pathKey}`);
    plan.reads.push({ field, path: visit.path, pathKey, atOrAbove: visit.path.map((_, end) => visit.path.slice(0, end + 1).join('.')) });
  }
  plans.set(shape, plan);
  return plan;
}

/**
 * What each field of an operation served in one answer: the values found at its response paths
 * (lists counted element by element, nulls not at all) and the errors whose path ends there. A field
 * is marked `notRead` where, at every path it was asked, it was refused by the guard
 * (`refusedPaths`), or served nothing under an error at that path or above it (its department
 * failed or refused the request, a parent came back null with an error): nothing of it left a
 * department. A field asked and answered null without an error was read: its owner said "none".
 */
export function servedFields(
  shape: OperationShape,
  data: Record<string, unknown> | null | undefined,
  errors: readonly GraphQLFormattedError[] | undefined,
  owners: FieldOwners,
  refusedPaths?: ReadonlySet<string>,
): ServedField[] {
  const plan = servedPlan(shape, owners);
  const served: ServedField[] = plan.coordinates.map(({ coordinate, department }) => ({ coordinate, department, items: 0, errorCodes: [] }));
  const itemsAt = plan.reads.map(({ path }) => (data ? countAt(data, path, 0) : 0));
  plan.reads.forEach(({ field }, i) => (served[field].items += itemsAt[i]));
  const failedPaths = new Set<string>();
  for (const error of errors ?? []) {
    if (!error.path) continue;
    const pathKey = error.path.filter((p): p is string => typeof p === 'string').join('.');
    failedPaths.add(pathKey);
    const field = plan.atPath.get(pathKey);
    if (field !== undefined) served[field].errorCodes.push(codeOf(error));
  }
  // No data at all (the answer withheld, a non-null root failed): nothing was served.
  if (!data) {
    for (const s of served) s.notRead = true;
    return served;
  }
  if (!refusedPaths?.size && !failedPaths.size) return served;
  const read = new Set(
    plan.reads
      .filter(({ pathKey, atOrAbove }, i) => !refusedPaths?.has(pathKey) && (itemsAt[i] > 0 || !atOrAbove.some((key) => failedPaths.has(key))))
      .map(({ field }) => field),
  );
  for (const [field, s] of served.entries()) if (!read.has(field)) s.notRead = true;
  return served;
}

export const codeOf = (error: GraphQLFormattedError) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR');

/**
 * The code of an error thrown out of Apollo's request pipeline: one of the gateway's own refusals
 * (a GraphQLError with its code, answered as such), or anything else, which Apollo answers as 500.
 */
export const thrownCode = (error: Error) => (error instanceof GraphQLError ? codeOf(error) : 'INTERNAL_SERVER_ERROR');

/** Non-null values at a response path (from step `at`), following lists at every step. */
function countAt(value: unknown, path: readonly string[], at: number): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countAt(v, path, at), 0);
  if (at === path.length) return 1;
  if (typeof value !== 'object') return 0;
  return countAt((value as Record<string, unknown>)[path[at]], path, at + 1);
}
