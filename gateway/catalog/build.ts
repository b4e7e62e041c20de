import { createHash } from 'node:crypto';
import { DEPARTMENTS } from '../../shared/departments';
import { FieldDeclaration, readDeclarations, ShareType, SupergraphDeclarations, TypeDeclaration } from './declarations';

/**
 * 政务信息资源目录: the published catalogue of shared resources, computed from the full supergraph
 * and nothing else, so it is current whenever the supergraph is. Not-shared items (@inaccessible)
 * are left out: the catalogue publishes what may be shared, not what exists.
 */
export interface CatalogItem {
  /** The field name. */
  name: string;
  /** `Type.field`. */
  coordinate: string;
  description: string | null;
  /** The subgraph that resolves it (its one source). */
  owner: string;
  ownerDepartment: string;
  shareType: Exclude<ShareType, 'NOT_SHARED'>;
  /** Conditional: the resources to be granted (any one alternative, all of its resources). */
  policies: string[][];
  /** Conditional: every resource named in `policies`. */
  resources: string[];
  /** What a consumer must do to read it, in words. */
  conditions: string;
  updateCycle: string | null;
  /** The GraphQL type: `String`, `Date!`, `GeoJSON`, `[CreditEntry!]`. */
  format: string;
  mask: string | null;
  key: boolean;
}

export interface CatalogResource {
  name: string;
  kind: 'ENTITY' | 'VALUE';
  description: string | null;
  owner: string;
  ownerDepartment: string;
  /** Departments that add items to it (their own fields on another's entity). */
  contributors: string[];
  keys: string[];
  updateCycle: string | null;
  items: CatalogItem[];
}

export interface ConditionalResource {
  name: string;
  owner: string;
  ownerDepartment: string;
  items: string[];
}

export interface CatalogDepartment {
  name: string;
  department: string;
  store: string;
  resources: string[];
  items: number;
}

export interface Catalog {
  /** A digest of the supergraph it was derived from: changes exactly when the catalogue may. */
  version: string;
  departments: CatalogDepartment[];
  resources: CatalogResource[];
  conditionalResources: ConditionalResource[];
}

/** Relay plumbing is how a list is paged, not a data resource of its own. */
/** The named type of an item's `format`: `CreditEntry` of `[CreditEntry!]`. */
export const namedTypeOf = (format: string): string => format.replace(/[[\]!]/g, '');

export const isPlumbing = (name: string) => name === 'PageInfo' || /(Connection|Edge)$/.test(name);

const DEPARTMENT_LABELS = new Map<string, { owner: string; store: string }>(DEPARTMENTS.map((d) => [d.name, { owner: d.owner, store: d.store }]));
const departmentLabel = (subgraph: string) => DEPARTMENT_LABELS.get(subgraph)?.owner ?? subgraph;

export function conditionsText(field: Pick<FieldDeclaration, 'shareType' | 'policies'>): string {
  if (field.shareType !== 'CONDITIONAL') return '无条件共享：任何已注册的使用系统 (any registered consumer)';
  const alternatives = field.policies.map((all) => all.join(' + ')).join(' 或 (or) ');
  return `有条件共享：须获 ${alternatives} 授权，并在 X-Purpose 中说明用途 (a grant of ${alternatives} and a stated purpose)`;
}

/**
 * The catalogue of the departments' resources in this supergraph. Types of other subgraphs (the
 * gateway's own sharing records) are not government data resources and are left out.
 */
