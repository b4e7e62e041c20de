import { createHash } from 'node:crypto';
import { DocumentNode, FieldNode, GraphQLError, Kind, print, SelectionSetNode, ValidationRule, visit } from 'graphql';
import type { Principal } from '../context';
import { operates } from '../consumers';
import { AccessGrant, grantsByResource } from '../sharing/access';
import { maskValue } from './mask';
import { FieldVisit, KEYED_TYPES, OperationShape } from './operation-shape';
import type { MaskKind, ShareRules } from './share-rules';
import { STATE_PURPOSE } from '../purpose';
import { checkIdNumber } from '../../shared/identifiers';
import { keyInCursor } from '../../shared/register-pages';

export interface Refusal {
  visit: FieldVisit;
  message: string;
  extensions: Record<string, unknown>;
}

export interface Decision {
  refusals: Refusal[];
  masks: { visit: FieldVisit; kind: MaskKind }[];
  /** Each conditional field allowed, with the ids of the grants that allowed it (for its audit record; none for its own department). */
  grants: Map<FieldVisit, number[]>;
}

/** Aliases the gateway adds for itself and strips from the answer. */
export const SUBJECT_ALIAS = 'onesourceSubject';
const EMPTY_ALIAS = 'onesourceEmpty';
/** Under a page of the persons register: its edges' cursors, whatever else the page was asked for. */
const PAGE_ALIAS = 'onesourcePage';

/**
 * Refuses an operation that uses one of the gateway's own aliases. The audit learns whose data an
 * answer carries from the value under SUBJECT_ALIAS: a client writing `onesourceSubject: name`
 * would put a name there, or nothing (`onesourceSubject: deceasedOn`), and read the person
 * unrecorded. Any name the gateway could choose a client can write too, so the names are reserved.
 */
export const ReservedAliasesRule: ValidationRule = (context) => ({
  Field(node) {
    const alias = node.alias?.value;
    if (alias === SUBJECT_ALIAS || alias === EMPTY_ALIAS || alias === PAGE_ALIAS) {
      context.reportError(new GraphQLError(`The alias "${alias}" is reserved: the gateway uses it to tell whose data an answer carries. Choose another alias`, { nodes: node.alias }));
    }
  },
});

/** The conditional resources an operation touches (to know whether grants must be read at all). */
export function conditionalResources(shape: OperationShape, rules: ShareRules): Set<string> {
  const resources = new Set<string>();
  for (const v of shape.fields) for (const r of rules.field(v.parentType, v.fieldName)?.policies?.flat() ?? []) resources.add(r);
  return resources;
}

/**
 * What a citizen may ask, about themselves only (the resolvers hold them to their own idNumber): who
 * read their data, who changed it, and the objections about their record, which they may raise too: the right to
 * have one's personal information corrected (《个人信息保护法》第四十六条).
 */
const CITIZEN_FIELDS = new Set(['accessLog', 'raiseObjection', 'objections', 'objection', 'recordChanges']);

/**
 * Which fields this principal may not read, and which it reads masked. Unconditional fields are
 * open to every registered consumer; a conditional field needs a grant in force for its resource
 * (or to be its own department's) and a stated purpose; a citizen asks only about themselves
 * (CITIZEN_FIELDS).
 */
