import { ArgumentNode, DocumentNode, FieldNode, GraphQLSchema, Kind, OperationDefinitionNode, TypeInfo, visit, visitWithTypeInfo } from 'graphql';

/** The arguments graphql-armor's cost estimate multiplies a list's cost by. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

/** The variables a document passes as page sizes (`first: $n`): their values change what it costs. */
export function pageSizeVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(node) {
      if (PAGE_SIZE_ARGUMENTS.has(node.name.value) && node.value.kind === Kind.VARIABLE) names.add(node.value.name.value);
    },
  });
  return [...names];
}

/**
 * The document as the cost estimate must see it. graphql-armor multiplies a list's cost by `first`
 * only when it is written into the query as a number: passed as a variable (as persisted queries
 * and every well-written client do), or left out, it counted as 1, so a page of 100 projects with
 * their nested lists passed a limit the same query with `first: 100` written out failed. Here each
 * page size becomes the number it will be: the variable's value, else its default, else the
 * field's own default in the schema; and a page size left out is written as the field's default.
 */
export function withPageSizes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): DocumentNode {
  const defaults = new Map((operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d.defaultValue]));
  const typeInfo = new TypeInfo(schema);
  const number = (n: number): ArgumentNode['value'] => ({ kind: Kind.INT, value: String(n) });
  return visit(document, visitWithTypeInfo(typeInfo, {
    Field(node: FieldNode) {
      const field = typeInfo.getFieldDef();
      const missing = field?.args.filter((a) => PAGE_SIZE_ARGUMENTS.has(a.name) && typeof a.defaultValue === 'number' && !node.arguments?.some((n) => n.name.value === a.name));
      if (!missing?.length) return undefined;
      const added = missing.map((a): ArgumentNode => ({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: a.name }, value: number(a.defaultValue as number) }));
      return { ...node, arguments: [...(node.arguments ?? []), ...added] };
    },
    Argument(node: ArgumentNode) {
      if (!PAGE_SIZE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const name = node.value.name.value;
      const given = variables?.[name];
      const fallback = defaults.get(name);
      const schemaDefault = typeInfo.getArgument()?.defaultValue;
      const size = typeof given === 'number' && Number.isFinite(given) ? given
        : fallback?.kind === Kind.INT ? Number(fallback.value)
        : typeof schemaDefault === 'number' ? schemaDefault
        : undefined;
      // No size at all: the argument is left out, and the list counts once, as before.
      return size === undefined ? null : { ...node, value: number(Math.max(0, Math.trunc(size))) };
    },
  }));
}
