import {
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  getNamedType,
  getOperationAST,
  GraphQLCompositeType,
  GraphQLSchema,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  OperationDefinitionNode,
  SelectionSetNode,
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
}

/**
 * Walks an operation the way execution would, following fragments, and lists every field with its
 * response path: what the share rules are checked against and what the audit records.
 */
export function operationShape(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null): OperationShape | null {
  const operation = getOperationAST(document, operationName ?? undefined);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);

  const fields: FieldVisit[] = [];
  const persons: FieldVisit[] = [];
  const keyed: OperationShape['keyed'] = [];
  // The fragments being spread on the way down: a fragment that spreads itself (validation refuses
  // such a document, but the usage count still looks at what was sent) is walked once, not forever.
  const spreading = new Set<string>();
  const walk = (set: SelectionSetNode, type: GraphQLCompositeType, path: string[], person: FieldVisit['person'] | undefined) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const t = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : type;
        if (t && isCompositeType(t)) walk(selection.selectionSet, t, path, person);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        const t = fragment && schema.getType(fragment.typeCondition.name.value);
        if (fragment && t && isCompositeType(t) && !spreading.has(fragment.name.value)) {
          spreading.add(fragment.name.value);
          walk(fragment.selectionSet, t, path, person);
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
      if (selection.selectionSet && isCompositeType(named)) {
        walk(selection.selectionSet, named, fieldPath, isPerson ? { path: fieldPath, item: PERSON_TYPE } : visit.person);
      }
    }
  };
  walk(operation.selectionSet, root, [], undefined);
  return { operation, fields, persons, keyed };
}