export function decide(shape: OperationShape, rules: ShareRules, principal: Principal, purpose: string | undefined, grants: AccessGrant[]): Decision {
  const refusals: Refusal[] = [];
  const masks: Decision['masks'] = [];
  const allowedBy: Decision['grants'] = new Map();
  if (principal.kind === 'CITIZEN') {
    for (const v of shape.fields) {
      if (v.path.length === 1 && !CITIZEN_FIELDS.has(v.fieldName)) {
        refusals.push({
          visit: v,
          message: `${v.fieldName} is not open to citizen tokens: a citizen reads their own accessLog and recordChanges, and raises and follows objections about their own record`,
          extensions: { code: 'FORBIDDEN' },
        });
      }
    }
    return { refusals, masks, grants: allowedBy };
  }
  const granted = grantsByResource(grants);
  for (const v of shape.fields) {
    const share = rules.field(v.parentType, v.fieldName);
    if (!share?.policies) {
      if (share?.mask) continue; // a mask without a condition applies only to masked grants of conditional items
      continue;
    }
    // The owning department's own operators read its resources without applying to themselves:
    // the data is theirs already (一数一源). They still state a purpose, and the read is audited.
    const satisfied = operates(principal.consumer, share.owner) ? [] : share.policies.find((all) => all.every((r) => granted.has(r)));
    const resources = [...new Set(share.policies.flat())];
    if (!satisfied) {
      refusals.push({
        visit: v,
        message: `${share.coordinate} is conditionally shared: consumer ${principal.consumer.id} holds no grant for ${resources.join(' or ')} (apply with applyForAccess)`,
        extensions: { code: 'FORBIDDEN', resource: resources.join(','), missing: 'GRANT' },
      });
    } else if (!purpose) {
      refusals.push({
        visit: v,
        message: `${share.coordinate} is conditionally shared: ${STATE_PURPOSE}`,
        extensions: { code: 'FORBIDDEN', resource: resources.join(','), missing: 'PURPOSE' },
      });
    } else {
      allowedBy.set(v, satisfied.map((r) => granted.get(r)!.id));
      if (share.mask && satisfied.some((r) => granted.get(r)!.masked)) masks.push({ visit: v, kind: share.mask });
    }
  }
  return { refusals, masks, grants: allowedBy };
}

/**
 * The operation the query planner sees: refused fields removed (so they are never fetched), the
 * key of every person added (so the audit knows whose data was read), unused variables dropped.
 */
export function rewriteOperation(document: DocumentNode, shape: OperationShape, refusals: Refusal[]): { document: DocumentNode; queryHash: string } {
  const removed = new Set<FieldNode>(refusals.map((r) => r.visit.node));
  const keyFields = new Map<FieldNode, string>(shape.keyed.map((k) => [k.visit.node, KEYED_TYPES[k.type]]));
  const pages = new Set<FieldNode>(shape.personPages.map((v) => v.node));
  const field = (alias: string, name: string, selections?: FieldNode[]): FieldNode => ({
    kind: Kind.FIELD,
    alias: { kind: Kind.NAME, value: alias },
    name: { kind: Kind.NAME, value: name },
    ...(selections ? { selectionSet: { kind: Kind.SELECTION_SET, selections } } : {}),
  });
  let rewritten = visit(document, {
    Field: {
      enter(node) {
        if (removed.has(node)) return null;
        const key = keyFields.get(node);
        const added = key ? field(SUBJECT_ALIAS, key) : pages.has(node) ? field(PAGE_ALIAS, 'edges', [field('cursor', 'cursor')]) : undefined;
        if (added && node.selectionSet) return { ...node, selectionSet: { ...node.selectionSet, selections: [...node.selectionSet.selections, added] } };
        return undefined;
      },
    },
    SelectionSet: {
      leave(node: SelectionSetNode) {
        return node.selections.length ? undefined : { ...node, selections: [field(EMPTY_ALIAS, '__typename')] };
      },
    },
  });
  const used = new Set<string>();
  visit(rewritten, { VariableDefinition: () => false, Variable: (v) => void used.add(v.name.value) });
  rewritten = visit(rewritten, {
    VariableDefinition: (def) => (used.has(def.variable.name.value) ? undefined : null),
  });
  return { document: rewritten, queryHash: createHash('sha256').update(print(rewritten)).digest('hex') };
}

type Json = Record<string, unknown>;

/** Calls `fn` on every object found at `path` in the answer, with its concrete path (list indices included). */
export function forEachObjectAt(data: unknown, path: readonly string[], fn: (object: Json, at: (string | number)[]) => void): void {
  const step = (value: unknown, depth: number, at: (string | number)[]) => {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => step(item, depth, [...at, i]));
      return;
    }
    if (typeof value !== 'object') return;
    if (depth === path.length) {
      fn(value as Json, at);
      return;
    }
    step((value as Json)[path[depth]], depth + 1, [...at, path[depth]]);
  };
  step(data, 0, []);
}

/**
 * Puts `null` and a FORBIDDEN error at every place a refused field would have been, in the place
 * the query asked for it: the planner never saw the field, so the objects holding it are put back
 * in the query's order (GraphQL answers fields in the order they were selected).
 */
