import { ConstDirectiveNode, ConstValueNode, FieldDefinitionNode, Kind, ObjectTypeDefinitionNode, parse, print } from 'graphql';

/**
 * The one reader of what departments declared in their SDL, as it arrives in the composed (full)
 * supergraph: who resolves each type and field (@join__type / @join__field), its share type
 * (@policy = conditional, @inaccessible = not shared, neither = unconditional), and the catalogue
 * metadata (@catalog(updateCycle, mask)), with descriptions and GraphQL types. Enforcement
 * (policy/share-rules.ts) and the published catalogue (catalog/build.ts) are both derived from
 * this, so the two cannot disagree.
 *
 * It must be given the FULL supergraph: the executable copy handed to Apollo Gateway has no @policy.
 */
export type ShareType = 'UNCONDITIONAL' | 'CONDITIONAL' | 'NOT_SHARED';

export interface FieldDeclaration {
  typeName: string;
  name: string;
  /** `Type.field`. */
  coordinate: string;
  description: string | null;
  /** The subgraph that resolves the field. */
  owner: string;
  shareType: ShareType;
  /** Conditional: alternatives of resources that must all be granted ((a AND b) OR c). */
  policies: string[][];
  /** The field's own @catalog(updateCycle), else null (the type's applies). */
  updateCycle: string | null;
  mask: string | null;
  /** The GraphQL type as written: `String`, `Date!`, `[CreditEntry!]`. */
  format: string;
  /** Part of the type's @key in some subgraph. */
  key: boolean;
}

export interface TypeDeclaration {
  name: string;
  description: string | null;
  /** ENTITY: has a @key; VALUE: a value type (e.g. CreditProfile). */
  kind: 'ENTITY' | 'VALUE';
  /** The subgraph that resolves most of its fields (the entity's owner, 一数一源). */
  owner: string;
  /** Every subgraph that defines it. */
  subgraphs: string[];
  keys: string[];
  updateCycle: string | null;
  /** @inaccessible on the type: not shared at all. */
  inaccessible: boolean;
  fields: FieldDeclaration[];
}

export interface SupergraphDeclarations {
  /** Subgraph names, as the supergraph's join__Graph names them, with their URLs. */
  subgraphs: { name: string; url: string }[];
  /** Object types, root operation types excluded, in the supergraph's order. */
  types: TypeDeclaration[];
  /** The root operation types: not catalogue resources, but their fields may be conditional too. */
  roots: TypeDeclaration[];
}

const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

export function readDeclarations(supergraphSdl: string): SupergraphDeclarations {
  const document = parse(supergraphSdl);
  const graphNames = new Map<string, string>();
  const subgraphs: SupergraphDeclarations['subgraphs'] = [];
  for (const def of document.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'join__Graph') {
      for (const value of def.values ?? []) {
        const graph = directive(value.directives, 'join__graph');
        const name = stringArg(graph, 'name');
        if (name) {
          graphNames.set(value.name.value, name);
          subgraphs.push({ name, url: stringArg(graph, 'url') ?? '' });
        }
      }
    }
  }
  const types: TypeDeclaration[] = [];
  const roots: TypeDeclaration[] = [];
  for (const def of document.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION) continue;
    (ROOT_TYPES.has(def.name.value) ? roots : types).push(readType(def, graphNames));
  }
  return { subgraphs, types, roots };
}

function readType(def: ObjectTypeDefinitionNode, graphNames: Map<string, string>): TypeDeclaration {
  const joins = (def.directives ?? []).filter((d) => d.name.value === 'join__type');
  const graphOf = (enumValue: string | undefined) => graphNames.get(enumValue ?? '') ?? 'unknown';
  const subgraphs = joins.map((d) => graphOf(enumArg(d, 'graph')));
  const keys = [...new Set(joins.map((d) => stringArg(d, 'key')).filter((k): k is string => Boolean(k)))];
  const keyFields = new Set(keys.flatMap((k) => k.split(/\s+/).filter(Boolean)));
  const resolvable = joins.filter((d) => booleanArg(d, 'resolvable') !== false).map((d) => graphOf(enumArg(d, 'graph')));

  // Fields without @join__field live in every subgraph that defines the type (keys, value types):
  // they belong to the type's owner, the subgraph that resolves most of its own fields.
  const counts = new Map<string, number>();
  for (const field of def.fields ?? []) {
    const graph = enumArg(directive(field.directives, 'join__field'), 'graph');
    if (graph) counts.set(graphOf(graph), (counts.get(graphOf(graph)) ?? 0) + 1);
  }
  const candidates = resolvable.length ? resolvable : subgraphs;
  const owner = [...candidates].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0] ?? 'unknown';
  const catalog = directive(def.directives, 'catalog');
  return {
    name: def.name.value,
    description: def.description?.value ?? null,
    kind: keys.length ? 'ENTITY' : 'VALUE',
    owner,
    subgraphs,
    keys,
    updateCycle: stringArg(catalog, 'updateCycle') ?? null,
    inaccessible: Boolean(directive(def.directives, 'inaccessible')),
    fields: (def.fields ?? []).map((field) => readField(def.name.value, field, owner, keyFields, graphOf)),
  };
}

function readField(
  typeName: string,
  field: FieldDefinitionNode,
  typeOwner: string,
  keyFields: Set<string>,
  graphOf: (enumValue: string | undefined) => string,
): FieldDeclaration {
  const policy = directive(field.directives, 'policy');
  const catalog = directive(field.directives, 'catalog');
  const graph = enumArg(directive(field.directives, 'join__field'), 'graph');
  const policies = policy ? policiesArg(policy) : [];
  return {
    typeName,
    name: field.name.value,
    coordinate: `${typeName}.${field.name.value}`,
    description: field.description?.value ?? null,
    owner: graph ? graphOf(graph) : typeOwner,
    shareType: directive(field.directives, 'inaccessible') ? 'NOT_SHARED' : policy ? 'CONDITIONAL' : 'UNCONDITIONAL',
    policies,
    updateCycle: stringArg(catalog, 'updateCycle') ?? null,
    mask: stringArg(catalog, 'mask') ?? null,
    format: print(field.type),
    key: keyFields.has(field.name.value),
  };
}

function directive(directives: readonly ConstDirectiveNode[] | undefined, name: string): ConstDirectiveNode | undefined {
  return directives?.find((d) => d.name.value === name);
}

function argValue(d: ConstDirectiveNode | undefined, name: string): ConstValueNode | undefined {
  return d?.arguments?.find((a) => a.name.value === name)?.value;
}

function stringArg(d: ConstDirectiveNode | undefined, name: string): string | undefined {
  const v = argValue(d, name);
  return v?.kind === Kind.STRING ? v.value : undefined;
}

function enumArg(d: ConstDirectiveNode | undefined, name: string): string | undefined {
  const v = argValue(d, name);
  return v?.kind === Kind.ENUM ? v.value : undefined;
}

function booleanArg(d: ConstDirectiveNode | undefined, name: string): boolean | undefined {
  const v = argValue(d, name);
  return v?.kind === Kind.BOOLEAN ? v.value : undefined;
}

function policiesArg(d: ConstDirectiveNode): string[][] {
  const v = argValue(d, 'policies');
  if (v?.kind !== Kind.LIST) return [];
  return v.values.map((inner) => (inner.kind === Kind.LIST ? inner.values.flatMap((s) => (s.kind === Kind.STRING ? [s.value] : [])) : []));
}