export function buildCatalog(supergraphSdl: string, departments: readonly string[] = DEPARTMENTS.map((d) => d.name)): Catalog {
  const declarations = readDeclarations(supergraphSdl);
  const reachedUnder = conditionsReachedUnder(declarations);
  const resources: CatalogResource[] = [];
  for (const type of declarations.types) {
    if (type.inaccessible || isPlumbing(type.name) || !departments.includes(type.owner)) continue;
    const under = reachedUnder(type.name);
    const items = type.fields.filter((f) => f.shareType !== 'NOT_SHARED')
      .map((f) => catalogItem(type, under && f.shareType === 'UNCONDITIONAL' ? { ...f, shareType: 'CONDITIONAL', policies: under } : f));
    if (!items.length) continue;
    resources.push({
      name: type.name,
      kind: type.kind,
      description: type.description,
      owner: type.owner,
      ownerDepartment: departmentLabel(type.owner),
      contributors: [...new Set(items.map((i) => i.owner))].filter((o) => o !== type.owner).sort(),
      keys: type.keys,
      updateCycle: type.updateCycle,
      items,
    });
  }
  resources.sort((a, b) => departments.indexOf(a.owner) - departments.indexOf(b.owner) || a.name.localeCompare(b.name));

  const conditional = new Map<string, ConditionalResource>();
  // Conditional root fields (reading a whole register) are resources to apply for too.
  const conditionalRoots = declarations.roots.flatMap((root) =>
    root.fields.filter((f) => f.shareType === 'CONDITIONAL' && departments.includes(f.owner)).map((f) => catalogItem(root, f)),
  );
  for (const item of [...resources.flatMap((r) => r.items), ...conditionalRoots]) {
    for (const name of item.resources) {
      const entry = conditional.get(name) ?? { name, owner: item.owner, ownerDepartment: item.ownerDepartment, items: [] };
      entry.items.push(item.coordinate);
      conditional.set(name, entry);
    }
  }

  const allItems = resources.flatMap((r) => r.items);
  return {
    version: createHash('sha256').update(supergraphSdl).digest('hex').slice(0, 16),
    departments: departments.map((name) => ({
      name,
      department: departmentLabel(name),
      store: DEPARTMENT_LABELS.get(name)?.store ?? name,
      resources: resources.filter((r) => r.owner === name).map((r) => r.name),
      items: allItems.filter((i) => i.owner === name).length,
    })),
    resources,
    conditionalResources: [...conditional.values()].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/**
 * The conditions under which a type's values can be read at all, where every field that leads to
 * them is conditional (a credit entry is reached only through `CreditProfile.entries`, which needs
 * `credit.records`); null where some way leads to them without conditions. Its items are listed
 * under those conditions: the guard refuses them without the grant, whatever their own declaration.
 */
function conditionsReachedUnder(declarations: SupergraphDeclarations): (type: string) => string[][] | null {
  const types = new Set(declarations.types.map((t) => t.name));
  const leadingTo = new Map<string, FieldDeclaration[]>();
  for (const type of [...declarations.types, ...declarations.roots]) {
    for (const field of type.fields) {
      const target = namedTypeOf(field.format);
      if (types.has(target) && field.shareType !== 'NOT_SHARED') leadingTo.set(target, [...(leadingTo.get(target) ?? []), field]);
    }
  }
  const under = (type: string, seen: ReadonlySet<string>): string[][] | null => {
    const fields = leadingTo.get(type) ?? [];
    const alternatives: string[][] = [];
    for (const field of fields) {
      if (seen.has(field.typeName)) continue; // a way round in a circle adds no way in
      const conditions = field.shareType === 'CONDITIONAL' ? field.policies : under(field.typeName, new Set([...seen, type]));
      if (!conditions) return null;
      alternatives.push(...conditions);
    }
    return alternatives.length ? [...new Map(alternatives.map((a) => [a.join('+'), a])).values()] : null;
  };
  const memo = new Map<string, string[][] | null>();
  return (type) => {
    if (!memo.has(type)) memo.set(type, under(type, new Set()));
    return memo.get(type)!;
  };
}

function catalogItem(type: TypeDeclaration, field: FieldDeclaration): CatalogItem {
  return {
    name: field.name,
    coordinate: field.coordinate,
    description: field.description,
    owner: field.owner,
    ownerDepartment: departmentLabel(field.owner),
    shareType: field.shareType as CatalogItem['shareType'],
    policies: field.policies,
    resources: [...new Set(field.policies.flat())].sort(),
    conditions: conditionsText(field),
    updateCycle: field.updateCycle ?? type.updateCycle,
    format: field.format,
    mask: field.mask,
    key: field.key,
  };
}
