import { GraphQLSchema, Kind, OperationDefinitionNode, ValueNode } from 'graphql';
import { getArgumentValues, getVariableValues } from 'graphql/execution/values';
import type { ApolloGateway } from '@apollo/gateway';
import type { GatewayExecutor, GatewayInterface, GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { checkIdNumber, ID_NUMBER_SHAPE, today } from '../shared/identifiers';
import { auditTrailUnavailable, badUserInput } from '../shared/errors';
import { keyInCursor } from '../shared/register-pages';
import type { Logger } from '../shared/logger';
import { fieldsRead, grantsRead, partialSubjects } from './audit/record';
import { listItemPlace, partlyRead } from './audit/partial-reads';
import { BoundedMemo } from '../shared/bounded-memo';
import type { AuditTrail } from './audit/trail';
import { GatewayContext, principalId } from './context';
import {
  applyMasks, applyRefusals, conditionalResources, decide, forEachObjectAt, Refusal, rewriteOperation, stripPlaceholders, SubjectPositions, takePagePersons, takeSubjects,
} from './policy/enforce';
import {
  conditionVariables, FieldVisit, KEYED_TYPES, OperationShape, operationShape, PERSON_ARGUMENT_FIELDS, PERSON_REQUESTS_FIELDS, PERSON_TYPE, shapeKey,
} from './policy/operation-shape';
import { MissingRecord, toldMissing } from './missing-records';
import { valueErrorsAsFailures } from './value-completion';
import type { FieldOwners } from './usage/owners';
import type { ShareRules } from './policy/share-rules';
import type { AccessStore } from './sharing/access';
import type { EntityReads } from './quality/entity-reads';
import { READ_ON_THEIR_OWN } from './quality/change-logs';
import type { Objection, OpenObjections } from './quality/objections';

export interface Guard extends GatewayInterface {
  /** The share rules of the supergraph now being served. */
  rules(): ShareRules;
}

/**
 * Wraps Apollo Gateway so that every operation is checked against the share rules before it is
 * planned (refused fields are removed, never fetched) and every answer carrying personal data is
 * recorded in the audit trail before it leaves. The gateway itself enforces none of this.
 */
export function guardGateway(
  gateway: ApolloGateway,
  /** `rules` is read on every operation: it follows the supergraph when a subgraph's schema changes. */
  deps: {
    rules: () => ShareRules; access: AccessStore; trail: AuditTrail; logger: Logger;
    /** Read receipts by key, for change notices. */
    reads?: EntityReads;
    /** Open data objections, flagged in every answer that carries their item. */
    objections?: OpenObjections;
    /** Which department serves each field: an item of a record its department does not hold was not read. */
    owners?: () => FieldOwners;
  },
): Guard {
  let schema: GraphQLSchema | undefined;
  // From the full supergraph: the copy Apollo Gateway executes has no @policy left in it.
  const currentRules = deps.rules;
  const shapes = new BoundedMemo<OperationShape | null>(2000);
  const conditionNames = new BoundedMemo<string[]>(2000);
  const rewrites = new BoundedMemo<ReturnType<typeof rewriteOperation>>(4000);

  gateway.onSchemaLoadOrUpdate(({ apiSchema }) => {
    schema = apiSchema;
    shapes.clear();
    conditionNames.clear();
    rewrites.clear();
  });

  const guarded = (execute: GatewayExecutor): GatewayExecutor => async (requestContext) => {
    const context = requestContext.context as GatewayContext;
    const { principal, purpose } = context;
    // A document's shape depends on the values its @skip and @include read, where it has any.
    const variables = requestContext.request.variables;
    const conditions = conditionNames.get(requestContext.queryHash, () => conditionVariables(requestContext.document));
    // `if:` takes true or false. An explicit null passes Apollo's coercion (`$hide: Boolean = true`
    // is nullable) and only failed in the department, told as its failure; and the shape below would
    // have been cached for it under the key of a variable left out, which takes the default.
    const nulled = variables ? conditions.find((n) => Object.hasOwn(variables, n) && variables[n] === null) : undefined;
    if (nulled !== undefined) return { errors: [badUserInput(`Variable "$${nulled}" is the condition of @skip or @include, which takes true or false, not null`, { variable: nulled })] };
    const key = shapeKey(requestContext.queryHash, requestContext.operationName, conditions, variables);
    // A shape and a rewrite hold the document's nodes, and so its text, however short their key.
    const text = requestContext.source?.length ?? key.length;
    const shape = shapes.get(key, () => operationShape(schema!, requestContext.document, requestContext.operationName, variables), text);
    if (!shape) return execute(requestContext);
    context.shape = shape;
    const rules = currentRules();

    const needsGrants = principal.kind === 'SYSTEM' && conditionalResources(shape, rules).size > 0;
    // Grants are read fresh whenever they matter, so a decision applies to the very next request.
    const grants = needsGrants ? await deps.access.activeGrants(principal.consumer.id, today()) : [];
    const decision = decide(shape, rules, principal, purpose, grants);

    let run: GatewayGraphQLRequestContext = requestContext;
    if (decision.refusals.length || shape.keyed.length || shape.personPages.length) {
      const removed = decision.refusals.map((r) => shape.fields.indexOf(r.visit)).join(',');
      const rewritten = rewrites.get(`${key}\u0000${removed}`, () => rewriteOperation(requestContext.document, shape, decision.refusals), text);
      run = Object.create(requestContext, { document: { value: rewritten.document }, queryHash: { value: rewritten.queryHash } });
    }
    // The department data sources add the records they were asked for and do not hold.
    context.missingRecords = [];
    const result = valueErrorsAsFailures(await execute(run), deps.owners?.());

    const refusalErrors = result.data ? applyRefusals(result.data, decision.refusals, shape) : [];
    if (result.data) applyMasks(result.data, decision.masks);
    // Where each person was found, only where an error may have made a read of them partial.
    const positions: SubjectPositions | undefined = result.errors?.length || refusalErrors.length ? new Map() : undefined;
    const subjectsByPath = result.data ? takeSubjects(result.data, shape, positions) : new Map<string, Set<string>>();
    const pagePersons = result.data ? takePagePersons(result.data, shape) : new Map<FieldVisit, string[]>();
    if (run !== requestContext && result.data) stripPlaceholders(result.data);
    const errors = [...(result.errors ?? []), ...refusalErrors];

    const refused = refusedFields(shape, decision.refusals);
    if (refused.size) context.refusedPaths = new Set([...refused].map((v) => v.path.join('.')));
    // Whose data, and which of it: each person's own fields, so that two persons read in one
    // request are not each shown the other's.
    const read = new Map<string, Set<string>>();
    // And under which grants: those of the conditional fields at or above the field that read it.
    const grantsReadBySubject = new Map<string, Set<number>>();
    const grantsAt = grantsAbove(decision.grants);
    // And where in the answer, to tell whose reads an error made partial (`partlyRead`).
    const places = new Map<string, Set<string>>();
    const readAbout = (subject: string, field: string, v: FieldVisit, place = (v.person?.path ?? v.path).join('.')) => {
      const fields = read.get(subject);
      if (fields) fields.add(field);
      else read.set(subject, new Set([field]));
      // Only an answer with errors can be partial for anyone: the common whole answer keeps no places.
      if (errors.length) (places.get(subject) ?? places.set(subject, new Set()).get(subject)!).add(place);
      if (!grantsAt) return;
      const grants = grantsReadBySubject.get(subject) ?? grantsReadBySubject.set(subject, new Set()).get(subject)!;
      for (const id of grantsAt(v)) grants.add(id);
    };
    const failed = failedPaths(result.errors);
    const delivered = deliveredAbout(context.missingRecords, deps.owners?.());
    for (const v of shape.fields) {
      if (refused.has(v)) continue;
      // A list of answers about the persons its requests name: each item answered was read, whatever
      // failed beside it (an invalid idNumber's item is null, with its error).
      const answers = v.path.length === 1 && PERSON_REQUESTS_FIELDS.has(v.fieldName) ? result.data?.[v.path[0]] : undefined;
      if (Array.isArray(answers)) {
        const subjects = requestIdNumbers(schema!, v, variables, shape.operation);
        // Each answered item is about the person its request named; an item not answered read no one.
        for (const [i, answer] of answers.entries()) {
          if (answer == null) continue;
          if (!subjects?.[i]) {
            deps.logger.error({ field: v.fieldName, requestId: context.requestId }, 'could not tell whose data a root field answered: answer withheld');
            return { errors: [auditTrailUnavailable()] };
          }
          readAbout(subjects[i]!, v.fieldName, v, listItemPlace(v.path[0], i));
        }
      }
      if (failed(v.path)) continue;
      const found = v.person && subjectsByPath.get(v.person.path.join('.'));
      if (found?.size) found.forEach((s) => delivered(s, v.person!.item) && readAbout(s, v.person!.item, v));
      if (v.path.length === 1 && PERSON_ARGUMENT_FIELDS.has(v.fieldName) && result.data?.[v.path[0]] != null) {
        const subject = argumentIdNumber(v.node.arguments?.find((a) => a.name.value === 'idNumber')?.value, variables, shape.operation);
        // The field answered, so its idNumber was valid: one not found here is a way of writing it
        // this function does not know, and the answer is not sent unrecorded.
        if (!subject) {
          deps.logger.error({ field: v.fieldName, requestId: context.requestId }, 'could not tell whose data a root field answered: answer withheld');
          return { errors: [auditTrailUnavailable()] };
        }
        // A person reading their own access log is not a read of them by anyone else: recorded, each
        // look would push the reads they came to see off the first page.
        if (principal.kind === 'CITIZEN' && principal.idNumber === subject) continue;
        readAbout(subject, v.fieldName, v);
      }
    }
    // A page of the persons register read by its cursors alone still names each person on it.
    for (const v of shape.personCursors) {
      if (refused.has(v) || failed(v.path)) continue;
      const key = v.path[v.path.length - 1];
      forEachObjectAt(result.data, v.path.slice(0, -1), (object) => {
        const subject = typeof object[key] === 'string' ? checkIdNumber(keyInCursor(object[key] as string)) : null;
        if (subject?.ok) readAbout(subject.value, `${PERSON_TYPE}.${KEYED_TYPES[PERSON_TYPE]}`, v, v.path.slice(0, -1).join('.'));
      });
    }
    // A person in the answer with none of their fields asked (`{ __typename }` alone) was still
    // read: the answer says they exist, and where they were reached. Recorded by the field that
    // reached them, as a verification is.
    for (const { visit: v, type } of shape.keyed) {
      if (type !== 'NaturalPerson' || refused.has(v)) continue;
      for (const subject of subjectsByPath.get(v.path.join('.')) ?? []) {
        if (!read.has(subject)) readAbout(subject, reachedBy(v), v, v.path.join('.'));
      }
    }
    // Every person on a page of the register was read, whatever the page was asked for: one edge
    // (`edges { __typename }`) or `hasNextPage` after a cursor tells that an idNumber is registered.
    for (const [v, subjects] of pagePersons) {
      if (refused.has(v) || failed(v.path)) continue;
      for (const subject of subjects) if (!read.has(subject)) readAbout(subject, reachedBy(v), v, v.path.join('.'));
    }
    const records = readRecords(shape, subjectsByPath, refused, failed);
    const at = new Date().toISOString();
    if (!context.keepsNoReadReceipts) for (const [type, keys] of records) deps.reads?.record(principalId(principal), type, keys, at);
    const asked = askedFields(shape, refused, failed);
    const flags = deps.objections?.size ? dataQualityFlags(recordsAsked(shape, subjectsByPath, refused, failed), deps.objections) : [];
    // An objection is personal data about the person it disputes: flagged, it is read.
    for (const { flag, visit } of flags) {
      if (flag.entity === PERSON_TYPE) for (const item of OBJECTION_ITEMS_FLAGGED) readAbout(flag.subject, item, visit, visit.path.join('.'));
    }
    if (read.size) {
      const outcome = errors.length ? 'PARTIAL' : 'COMPLETE';
      const subjects = [...read.keys()];
      try {
        await deps.trail.record({
          at,
          consumer: principalId(principal),
          purpose: purpose ?? null,
          requestId: context.requestId,
          operationName: requestContext.operationName ?? null,
          operationHash: requestContext.queryHash,
          subjects,
          fields: fieldsRead(read),
          outcome,
          partialSubjects: partialSubjects(outcome, subjects, partlyRead(errors, places, positions)),
          grants: grantsAt ? grantsRead(grantsReadBySubject) : [],
        });
      } catch {
        // Personal data never leaves without its record: withhold the answer.
        return { errors: [auditTrailUnavailable()] };
      }
    }
    const answer = errors.length ? { ...result, errors } : result;
    const quality = [...flags.map(({ flag: { subject, ...told } }) => told), ...toldMissing(context.missingRecords ?? [], asked)];
    return quality.length ? { ...answer, extensions: { ...answer.extensions, dataQuality: quality } } : answer;
  };

  return {
    rules: () => currentRules(),
    onSchemaLoadOrUpdate: (callback) => gateway.onSchemaLoadOrUpdate(callback),
    stop: () => gateway.stop(),
    async load(options) {
      const loaded = await gateway.load(options);
      return { executor: loaded.executor && guarded(loaded.executor) };
    },
  };
}

/** The field that reached a record, as an audit record names it: a root field by its name, any other as `Type.field`. */
const reachedBy = (v: FieldVisit) => (v.parentType === 'Query' ? v.fieldName : `${v.parentType}.${v.fieldName}`);

/**
 * The grants behind a field: those that allowed it, if it is conditional, and those that allowed
 * every conditional field above it (a person's `credit { entries { kind } }` is read under the grant
 * that allowed `credit`). Worked out once per field a request reads about anyone; null when no
 * field of the request needed a grant.
 */
function grantsAbove(allowed: ReadonlyMap<FieldVisit, number[]>): ((v: FieldVisit) => number[]) | null {
  // Most requests (a verification, an open item) need no grant: nothing to keep per person.
  if (!allowed.size) return null;
  const memo = new Map<FieldVisit, number[]>();
  return (v) => {
    let ids = memo.get(v);
    if (!ids) {
      ids = [];
      for (const [u, granted] of allowed) if (u.path.length <= v.path.length && u.path.every((p, i) => p === v.path[i])) ids.push(...granted);
      memo.set(v, ids);
    }
    return ids;
  };
}

/** The refused fields and every field asked under them: none of these was fetched, so none was read. */
function refusedFields(shape: OperationShape, refusals: readonly Refusal[]): Set<FieldVisit> {
  const refused = new Set(refusals.map((r) => r.visit));
  if (!refused.size) return refused;
  const under = refusals.map((r) => `${r.visit.path.join('.')}.`);
  for (const v of shape.fields) {
    const path = v.path.join('.');
    if (under.some((prefix) => path.startsWith(prefix))) refused.add(v);
  }
  return refused;
}

/**
 * Whether a field's value failed to arrive: an error (a department that did not answer) at its
 * path or above it. Such a field was asked, not read, and is not recorded as read. Errors are per
 * fetch, so the list indices in their paths are left out: a fetch fails for the whole list. An error
 * at a list item itself (`naturalPersons.1`: an invalid idNumber in a batch) is that item's alone:
 * the item is null, so nothing under it is read anyway, and the items beside it were delivered.
 */
function failedPaths(errors: readonly { path?: readonly (string | number)[] }[] | undefined): (path: readonly string[]) => boolean {
  const failed = (errors ?? [])
    .filter((e) => e.path?.length && typeof e.path[e.path.length - 1] === 'string')
    .map((e) => e.path!.filter((p) => typeof p === 'string').join('.'));
  if (!failed.length) return () => false;
  return (path) => {
    const at = path.join('.');
    return failed.some((f) => at === f || at.startsWith(`${f}.`));
  };
}

/**
 * Whether an item about a person was delivered: not when the person is one a department does not
 * hold and the item is that department's (a legal representative missing from the persons register
 * has no name to read; their credit, or the idNumber the company's record names, is still read).
 */
function deliveredAbout(missing: readonly MissingRecord[] | undefined, owners: FieldOwners | undefined): (subject: string, item: string) => boolean {
  const notHeldBy = new Map((missing ?? []).filter((m) => m.entity === PERSON_TYPE).map((m) => [m.key, m.department]));
  if (!notHeldBy.size || !owners) return () => true;
  return (subject, item) => {
    const department = notHeldBy.get(subject);
    const field = item.split('.')[1];
    return department === undefined || field === KEYED_TYPES[PERSON_TYPE] || owners.owner(`${PERSON_TYPE}.${field}`) !== department;
  };
}

/**
 * The records in the answer, by type, from the fields that were not refused; and by `Type.field`
 * for the fields whose reads change notices follow on their own (READ_ON_THEIR_OWN: a subject's
 * `credit`), where that field was read of them, neither refused nor failed.
 */
function readRecords(shape: OperationShape, subjectsByPath: Map<string, Set<string>>, refused: Set<FieldVisit>, failed: (path: readonly string[]) => boolean): Map<string, Set<string>> {
  const read = new Map<string, Set<string>>();
  const add = (as: string, keys: Set<string>) => {
    const all = read.get(as) ?? read.set(as, new Set()).get(as)!;
    keys.forEach((k) => all.add(k));
  };
  for (const { visit: v, type } of shape.keyed) {
    if (refused.has(v)) continue;
    const keys = subjectsByPath.get(v.path.join('.'));
    if (keys?.size) add(type, keys);
  }
  for (const v of shape.fields) {
    const as = `${v.parentType}.${v.fieldName}`;
    if (!READ_ON_THEIR_OWN.has(as) || refused.has(v) || failed(v.path)) continue;
    const keys = subjectsByPath.get(v.path.slice(0, -1).join('.'));
    if (keys?.size) add(as, keys);
  }
  return read;
}

/** The fields asked of each type, neither refused nor failed, as `Type.field`: the items an answer carries. */
function askedFields(shape: OperationShape, refused: Set<FieldVisit>, failed: (path: readonly string[]) => boolean): Set<string> {
  return new Set(shape.fields.filter((v) => !refused.has(v) && !failed(v.path)).map((v) => `${v.parentType}.${v.fieldName}`));
}

/**
 * Each record in the answer (by type and key) with the fields asked of it where it was reached,
 * neither refused nor failed, and the field that reached it: two records of one type in one answer
 * are each known by their own fields.
 */
function recordsAsked(shape: OperationShape, subjectsByPath: Map<string, Set<string>>, refused: Set<FieldVisit>, failed: (path: readonly string[]) => boolean) {
  const records = new Map<string, { type: string; key: string; fields: Set<string>; visit: FieldVisit }>();
  for (const { visit, type } of shape.keyed) {
    const keys = refused.has(visit) ? undefined : subjectsByPath.get(visit.path.join('.'));
    if (!keys?.size) continue;
    const depth = visit.path.length;
    const fields = shape.fields
      .filter((v) => v.parentType === type && v.path.length === depth + 1 && visit.path.every((p, i) => v.path[i] === p) && !refused.has(v) && !failed(v.path))
      .map((v) => v.fieldName);
    for (const key of keys) {
      const id = `${type}\u0000${key}`;
      const record = records.get(id) ?? records.set(id, { type, key, fields: new Set(), visit }).get(id)!;
      fields.forEach((f) => record.fields.add(f));
    }
  }
  return records.values();
}

/** What a flag tells of its objection, recorded as read about the person: the objection's own fields. */
const OBJECTION_ITEMS_FLAGGED = ['Objection.id', 'Objection.field', 'Objection.status', 'Objection.raisedAt'];

/**
 * The `dataQuality` answer extension: the items in this answer that an open objection disputes,
 * each judged by the fields asked of its own record. An objection on a field the caller did not
 * ask of that record, or may not read, is not theirs to hear of (its very existence says something
 * about the person); and the record's key is told only where it was asked, so that the extension
 * never hands out an idNumber the answer does not carry. `subject` and `visit` are for the audit.
 */
function dataQualityFlags(records: Iterable<{ type: string; key: string; fields: Set<string>; visit: FieldVisit }>, open: OpenObjections) {
  const flags: { flag: { subject: string; entity: string; key?: string; field: string; objection: string; status: Objection['status']; raisedAt: string }; visit: FieldVisit }[] = [];
  for (const { type, key, fields, visit } of records) {
    for (const o of open.of(type, key)) {
      if (!fields.has(o.field)) continue;
      const shown = fields.has(KEYED_TYPES[type]) ? { key } : {};
      flags.push({ flag: { subject: key, entity: type, ...shown, field: o.field, objection: String(o.id), status: o.status, raisedAt: o.raisedAt }, visit });
    }
  }
  return flags;
}

/**
 * The idNumber a root field was asked about, as the audit records it: written into the query (a
 * string, or digits, which an ID takes too), or passed as a variable, or the variable's default
 * when none was passed. The field answered, so the department has already checked the idNumber in
 * full; its canonical form (what `checkIdNumber` answers: trimmed, X in capitals) is taken without
 * checking it again when it has an idNumber's shape, which a batch of 100 verifications would
 * otherwise pay 100 times.
 */
function argumentIdNumber(value: ValueNode | undefined, variables: Record<string, unknown> | undefined, operation: OperationDefinitionNode): string | null {
  return canonicalIdNumber(argumentValue(value, variables, operation));
}

/**
 * The idNumbers of a field's `requests` argument, item by item (null where one cannot be told), as
 * graphql-js coerces the argument for execution: whatever way it is written (a list variable, a
 * literal list of objects whose idNumbers or whole items are variables, a variable's default, a
 * single object for a list of one), the same requests the department was asked.
 */
function requestIdNumbers(
  schema: GraphQLSchema, v: FieldVisit, variables: Record<string, unknown> | undefined, operation: OperationDefinitionNode,
): (string | null)[] | null {
  const field = schema.getQueryType()?.getFields()[v.fieldName];
  if (!field) return null;
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (!coerced.coerced) return null;
  try {
    const requests = getArgumentValues(field, v.node, coerced.coerced).requests;
    if (!Array.isArray(requests)) return null;
    return requests.map((r) => canonicalIdNumber(r && typeof r === 'object' ? (r as { idNumber?: unknown }).idNumber : undefined));
  } catch {
    return null;
  }
}

/** A scalar argument's value: written into the query, or its variable's, or that variable's default. */
function argumentValue(value: ValueNode | undefined, variables: Record<string, unknown> | undefined, operation: OperationDefinitionNode): unknown {
  const literal = (node: ValueNode | undefined) => (node?.kind === Kind.STRING || node?.kind === Kind.INT ? node.value : undefined);
  if (value?.kind !== Kind.VARIABLE) return literal(value);
  const name = value.name.value;
  return variables?.[name] ?? literal(operation.variableDefinitions?.find((d) => d.variable.name.value === name)?.defaultValue);
}

function canonicalIdNumber(raw: unknown): string | null {
  if (typeof raw === 'number') raw = String(raw);
  if (typeof raw !== 'string') return null;
  if (ID_NUMBER_SHAPE.test(raw)) return raw;
  const checked = checkIdNumber(raw);
  return checked.ok ? checked.value : null;
}
