import {
  ArgumentNode, DocumentNode, FieldNode, GraphQLArgument, GraphQLField, GraphQLSchema, Kind, OperationDefinitionNode, TypeInfo, ValueNode, visit, visitWithTypeInfo,
} from 'graphql';

/** The arguments graphql-armor's cost estimate multiplies a list's cost by. */
const PAGE_SIZE_ARGUMENTS = new Set(['first', 'last']);

/**
 * The lookups by a list of keys, which answer one item for each key asked, "in the order asked"
 * (CONTRACT.md). Named, not inferred from the types: a list argument that filters (`statuses:`)
 * says nothing about how many items come back.
 */
const KEY_LIST_ARGUMENTS: Readonly<Record<string, string>> = { naturalPersons: 'idNumbers', legalPersons: 'usccs' };

/** The key-list argument of a root lookup, if the field is one. */
function keyListArgument(field: GraphQLField<unknown, unknown> | null | undefined): GraphQLArgument | undefined {
  const name = field && KEY_LIST_ARGUMENTS[field.name];
  return name ? field.args.find((a) => a.name === name) : undefined;
}

/**
 * The variables a document passes as page sizes (`first: $n`) or as key lists
 * (`idNumbers: $ids`): their values change what it costs.
 */
export function pageSizeVariables(schema: GraphQLSchema, document: DocumentNode): string[] {
  const names = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    Argument(node) {
      if (node.value.kind !== Kind.VARIABLE) return;
      if (PAGE_SIZE_ARGUMENTS.has(node.name.value) || keyListArgument(typeInfo.getFieldDef())?.name === node.name.value) {
        names.add(node.value.name.value);
      }
    },
  }));
  return [...names];
}

/** What of a size variable's value the estimate depends on: a list's length, or the number itself. */
export function sizeOf(value: unknown): string {
  return Array.isArray(value) ? `[${value.length}]` : JSON.stringify(value ?? null);
}

/**
 * The document as the cost estimate must see it. graphql-armor multiplies a list's cost by `first`
 * only when it is written into the query as a number: passed as a variable (as persisted queries
 * and every well-written client do), or left out, it counted as 1, so a page of 100 projects with
 * their nested lists passed a limit the same query with `first: 100` written out failed. Here each
 * page size becomes the number it will be: the variable's value, else its default, else the
 * field's own default in the schema; and a page size left out is written as the field's default.
 *
 * A key list counts the same way: `naturalPersons(idNumbers:)` with 100 numbers answers 100
 * persons, so it is estimated as a page of 100 (written as `first`, which graphql-armor reads;
 * this document is only measured, never run). Otherwise 100 aliases of it cost what 100 single
 * lookups cost, and read 10,000 persons in one request.
 */
export function withPageSizes(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> | undefined,
): DocumentNode {
  const defaults = new Map((operation.variableDefinitions ?? []).map((d) => [d.variable.name.value, d.defaultValue]));
  const typeInfo = new TypeInfo(schema);
  const number = (n: number): ArgumentNode['value'] => ({ kind: Kind.INT, value: String(Math.max(0, Math.trunc(n))) });
  const argument = (name: string, n: number): ArgumentNode => ({ kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: name }, value: number(n) });
  /** A variable's value, else its default in the operation. */
  const valueOf = (node: ValueNode): { value?: unknown; literal?: ValueNode } => {
    if (node.kind !== Kind.VARIABLE) return { literal: node };
    const name = node.name.value;
    return name in (variables ?? {}) ? { value: variables![name] } : { literal: defaults.get(name) ?? undefined };
  };
  /** How many keys a key-list argument holds, or undefined when that is not known. */
  const keyCount = (node: ValueNode): number | undefined => {
    const { value, literal } = valueOf(node);
    if (Array.isArray(value)) return value.length;
    if (literal?.kind === Kind.LIST) return literal.values.length;
    if (value !== undefined && value !== null) return 1; // a single value is coerced to a list of one
    if (literal && literal.kind !== Kind.NULL) return 1;
    return undefined;
  };

  return visit(document, visitWithTypeInfo(typeInfo, {
    Field(node: FieldNode) {
      const field = typeInfo.getFieldDef();
      const keyList = keyListArgument(field);
      const keys = keyList && node.arguments?.find((a) => a.name.value === keyList.name);
      if (keys) {
        const count = keyCount(keys.value);
        return count === undefined ? undefined : { ...node, arguments: [...(node.arguments ?? []), argument('first', count)] };
      }
      const missing = field?.args.filter((a) => PAGE_SIZE_ARGUMENTS.has(a.name) && typeof a.defaultValue === 'number' && !node.arguments?.some((n) => n.name.value === a.name));
      if (!missing?.length) return undefined;
      return { ...node, arguments: [...(node.arguments ?? []), ...missing.map((a) => argument(a.name, a.defaultValue as number))] };
    },
    Argument(node: ArgumentNode) {
      if (!PAGE_SIZE_ARGUMENTS.has(node.name.value) || node.value.kind !== Kind.VARIABLE) return undefined;
      const { value: given, literal: fallback } = valueOf(node.value);
      const schemaDefault = typeInfo.getArgument()?.defaultValue;
      const size = typeof given === 'number' && Number.isFinite(given) ? given
        : fallback?.kind === Kind.INT ? Number(fallback.value)
        : typeof schemaDefault === 'number' ? schemaDefault
        : undefined;
      // No size at all: the argument is left out, and the list counts once, as before.
      return size === undefined ? null : { ...node, value: number(size) };
    },
  }));
}
