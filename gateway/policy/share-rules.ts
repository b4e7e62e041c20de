import { readDeclarations } from '../catalog/declarations';

/**
 * 共享类型, derived from the composed supergraph: what each department declared once in its own
 * SDL. Unconditional is the default; conditional fields carry `@policy(policies: [["<resource>"]])`
 * naming the resource a consumer must be granted; not-shared fields are `@inaccessible` and never
 * reach the API schema at all. `@catalog(mask: ...)` says how a value is masked for masked grants.
 */
export type MaskKind = 'PHONE' | 'ADDRESS';

export interface FieldShare {
  coordinate: string;
  /** The department (subgraph) that resolves the field. */
  owner: string;
  /** Conditional: alternatives of resources that must all be granted ((a AND b) OR c). */
  policies?: string[][];
  mask?: MaskKind;
}

export interface SharedResource {
  name: string;
  owner: string;
  fields: string[];
}

export class ShareRules {
  private constructor(private readonly fields: Map<string, FieldShare>) {}

  /** From the FULL supergraph (with @policy); the one parser is catalog/declarations.ts. */
  static fromSupergraph(supergraphSdl: string): ShareRules {
    const fields = new Map<string, FieldShare>();
    const { types, roots } = readDeclarations(supergraphSdl);
    for (const type of [...types, ...roots]) {
      for (const field of type.fields) {
        if (field.shareType !== 'CONDITIONAL' && !field.mask) continue;
        fields.set(field.coordinate, {
          coordinate: field.coordinate,
          owner: field.owner,
          policies: field.shareType === 'CONDITIONAL' ? field.policies : undefined,
          mask: (field.mask ?? undefined) as MaskKind | undefined,
        });
      }
    }
    return new ShareRules(fields);
  }

  field(typeName: string, fieldName: string): FieldShare | undefined {
    return this.fields.get(`${typeName}.${fieldName}`);
  }

  /** Every conditional resource, with the department that owns it and the fields it covers. */
  resources(): SharedResource[] {
    const byName = new Map<string, SharedResource>();
    for (const share of this.fields.values()) {
      for (const name of new Set(share.policies?.flat() ?? [])) {
        const resource = byName.get(name) ?? { name, owner: share.owner, fields: [] };
        resource.fields.push(share.coordinate);
        byName.set(name, resource);
      }
    }
    return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}