export function applyRefusals(data: unknown, refusals: Refusal[], shape: OperationShape): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const parents = new Map<string, readonly string[]>();
  for (const refusal of refusals) {
    const parentPath = refusal.visit.path.slice(0, -1);
    const key = refusal.visit.path[parentPath.length];
    parents.set(parentPath.join('.'), parentPath);
    forEachObjectAt(data, parentPath, (parent, at) => {
      parent[key] = null;
      errors.push(new GraphQLError(refusal.message, { path: [...at, key], extensions: refusal.extensions }));
    });
  }
  for (const parentPath of parents.values()) {
    const order = responseKeysUnder(shape, parentPath);
    forEachObjectAt(data, parentPath, (parent) => putInOrder(parent, order));
  }
  return errors;
}

/** The response keys selected directly under `parentPath`, in the order the query selects them. */
function responseKeysUnder(shape: OperationShape, parentPath: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const v of shape.fields) {
    if (v.path.length === parentPath.length + 1 && parentPath.every((key, i) => v.path[i] === key)) keys.add(v.path[parentPath.length]);
  }
  return [...keys];
}

/** Re-inserts the object's keys in `order`; keys not in it (the rewrite's own) keep their place after. */
function putInOrder(object: Json, order: readonly string[]): void {
  const values = { ...object };
  for (const key of Object.keys(object)) delete object[key];
  for (const key of order) if (key in values) object[key] = values[key];
  for (const key of Object.keys(values)) if (!(key in object)) object[key] = values[key];
}

export function applyMasks(data: unknown, masks: Decision['masks']): void {
  for (const { visit: v, kind } of masks) {
    const key = v.path[v.path.length - 1];
    forEachObjectAt(data, v.path.slice(0, -1), (parent) => {
      parent[key] = maskValue(kind, parent[key]);
    });
  }
}

/**
 * The persons on each page of the register in the answer (their idNumbers, from the cursors the
 * gateway asked for under PAGE_ALIAS, which it removes), by the page's visit.
 */
export function takePagePersons(data: unknown, shape: OperationShape): Map<FieldVisit, string[]> {
  const byPage = new Map<FieldVisit, string[]>();
  for (const v of shape.personPages) {
    const found = byPage.get(v) ?? byPage.set(v, []).get(v)!;
    forEachObjectAt(data, v.path, (page) => {
      const edges = page[PAGE_ALIAS];
      delete page[PAGE_ALIAS];
      if (!Array.isArray(edges)) return;
      for (const edge of edges) {
        const subject = typeof edge?.cursor === 'string' ? checkIdNumber(keyInCursor(edge.cursor)) : null;
        if (subject?.ok) found.push(subject.value);
      }
    });
  }
  return byPage;
}

/**
 * The keys of the persons and legal persons in the answer, by the response path where they sit,
 * taken from (and removed with) the added alias.
 */
export function takeSubjects(data: unknown, shape: OperationShape, positions?: SubjectPositions): Map<string, Set<string>> {
  const byPath = new Map<string, Set<string>>();
  for (const { visit: v } of shape.keyed) {
    // One path may be asked more than once (two fragments selecting one field): the first visit
    // takes the keys (and removes the alias), so later ones add to its set, never replace it.
    const path = v.path.join('.');
    const found = byPath.get(path) ?? new Set<string>();
    forEachObjectAt(data, v.path, (object, at) => {
      const subject = object[SUBJECT_ALIAS];
      if (typeof subject === 'string') {
        found.add(subject);
        if (positions) {
          const here = positions.get(path) ?? positions.set(path, new Map()).get(path)!;
          (here.get(subject) ?? here.set(subject, []).get(subject)!).push(at.join('.'));
        }
      }
      delete object[SUBJECT_ALIAS];
    });
    byPath.set(path, found);
  }
  return byPath;
}

/**
 * Where in an answer each record was found, list indices included: by the response path of its
 * field without them (`investmentProjects.edges.node.applicant`), then by key, the exact places
 * (`investmentProjects.edges.3.node.applicant`). Kept only for answers with errors, to tell whose
 * reads an error is about.
 */
export type SubjectPositions = Map<string, Map<string, string[]>>;

/** Removes the placeholder the rewrite put into selection sets left empty. */
export function stripPlaceholders(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) stripPlaceholders(item);
  } else if (value && typeof value === 'object') {
    delete (value as Json)[EMPTY_ALIAS];
    for (const v of Object.values(value)) if (v && typeof v === 'object') stripPlaceholders(v);
  }
}
