import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getDirectiveValues,
  getNamedType,
  getVariableValues,
  getOperationAST,
  GraphQLCompositeType,
  GraphQLIncludeDirective,
  GraphQLSchema,
  GraphQLSkipDirective,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionNode,
  SelectionSetNode,
  visit,
} from 'graphql';

/** The type whose objects are personal data: every read of one is audited. */
export const PERSON_TYPE = 'NaturalPerson';
/**
 * Records whose reads are remembered by key, so that a change to one can be told to those who
 * read it (change notices) and an open objection on one flagged: persons (also audited), legal
 * persons, projects and parcels.
 */
export const KEYED_TYPES: Readonly<Record<string, string>> = {
  NaturalPerson: 'idNumber', LegalPerson: 'uscc', InvestmentProject: 'projectCode', LandParcel: 'parcelCode',
};

/** Root fields that reveal something about the person named in their idNumber argument. */
export const PERSON_ARGUMENT_FIELDS = new Set(['verifyNaturalPerson', 'accessLog']);

/**
 * Root fields that answer a list, one item about each person named by the `idNumber` of the input
 * objects in their `requests` argument, in the same order.
 */
export const PERSON_REQUESTS_FIELDS = new Set(['verifyNaturalPersons']);

/**
 * A page of the persons register names its persons without a NaturalPerson field: its cursors are
 * their idNumbers, encoded (`shared/register-pages.ts`), so `edges { cursor }` alone lists them.
 */
const PERSON_EDGE = 'NaturalPersonEdge';
const PERSON_PAGE = 'NaturalPersonConnection';

export interface FieldVisit {
  node: FieldNode;
  parentType: string;
  fieldName: string;
  /** Response keys from the root (aliases where given). */
  path: string[];
  /** For fields at or under a person: the person's response path and this field as NaturalPerson.<names>. */
  person?: { path: string[]; item: string };
}

export interface OperationShape {
  operation: OperationDefinitionNode;
  fields: FieldVisit[];
  /** Fields whose value is a NaturalPerson (or a list of them). */
  persons: FieldVisit[];
  /** Fields whose value is a record of one of KEYED_TYPES (persons included), with that type. */
  keyed: { visit: FieldVisit; type: string }[];
  /** Fields whose value is a cursor of the persons register (an edge's cursor, a page's endCursor): each names a person. */
  personCursors: FieldVisit[];
  /** Every page of the persons register asked (`allNaturalPersons`): each person on it was read, whatever the page was asked for. */
  personPages: FieldVisit[];
}

type Variables = Record<string, unknown> | null | undefined;

/**
 * Whether execution includes a selection, by its @skip and @include and the request's variables. A
 * skipped field is not asked: it must be neither refused nor recorded as read. A value that does
 * not coerce counts as included (validation refuses such a request before anything runs).
 */
function included(node: SelectionNode, variables: Variables): boolean {
  if (!node.directives?.length) return true;
  try {
    if (getDirectiveValues(GraphQLSkipDirective, node, variables ?? undefined)?.if === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, variables ?? undefined)?.if !== false;
  } catch {
    return true;
  }
}

/** The variables a document's @skip and @include read: with the document, their values decide its shape. */
export function conditionVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Directive(node) {
      if (node.name.value !== 'skip' && node.name.value !== 'include') return;
      for (const argument of node.arguments ?? []) if (argument.value.kind === Kind.VARIABLE) names.add(argument.value.name.value);
    },
  });
  return [...names];
}

/**
 * What a shape is kept under: the document, the operation, and the values of the variables its
 * @skip and @include read (`conditions`), since those decide which fields it reads.
 */
export function shapeKey(queryHash: string, operationName: string | null | undefined, conditions: readonly string[], variables?: Variables): string {
  return `${queryHash}\u0000${operationName ?? ''}${conditions.map((n) => `\u0000${JSON.stringify(variables?.[n] ?? null)}`).join('')}`;
}

/**
 * Walks an operation the way execution would, following fragments and leaving out what @skip and
 * @include leave out, and lists every field with its response path: what the share rules are
 * checked against and what the audit records.
 */
export function operationShape(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null, variables?: Variables): OperationShape | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  // As execution sees them: a variable left out takes the operation's default (`$hide: Boolean = true`).
  const coerced = operation.variableDefinitions?.length ? getVariableValues(schema, operation.variableDefinitions, variables ?? {}) : undefined;
  const values = coerced && 'coerced' in coerced ? coerced.coerced : variables;

  const fields: FieldVisit[] = [];
  const persons: FieldVisit[] = [];
  const keyed: OperationShape['keyed'] = [];
  const personCursors: FieldVisit[] = [];
  const personPages: FieldVisit[] = [];
  // The fragments being spread on the way down: a fragment that spreads itself (validation refuses
  // such a document, but the usage count still looks at what was sent) is walked once, not forever.
  const spreading = new Set<string>();
  // `personsPageInfo`: `type` is the pageInfo of a page of the persons register.
  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, path: string[], person: FieldVisit['person'] | undefined, personsPageInfo = false) => {
    for (const selection of set.selections) {
      if (!included(selection, values)) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const t = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (t && isCompositeType(t)) walk(selection.selectionSet, t, path, person, personsPageInfo);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const t = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && t && isCompositeType(t) && !spreading.has(fragment.name.value)) {
          spreading.add(fragment.name.value);
          walk(fragment.selectionSet, t, path, person, personsPageInfo);
          spreading.delete(fragment.name.value);
        }
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__') || !(isObjectType(type) || isInterfaceType(type))) continue;
      const definition = type.getFields()[name];
      if (!definition) continue;
      const fieldPath = [...path, selection.alias?.value ?? name];
      const named = getNamedType(definition.type);
      const isPerson = named.name === PERSON_TYPE;
      const visit: FieldVisit = {
        node: selection,
        parentType: type.name,
        fieldName: name,
        path: fieldPath,
        person: person ? { path: person.path, item: `${person.item}.${name}` } : undefined,
      };
      fields.push(visit);
      if (isPerson) persons.push(visit);
      if (KEYED_TYPES[named.name]) keyed.push({ visit, type: named.name });
      if ((type.name === PERSON_EDGE && name === 'cursor') || (personsPageInfo && name === 'endCursor')) personCursors.push(visit);
      if (named.name === PERSON_PAGE) personPages.push(visit);
      if (selection.selectionSet && isCompositeType(named)) {
        walk(selection.selectionSet, named, fieldPath, isPerson ? { path: fieldPath, item: PERSON_TYPE } : visit.person, type.name === PERSON_PAGE && name === 'pageInfo');
      }
    }
  };
  walk(operation.selectionSet, root, [], undefined);
  return { operation, fields, persons, keyed, personCursors, personPages };
}
