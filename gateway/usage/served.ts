import type { GraphQLFormattedError } from 'graphql';
import type { OperationShape } from '../policy/operation-shape';
import type { FieldOwners } from './owners';
import type { ServedField } from './recorder';

/**
 * What each field of an operation served in one answer: the values found at its response paths
 * (lists counted element by element, nulls not at all) and the errors whose path ends there.
 */
export function servedFields(
  shape: OperationShape,
  data: Record<string, unknown> | null | undefined,
  errors: readonly GraphQLFormattedError[] | undefined,
  owners: FieldOwners,
): ServedField[] {
  const byCoordinate = new Map<string, ServedField>();
  const pathsSeen = new Set<string>();
  const coordinateAtPath = new Map<string, string>();
  for (const visit of shape.fields) {
    const coordinate = `${visit.parentType}.${visit.fieldName}`;
    const pathKey = visit.path.join('.');
    coordinateAtPath.set(pathKey, coordinate);
    let field = byCoordinate.get(coordinate);
    if (!field) {
      field = { coordinate, department: owners.owner(coordinate) ?? 'unknown', items: 0, errorCodes: [] };
      byCoordinate.set(coordinate, field);
    }
    // Two fragments selecting the same field at one path read it once.
    if (pathsSeen.has(`${coordinate}@${pathKey}`)) continue;
    pathsSeen.add(`${coordinate}@${pathKey}`);
    field.items += data ? countAt(data, visit.path) : 0;
  }
  for (const error of errors ?? []) {
    const path = error.path?.filter((p): p is string => typeof p === 'string');
    const coordinate = path && coordinateAtPath.get(path.join('.'));
    if (coordinate) byCoordinate.get(coordinate)!.errorCodes.push(codeOf(error));
  }
  return [...byCoordinate.values()];
}

export const codeOf = (error: GraphQLFormattedError) => (typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR');

/** Non-null values at a response path, following lists at every step. */
function countAt(value: unknown, path: string[]): number {
  if (value === null || value === undefined) return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countAt(v, path), 0);
  if (!path.length) return 1;
  if (typeof value !== 'object') return 0;
  return countAt((value as Record<string, unknown>)[path[0]], path.slice(1));
}
