import {
  FieldDefinitionNode, FragmentDefinitionNode, GraphQLFormattedError, Kind, ObjectTypeDefinitionNode, OperationDefinitionNode,
  parse, print, SelectionSetNode, visit,
} from 'graphql';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';

/**
 * A department that is down costs only its own fields. Two things make that true in Apollo
 * Gateway: the failed fetch answers as GraphQL errors carrying the paths of the fields it was
 * asked for (the gateway maps `_entities` paths onto the entities' places in the answer), and the
 * fields a department may fail to deliver are nullable in the schema the gateway executes, so a
 * null stops at that field instead of bubbling up and erasing other departments' data.
 */

/**
 * Set on an answer that carries the department's own failure: made in its stead because it did not
 * answer (down, failing, circuit open), or its answer with the fields it failed to deliver turned
 * into SUBGRAPH_UNAVAILABLE. A failed call in the connectivity figures (联通率). Marked where the
 * failure is known rather than read off the errors: a refusal of fields its schema lacks yet looks
 * the same and is an answer, and so is a SUBGRAPH_UNAVAILABLE the gateway's own subgraph means.
 */
const DEPARTMENT_FAILED = Symbol('the department failed');

export function departmentFailed(answer: GatewayGraphQLResponse): GatewayGraphQLResponse {
  return Object.assign(answer, { [DEPARTMENT_FAILED]: true });
}

/** Whether this answer carries the department's own failure (see `departmentFailed`). */
export const isDepartmentFailure = (response: GatewayGraphQLResponse): boolean => DEPARTMENT_FAILED in response;

/**
 * The answer of a fetch that failed: `data: null` and one error per field the fetch was asked
 * for (per entity for an `_entities` fetch). Apollo Gateway prefixes root paths with the fetch's
 * place in the answer and turns `["_entities", i, field]` into the path of the i-th entity.
 */
export function unavailableAnswer(
  query: string,
  variables: Record<string, unknown> | undefined,
  error: Pick<GraphQLFormattedError, 'message' | 'extensions'>,
): GatewayGraphQLResponse {
  const paths = fetchedPaths(query, variables);
  const errors = paths.length ? paths.map((path) => ({ ...error, path })) : [error];
  return { data: null, errors } as GatewayGraphQLResponse;
}

/** The paths, relative to the fetch, of every field a fetch operation selects at its top. */
export function fetchedPaths(query: string, variables: Record<string, unknown> | undefined): (string | number)[][] {
  let operation: OperationDefinitionNode | undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  try {
    for (const def of parse(query, { noLocation: true }).definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION) operation ??= def;
      else if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    }
  } catch {
    return [];
  }
  if (!operation) return [];
  const representations = variables?.representations;
  const entities = topFields(operation.selectionSet, fragments, undefined).length === 1 && Array.isArray(representations)
    ? operation.selectionSet.selections.find((s) => s.kind === Kind.FIELD && s.name.value === '_entities')
    : undefined;
  if (!entities || entities.kind !== Kind.FIELD || !entities.selectionSet) {
    return topFields(operation.selectionSet, fragments, undefined).map((name) => [name]);
  }
  const byType = new Map<string, string[]>();
  const paths: (string | number)[][] = [];
  (representations as { __typename?: unknown }[]).forEach((representation, i) => {
    const type = typeof representation?.__typename === 'string' ? representation.__typename : '';
    if (!byType.has(type)) byType.set(type, topFields(entities.selectionSet!, fragments, type));
    for (const name of byType.get(type)!) paths.push(['_entities', i, name]);
  });
  return paths;
}

/** Response names (aliases) of the fields selected at this level, through fragments for `type`. */
function topFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, type: string | undefined): string[] {
  const names = new Set<string>();
  const walk = (selections: SelectionSetNode, depth: number) => {
    if (depth > 10) return;
    for (const s of selections.selections) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value !== '__typename') names.add(s.alias?.value ?? s.name.value);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (!s.typeCondition || type === undefined || s.typeCondition.name.value === type) walk(s.selectionSet, depth + 1);
      } else {
        const fragment = fragments.get(s.name.value);
        if (fragment && (type === undefined || fragment.typeCondition.name.value === type)) walk(fragment.selectionSet, depth + 1);
      }
    }
  };
  walk(set, 0);
  return [...names];
}

/**
 * The supergraph Apollo Gateway executes, with the fields that one department may fail to
 * deliver made nullable: on a type that several subgraphs share (an entity, or Query), every
 * field that only some of them resolve (`LegalPerson.credit`, `NaturalPerson.name`,
 * `Query.investmentProject`). Keys and single-subgraph types keep their non-null types, and the
 * departments' own schemas are unchanged: each still promises its own fields.
 */
export function partialAnswerSupergraph(supergraphSdl: string): string {
  return print(
    visit(parse(supergraphSdl), {
      ObjectTypeDefinition(node: ObjectTypeDefinitionNode) {
        const graphs = (node.directives ?? []).filter((d) => d.name.value === 'join__type').length;
        if (graphs < 2 || !node.fields) return undefined;
        return { ...node, fields: node.fields.map(relaxIfPartial) };
      },
    }),
  );
}

function relaxIfPartial(field: FieldDefinitionNode): FieldDefinitionNode {
  const joins = (field.directives ?? []).filter((d) => d.name.value === 'join__field');
  // No @join__field: every subgraph that has the type resolves it (a key), so it cannot go missing.
  if (!joins.length || field.type.kind !== Kind.NON_NULL_TYPE) return field;
  return {
    ...field,
    type: field.type.type,
    // A per-subgraph type (`@join__field(type: "X!")`) must agree with the relaxed field.
    directives: field.directives?.map((d) =>
      d.name.value !== 'join__field'
        ? d
        : {
            ...d,
            arguments: d.arguments?.map((a) =>
              a.name.value === 'type' && a.value.kind === Kind.STRING && a.value.value.endsWith('!')
                ? { ...a, value: { ...a.value, value: a.value.value.slice(0, -1) } }
                : a,
            ),
          },
    ),
  };
}
