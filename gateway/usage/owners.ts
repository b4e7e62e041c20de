import { buildASTSchema, ConstDirectiveNode, DocumentNode, Kind, parse } from 'graphql';
import { promisedFields } from '../contract-operations';
import { readDeclarations } from '../catalog/declarations';

/** One data item of the federated API (a field no department declared @inaccessible). */
export interface ApiField {
  coordinate: string;
  typeName: string;
  /** The department (subgraph) that resolves it. */
  owner: string;
  /** The department that owns its type (the catalogue's owner of the resource), which may not be the field's. */
  typeOwner: string;
  /** Its type is an entity (has a @key): a resource of the catalogue. */
  entity: boolean;
  /** The public contract names it (contract-operations.ts): it stays, however little it is read. */
  promised: boolean;
}

const ROOT_TYPES = ['Query', 'Mutation'];

/**
 * Who serves each field of the supergraph: usage is counted per department from this. Object
 * types come from the one declaration reader (catalog/declarations.ts); root fields, which it
 * leaves out, are read here from their @join__field.
 */
export class FieldOwners {
  private constructor(private readonly byCoordinate: Map<string, ApiField>) {}

  static fromSupergraph(supergraphSdl: string): FieldOwners {
    const fields = new Map<string, ApiField>();
    const document = parse(supergraphSdl);
    // The supergraph's own types are enough to tell which fields the contract operations select.
    const promised = promisedFields(buildASTSchema(document, { assumeValidSDL: true }));
    for (const type of readDeclarations(supergraphSdl).types) {
      if (type.inaccessible) continue;
      for (const field of type.fields) {
        if (field.shareType === 'NOT_SHARED') continue;
        fields.set(field.coordinate, {
          coordinate: field.coordinate, typeName: type.name, owner: field.owner, typeOwner: type.owner, entity: type.kind === 'ENTITY', promised: promised.has(field.coordinate),
        });
      }
    }
    for (const root of rootFields(document)) fields.set(root.coordinate, { ...root, promised: promised.has(root.coordinate) });
    return new FieldOwners(fields);
  }

  owner(coordinate: string): string | undefined {
    return this.byCoordinate.get(coordinate)?.owner;
  }

  all(): ApiField[] {
    return [...this.byCoordinate.values()];
  }
}

function rootFields(document: DocumentNode): Omit<ApiField, 'promised'>[] {
  const graphNames = new Map<string, string>();
  const fields: Omit<ApiField, 'promised'>[] = [];
  for (const def of document.definitions) {
    if (def.kind !== Kind.ENUM_TYPE_DEFINITION || def.name.value !== 'join__Graph') continue;
    for (const value of def.values ?? []) {
      const name = argument(directive(value.directives, 'join__graph'), 'name');
      if (name) graphNames.set(value.name.value, name);
    }
  }
  for (const def of document.definitions) {
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION || !ROOT_TYPES.includes(def.name.value)) continue;
    for (const field of def.fields ?? []) {
      if (directive(field.directives, 'inaccessible')) continue;
      const graph = argument(directive(field.directives, 'join__field'), 'graph');
      const owner = graphNames.get(graph ?? '') ?? 'unknown';
      fields.push({ coordinate: `${def.name.value}.${field.name.value}`, typeName: def.name.value, owner, typeOwner: owner, entity: false });
    }
  }
  return fields;
}

function directive(directives: readonly ConstDirectiveNode[] | undefined, name: string): ConstDirectiveNode | undefined {
  return directives?.find((d) => d.name.value === name);
}

/** A string or enum argument's value. */
function argument(d: ConstDirectiveNode | undefined, name: string): string | undefined {
  const v = d?.arguments?.find((a) => a.name.value === name)?.value;
  return v?.kind === Kind.STRING || v?.kind === Kind.ENUM ? v.value : undefined;
}
