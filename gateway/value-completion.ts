import { GraphQLError } from 'graphql';
import { subgraphUnavailable } from '../shared/errors';
import { DepartmentName, departmentOwner, isDepartmentName } from '../shared/departments';
import type { FieldOwners } from './usage/owners';

type Path = readonly (string | number)[];
interface Result {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphQLError[];
  extensions?: Record<string, unknown>;
}

/**
 * A department's answer whose values are not of their declared type (an object where a String is
 * due, "yes" for a Boolean) is nulled by Apollo Gateway's result shaping, and said only in
 * `extensions.valueCompletion`: the caller read "no such record", and the audit recorded the
 * fields as delivered. Each such value becomes SUBGRAPH_UNAVAILABLE (reason INVALID_VALUE) naming
 * the department that answered it, at the place that came back null (the value's own, or the
 * nearest nullable field above it), so that the caller, the audit and the usage statistics see a
 * failure there, as for a department that did not answer. Apollo Gateway gave them only when no
 * fetch had failed, and dropped them beside another department's failure; as patched here
 * (patches/@apollo+gateway+2.14.4.patch) it gives them always. A department that fails leaves
 * nulls, not values of the wrong type, so its failure is not told twice.
 */
export function valueErrorsAsFailures<R extends Result>(result: R, owners: FieldOwners | undefined): R {
  const invalid = result.extensions?.valueCompletion;
  if (!Array.isArray(invalid) || !invalid.length) return result;
  const { valueCompletion: _, ...extensions } = result.extensions!;
  const failures = (invalid as GraphQLError[]).map((e) => {
    // "Invalid value found for field NaturalPerson.gender." (the response key: an alias names no field)
    const coordinate = /for field ([_A-Za-z]\w*\.[_A-Za-z]\w*)\.$/.exec(e.message)?.[1];
    const department = coordinate ? owners?.owner(coordinate) : undefined;
    const { message, extensions: said } = unreadable(department && isDepartmentName(department) ? department : undefined);
    return new GraphQLError(message, { path: e.path && whereNulled(result.data, e.path), extensions: said });
  });
  return { ...result, errors: [...(result.errors ?? []), ...failures], extensions: Object.keys(extensions).length ? extensions : undefined };
}

function unreadable(department: DepartmentName | undefined) {
  const why = 'answered a value that is not of its type';
  if (department) return subgraphUnavailable(department, departmentOwner(department), why, { reason: 'INVALID_VALUE' });
  return new GraphQLError(`A department ${why}`, { extensions: { code: 'SUBGRAPH_UNAVAILABLE', reason: 'INVALID_VALUE' } });
}

/** The shortest prefix of `path` that is null in `data`: where the bad value's null stopped. */
function whereNulled(data: Record<string, unknown> | null | undefined, path: Path): Path {
  let at: unknown = data;
  for (let i = 0; i < path.length; i++) {
    if (at == null) return path.slice(0, i);
    at = (at as Record<string | number, unknown>)[path[i]];
    if (at == null) return path.slice(0, i + 1);
  }
  return path;
}
