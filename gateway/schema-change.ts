import { readSdl } from '../shared/subgraph-server';
import { Supergraph } from '@apollo/federation-internals';
import {
  astFromValue, BreakingChange, DangerousChange, DocumentNode, findBreakingChanges, findDangerousChanges, getNamedType,
  GraphQLArgument, GraphQLField, GraphQLInputField, GraphQLInputType, GraphQLNamedType, GraphQLSchema, GraphQLType,
  isEnumType, isInputObjectType, isInputType, isInterfaceType, isListType, isNamedType, isNonNullType, isObjectType,
  isRequiredInputField, Kind, parse, print, typeFromAST, TypeInfo, validate, ValueNode, visit, visitWithTypeInfo,
} from 'graphql';
import type { Config } from '../shared/config';
import { FieldDeclaration, readDeclarations } from './catalog/declarations';
import { partialAnswerSupergraph } from './partial-answers';
import { SHARING_SCHEMA_FILES, SHARING_SUBGRAPH } from './sharing';
import { composeSupergraph, CompositionError, executableSupergraph, readSubgraphSources, SubgraphSource } from './supergraph';
import type { HeldGrant } from './catalog/grants';

/**
 * Safe schema change (`npm run check`): would a department's proposed SDL still compose with the
 * others, what would change in the API schema consumers see and in the share rules, and which
 * consumers' recorded operations it breaks: those that would stop validating, and those that still
 * validate but use something that changes (a field whose type changes, that becomes conditionally
 * shared, an argument they pass, ...), so that their answers would change shape or turn null.
 * Pure: sources and recorded operations in, a report out.
 */
export interface RecordedDocument {
  consumerId: string;
  operationName: string | null;
  operationHash: string;
  document: string;
  /** When the consumer last sent it without a purpose (X-Purpose), if it is known to have. */
  lastWithoutPurpose?: string | null;
}

export interface BrokenOperation {
  consumerId: string;
  operationName: string | null;
  operationHash: string;
  /** Why it would no longer validate against the proposed API schema. */
  errors: string[];
  /**
   * What it uses that changes, although it may still validate, and so why its answers would
   * differ: "selects NaturalPerson.name, whose type changes from String to [String!]".
   */
  reasons: string[];
}

/** One change the proposal makes, and what the department does about its kind, where there is a usual way. */
export interface SchemaChange {
  type: string;
  description: string;
  remedy?: string;
  /** A dangerous change to what answers may hold (an enum's new value): the consumers whose recorded operations read it. */
  readBy?: string[];
}

const RETIRE = 'remove it once usageReport shows no consumer reads it (fieldReaders, zombie candidates)';
/** A resource is applied for once it is published: one the proposal brings in comes first on a field of its own. */
const NEW_RESOURCE_FIRST = 'Where the change says its resource is not published yet, no one can apply for it: publish it first on a new field, and make this one conditional once the grants are given.';

/**
 * The usual way to make each kind of change without breaking its consumers (`npm run check` says
 * it once per kind). graphql's change types, and ours for share rules and nullability at source.
 */
const REMEDIES: Readonly<Record<string, string>> = {
  FIELD_REMOVED: `mark it @deprecated(reason: "…") first, saying what to use instead, and ${RETIRE}.`,
  TYPE_REMOVED: `deprecate the fields that return it first, and ${RETIRE}.`,
  FIELD_CHANGED_KIND: `leave the field as it is and add one with the new type beside it, under another name; deprecate the old one and ${RETIRE}.`,
  ARG_CHANGED_KIND: 'leave the argument as it is and add an optional one with the new type beside it; deprecate the old one and remove it once no recorded operation passes it.',
  ARG_REMOVED: 'deprecate the argument first (an optional one can be) and remove it once no recorded operation passes it.',
  REQUIRED_ARG_ADDED: 'add it as optional, or with a default, so that operations that do not pass it still validate.',
  REQUIRED_INPUT_FIELD_ADDED: 'add it as optional, or with a default, so that inputs that do not give it still validate.',
  VALUE_REMOVED_FROM_ENUM: `deprecate the value first, stop storing it, and remove it once no stored record holds it; until then answers holding it fail.`,
  FIELD_BECAME_CONDITIONAL: 'tell the consumers that read it (usageReport fieldReaders): each applies for the grant (applyForAccess), and your department decides, before this is published; they then send X-Purpose with every request that reads it. '
    + NEW_RESOURCE_FIRST,
  FIELD_POLICIES_NARROWED: 'tell the consumers that read it (usageReport fieldReaders) to apply for the grant it comes to need (applyForAccess), and decide their applications before this is published. '
    + NEW_RESOURCE_FIRST,
  FIELD_MASK_ADDED: 'tell the consumers that read it (usageReport fieldReaders): those whose grant is masked get the masked value from then on.',
  FIELD_NULLABLE_AT_SOURCE: 'tell the consumers that read it (usageReport fieldReaders) that a null without an error now means "not on record".',
  FIELD_NON_NULL_AT_SOURCE: 'load the missing values first (npm run import), and publish it once no stored record lacks it.',
  ARG_DEFAULT_VALUE_CHANGE: 'operations that leave the argument out get the new default: keep the old one, or tell their consumers first.',
  VALUE_ADDED_TO_ENUM: 'consumers that read the field may not know the new value: tell them (usageReport fieldReaders) before answers hold it.',
};

const withRemedy = (change: { type: string; description: string }): SchemaChange =>
  REMEDIES[change.type] ? { ...change, remedy: REMEDIES[change.type] } : change;

export interface SchemaChangeReport {
  subgraph: string;
  /** Problems composing the proposed SDL with the others: nothing else is checked then. */
  compositionErrors: string[];
  /** graphql's breaking changes to the API schema, and share rules made stricter (FIELD_BECAME_CONDITIONAL, ...). */
  breakingChanges: SchemaChange[];
  dangerousChanges: SchemaChange[];
  /**
   * Recorded operations that validate against the current API schema and either not the proposed
   * one or use something the change breaks.
   */
  brokenOperations: BrokenOperation[];
  affectedConsumers: string[];
  /** Recorded operations judged: those that validate against the current API schema. */
  operationsChecked: number;
  /**
   * Recorded operations that do not validate against the current API schema, so the change cannot
   * be judged for them: listed rather than left out, since it usually means the "current" SDL is
   * not what the gateway served when they were sent (an SDL edited in place, a wrong
   * ONESOURCE_SCHEMA_DIR).
   */
  invalidNow: { consumerId: string; operationName: string | null; operationHash: string; errors: string[] }[];
}

/**
 * The SDL the gateway composes now (from ONESOURCE_SCHEMA_DIR), its own sharing subgraph included:
 * consumers' operations may use it too.
 */
export function currentSources(config: Config): SubgraphSource[] {
  return [
    ...readSubgraphSources(config),
    { name: SHARING_SUBGRAPH, url: 'http://gateway/sharing/graphql', sdl: readSdl({ schemaFile: SHARING_SCHEMA_FILES }) },
  ];
}

/**
 * The schema consumers see: the API schema of the supergraph as the gateway serves it (not-shared
 * items removed, and the fields a department may fail to deliver nullable), so a change consumers
 * cannot see, such as relaxing one of those fields, is not reported as breaking.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(partialAnswerSupergraph(executableSupergraph(supergraphSdl))).apiSchema().toGraphQLJSSchema();
}

export function checkSchemaChange(options: {
  current: SubgraphSource[];
  subgraph: string;
  proposedSdl: string;
  /** Where the proposal was read from, named in its syntax errors. */
  proposedFile?: string;
  operations: RecordedDocument[];
  /**
   * The grants in force (`grantsInForce`): a consumer that already holds what a field's new share
   * rule asks loses nothing by it, so long as it states a purpose: an operation it is known to
   * send without one (`lastWithoutPurpose`) is broken.
   */
  grants?: readonly HeldGrant[];
  /**
   * The department each DEPARTMENT-role consumer operates: it reads its own department's
   * conditional fields without a grant (gateway/policy/enforce.ts), so a field of its own becoming
   * conditional breaks its operations only where it sends them without a purpose.
   */
  operators?: ReadonlyMap<string, string>;
}): SchemaChangeReport {
  const report: SchemaChangeReport = {
    subgraph: options.subgraph, compositionErrors: [], breakingChanges: [], dangerousChanges: [],
    brokenOperations: [], affectedConsumers: [], operationsChecked: 0, invalidNow: [],
  };
  // What the proposal is compared with. Where the published files do not compose (a department
  // published a broken SDL), the gateway serves the supergraph it composed before them, and there is
  // nothing on disk to compare with; their errors must not read as the proposal's.
  let currentSupergraph: string;
  try {
    currentSupergraph = composeSupergraph(options.current);
  } catch (e) {
    const problems = e instanceof CompositionError ? e.problems : [(e as Error).message];
    throw new Error(
      `The published subgraph schemas do not compose, so the gateway still serves the supergraph it composed before them, and there is nothing to check ${options.subgraph}'s proposal against:\n` +
        `${problems.map((p) => `  - ${p}`).join('\n')}\nThe department whose published SDL this is fixes it first (npm run check -- <its name> <the fixed file>, once the others compose); then check again.`,
    );
  }
  const proposedSources = options.current.map((s) => (s.name === options.subgraph ? { ...s, sdl: options.proposedSdl, file: options.proposedFile } : s));
  let proposed: string;
  try {
    proposed = composeSupergraph(proposedSources);
  } catch (e) {
    report.compositionErrors = e instanceof CompositionError ? e.problems : [(e as Error).message];
    return report;
  }
  const before = apiSchemaOf(currentSupergraph);
  const after = apiSchemaOf(proposed);
  // The share rules are not in the API schema: they come from the full supergraphs (with @policy).
  const compare: Comparison = { before, after, shares: { before: declarationsOf(currentSupergraph), after: declarationsOf(proposed) } };
  const describe = (c: BreakingChange | DangerousChange) => ({ type: c.type, description: c.description });
  report.breakingChanges = [...findBreakingChanges(before, after).map(describe), ...shareChanges(compare)].map(withRemedy);
  report.dangerousChanges = [...findDangerousChanges(before, after).map(describe), ...sourceNullabilityChanges(compare)].map(withRemedy);
  // An enum given a value: the consumers whose recorded operations read a field of it may meet it.
  const widened = new Map(report.dangerousChanges.flatMap((c) => {
    const enumName = enumGivenAValue(c);
    return enumName ? [[enumName, new Set<string>()] as const] : [];
  }));
  // A field's nullability changed at its source: the consumers whose recorded operations select it.
  const atSource = new Map(report.dangerousChanges.flatMap((c) => {
    const coordinate = nullabilityChangedAt(c);
    return coordinate ? [[coordinate, new Set<string>()] as const] : [];
  }));

  for (const op of options.operations) {
    let document;
    try {
      document = parse(op.document);
    } catch {
      continue; // recorded only after validation, so this is not expected; nothing to compare
    }
    // Operations already invalid today are not this change's doing, but are reported: counting
    // them silently out would hide a "current" SDL that is not what consumers were served.
    const invalid = validate(before, document);
    if (invalid.length) {
      report.invalidNow.push({ consumerId: op.consumerId, operationName: op.operationName, operationHash: op.operationHash, errors: invalid.map((e) => e.message) });
      continue;
    }
    report.operationsChecked++;
    const errors = validate(after, document).map((e) => e.message);
    const use = usesOf(before, document);
    for (const [coordinate, { type, field }] of use.fields) {
      const enumType = getNamedType(fieldOf(before, type, field)?.type);
      if (enumType && widened.has(enumType.name)) widened.get(enumType.name)!.add(op.consumerId);
      atSource.get(coordinate)?.add(op.consumerId);
    }
    const held = { grants: (options.grants ?? []).filter((g) => g.consumerId === op.consumerId), department: options.operators?.get(op.consumerId) };
    const reasons = changesUsedBy(use, compare, held, op.lastWithoutPurpose ?? null);
    if (errors.length || reasons.length) {
      report.brokenOperations.push({ consumerId: op.consumerId, operationName: op.operationName, operationHash: op.operationHash, errors, reasons });
    }
  }
  report.affectedConsumers = [...new Set(report.brokenOperations.map((o) => o.consumerId))].sort();
  for (const change of report.dangerousChanges) {
    const readers = widened.get(enumGivenAValue(change) ?? '') ?? atSource.get(nullabilityChangedAt(change) ?? '');
    if (readers?.size) change.readBy = [...readers].sort();
  }
  return report;
}

/** The field (`Type.field`) whose nullability at source a FIELD_NULLABLE_AT_SOURCE or FIELD_NON_NULL_AT_SOURCE change concerns (its description begins with it). */
const nullabilityChangedAt = (change: { type: string; description: string }) =>
  change.type === 'FIELD_NULLABLE_AT_SOURCE' || change.type === 'FIELD_NON_NULL_AT_SOURCE' ? /^(\w+\.\w+) /.exec(change.description)?.[1] : undefined;

/** The enum a VALUE_ADDED_TO_ENUM change gives a value, as graphql's description names it ("X was added to enum type E."). */
const enumGivenAValue = (change: { type: string; description: string }) =>
  change.type === 'VALUE_ADDED_TO_ENUM' ? /to enum type (\w+)\.$/.exec(change.description)?.[1] : undefined;

interface Comparison {
  /** The API schemas consumers are served, today and with the proposal. */
  before: GraphQLSchema;
  after: GraphQLSchema;
  /** Each field's declaration (owner, share type, policies, mask, declared type), by `Type.field`. */
  shares: { before: Map<string, FieldDeclaration>; after: Map<string, FieldDeclaration> };
}

function declarationsOf(supergraphSdl: string): Map<string, FieldDeclaration> {
  const { types, roots } = readDeclarations(supergraphSdl);
  return new Map([...types, ...roots].flatMap((t) => t.fields.map((f) => [f.coordinate, f] as const)));
}

/**
 * What an operation uses: the fields it selects (`Type.field`, with the values it passes each
 * argument and the arguments it leaves to their default) and its variables.
 */
interface OperationUse {
  fields: Map<string, { type: string; field: string; passed: Map<string, ValueNode[]>; defaulted: Set<string> }>;
  /** Named input types a variable's value is read as, and those nested in them. */
  variableTypes: Set<string>;
  /** Each variable's declared type and whether it has a default of its own, null included (per definition: a document may hold several operations). */
  variables: Map<string, { type: GraphQLType; hasDefault: boolean }[]>;
}

function usesOf(schema: GraphQLSchema, document: DocumentNode): OperationUse {
  const use: OperationUse = { fields: new Map(), variableTypes: new Set(), variables: new Map() };
  const addVariableType = (type: GraphQLType | undefined) => {
    const named = type && getNamedType(type);
    if (!named || !isInputType(named) || use.variableTypes.has(named.name)) return;
    use.variableTypes.add(named.name);
    if (isInputObjectType(named)) for (const field of Object.values(named.getFields())) addVariableType(field.type);
  };
  const typeInfo = new TypeInfo(schema);
  visit(document, visitWithTypeInfo(typeInfo, {
    VariableDefinition(node) {
      const type = typeFromAST(schema, node.type);
      addVariableType(type);
      if (type) {
        const name = node.variable.name.value;
        use.variables.set(name, [...(use.variables.get(name) ?? []), { type, hasDefault: !!node.defaultValue }]);
      }
    },
    Field(node) {
      const parent = typeInfo.getParentType();
      const field = typeInfo.getFieldDef();
      if (!parent || !field || field.name.startsWith('__')) return;
      const coordinate = `${parent.name}.${field.name}`;
      const entry = use.fields.get(coordinate) ?? { type: parent.name, field: field.name, passed: new Map(), defaulted: new Set() };
      use.fields.set(coordinate, entry);
      const given = new Map((node.arguments ?? []).map((a) => [a.name.value, a.value]));
      for (const arg of field.args) {
        const value = given.get(arg.name);
        if (value) entry.passed.set(arg.name, [...(entry.passed.get(arg.name) ?? []), value]);
        else entry.defaulted.add(arg.name);
      }
    },
  }));
  return use;
}

function fieldOf(schema: GraphQLSchema, type: string, field: string): GraphQLField<unknown, unknown> | undefined {
  const t = schema.getType(type);
  return t && (isObjectType(t) || isInterfaceType(t)) ? t.getFields()[field] : undefined;
}

/**
 * Why a recorded operation that may well still validate would be answered differently: each thing
 * it uses that the proposal changes in a way its sender may not expect. Removed fields and
 * arguments and new required arguments are not repeated here: validation reports them.
 */
function changesUsedBy(use: OperationUse, c: Comparison, held: Held, lastWithoutPurpose: string | null): string[] {
  const reasons = new Set<string>();
  for (const [coordinate, { type, field, passed, defaulted }] of use.fields) {
    const was = fieldOf(c.before, type, field);
    const now = fieldOf(c.after, type, field);
    if (!was || !now) continue;
    if (!isSafeOutputChange(was.type, now.type)) {
      reasons.add(`selects ${coordinate}, whose type changes from ${String(was.type)} to ${String(now.type)}`);
    } else {
      const lost = removedEnumValues(getNamedType(was.type), getNamedType(now.type));
      if (lost.length) {
        const values = lost.length > 1 ? `the values ${lost.join(', ')}` : `the value ${lost[0]}`;
        reasons.add(`selects ${coordinate}, whose type ${getNamedType(now.type).name} loses ${values}, which its answers may hold`);
      }
    }
    const [wasShared, nowShared] = [c.shares.before.get(coordinate), c.shares.after.get(coordinate)];
    const share = shareChange(wasShared, nowShared);
    if (share && !readsAsBefore(wasShared, nowShared, held)) reasons.add(`selects ${coordinate}, which ${share}`);
    else if (share && wasShared?.shareType === 'UNCONDITIONAL' && lastWithoutPurpose) {
      reasons.add(`selects ${coordinate}, which becomes conditionally shared: its consumer may read it (a grant, or its own department's), but sent this operation without a purpose `
        + `(X-Purpose, last on ${lastWithoutPurpose.slice(0, 10)}), and would get null (FORBIDDEN) there until it states one`);
    }
    for (const [name, values] of passed) {
      const wasArg = was.args.find((a) => a.name === name);
      const nowArg = now.args.find((a) => a.name === name);
      if (!wasArg || !nowArg) continue;
      // Judged on what it passes: a literal 2 still fits an argument made Int!, a nullable $n may not.
      if (values.some((value) => !passedValueFits(value, wasArg.type, nowArg.type, use.variables))) {
        reasons.add(`passes ${coordinate}(${name}:), whose type changes from ${String(wasArg.type)} to ${String(nowArg.type)}`
          + (values.some((v) => v.kind === Kind.VARIABLE) && isNonNullType(nowArg.type) && !isNonNullType(wasArg.type) ? ': a null sent for its variable is refused' : ''));
      }
      if (defaultOf(wasArg) === defaultOf(nowArg)) continue;
      // A nullable variable with no default of its own may be left out: the argument's default applies then.
      const omittable = values.map((v) => (v.kind === Kind.VARIABLE ? v.name.value : null))
        .filter((v): v is string => !!v && (use.variables.get(v) ?? []).some((d) => !d.hasDefault && !isNonNullType(d.type)));
      if (omittable.length) {
        reasons.add(`passes ${coordinate}(${name}:) the optional variable ${[...new Set(omittable)].map((v) => `$${v}`).join(', ')}: when it is left out the argument's default applies, which changes from ${defaultOf(wasArg)} to ${defaultOf(nowArg)}`);
      }
    }
    for (const name of defaulted) {
      const wasArg = was.args.find((a) => a.name === name);
      const nowArg = now.args.find((a) => a.name === name);
      if (wasArg && nowArg && defaultOf(wasArg) !== defaultOf(nowArg)) {
        reasons.add(`leaves ${coordinate}(${name}:) to its default, which changes from ${defaultOf(wasArg)} to ${defaultOf(nowArg)}`);
      }
    }
  }
  // A variable's value is checked only when it is sent: what it may hold must not narrow.
  for (const name of use.variableTypes) {
    const was = c.before.getType(name);
    const now = c.after.getType(name);
    if (!was || !now) continue;
    for (const change of inputTypeChanges(was, now)) reasons.add(`sends variables of type ${name}, ${change}`);
  }
  return [...reasons];
}

/** Could a sender reading the old type be surprised by an answer of the new one? (graphql's rule for output fields.) */
function isSafeOutputChange(was: GraphQLType, now: GraphQLType): boolean {
  if (isListType(was)) {
    return (isListType(now) && isSafeOutputChange(was.ofType, now.ofType)) || (isNonNullType(now) && isSafeOutputChange(was, now.ofType));
  }
  if (isNonNullType(was)) return isNonNullType(now) && isSafeOutputChange(was.ofType, now.ofType);
  return (isNamedType(now) && now.name === was.name) || (isNonNullType(now) && isSafeOutputChange(was, now.ofType));
}

/** Is every value valid for the old argument type valid for the new one? (graphql's rule for arguments and input fields.) */
function isSafeInputChange(was: GraphQLType, now: GraphQLType): boolean {
  if (isListType(was)) return isListType(now) && isSafeInputChange(was.ofType, now.ofType);
  if (isNonNullType(was)) {
    return (isNonNullType(now) && isSafeInputChange(was.ofType, now.ofType)) || (!isNonNullType(now) && isSafeInputChange(was.ofType, now));
  }
  return isNamedType(now) && now.name === was.name;
}

/**
 * Does a value an operation passes (a literal, or a variable of its declared type) still fit
 * the argument's new type? Where graphql's rule for the types alone says no, the value may still:
 * an argument made non-null (`Int` to `Int!`) takes a literal that is not null, and a variable
 * declared non-null; a nullable variable may be sent null, and is refused then.
 */
function passedValueFits(value: ValueNode, was: GraphQLType, now: GraphQLType, variables: OperationUse['variables']): boolean {
  if (isSafeInputChange(was, now)) return true;
  if (value.kind === Kind.VARIABLE) {
    const declared = variables.get(value.name.value) ?? [];
    return declared.length > 0 && declared.every((d) => isSafeInputChange(d.type, now));
  }
  if (value.kind === Kind.NULL) return !isNonNullType(now);
  if (isNonNullType(now)) return passedValueFits(value, isNonNullType(was) ? was.ofType : was, now.ofType, variables);
  if (isNonNullType(was)) return passedValueFits(value, was.ofType, now, variables);
  if (isListType(was) && isListType(now)) {
    // A single value where a list is expected is read as a list of one.
    const items = value.kind === Kind.LIST ? value.values : [value];
    return items.every((item) => passedValueFits(item, was.ofType, now.ofType, variables));
  }
  return false;
}

function removedEnumValues(was: GraphQLNamedType, now: GraphQLNamedType): string[] {
  if (!isEnumType(was) || !isEnumType(now)) return [];
  const kept = new Set(now.getValues().map((v) => v.name));
  return was.getValues().map((v) => v.name).filter((v) => !kept.has(v));
}

function defaultOf(arg: GraphQLArgument | GraphQLInputField): string {
  if (arg.defaultValue === undefined) return '(none)';
  const ast = astFromValue(arg.defaultValue, arg.type as GraphQLInputType);
  return ast ? print(ast) : JSON.stringify(arg.defaultValue);
}

/** What narrows in an input type a variable's value is read as. */
function inputTypeChanges(was: GraphQLNamedType, now: GraphQLNamedType): string[] {
  if (isEnumType(was)) {
    if (!isEnumType(now)) return [`which is no longer an enum`];
    return removedEnumValues(was, now).map((v) => `whose value ${v} is removed`);
  }
  if (!isInputObjectType(was)) return [];
  if (!isInputObjectType(now)) return [`which is no longer an input object`];
  const changes: string[] = [];
  const nowFields = now.getFields();
  for (const field of Object.values(was.getFields())) {
    const next = nowFields[field.name];
    if (!next) changes.push(`whose field ${field.name} is removed`);
    else if (!isSafeInputChange(field.type, next.type)) changes.push(`whose field ${field.name} changes type from ${String(field.type)} to ${String(next.type)}`);
    else if (defaultOf(field) !== defaultOf(next)) changes.push(`whose field ${field.name} defaults to ${defaultOf(next)} instead of ${defaultOf(field)}`);
  }
  const had = was.getFields();
  for (const field of Object.values(nowFields)) {
    if (!had[field.name] && isRequiredInputField(field)) changes.push(`which gains the required field ${field.name}`);
  }
  return changes;
}

function policiesText(policies: string[][]): string {
  return policies.map((all) => all.join(' and ')).join(' or ');
}

/** Does every consumer that satisfied the old alternatives satisfy one of the new? */
function noStricter(was: string[][], now: string[][]): boolean {
  return was.every((old) => now.some((alternative) => alternative.every((r) => old.includes(r))));
}

/**
 * How a field's share rule narrows, said of the field ("becomes conditionally shared (...)"), or
 * null when it does not: a field that becomes unconditional, or loses its mask, takes nothing away.
 * A field that becomes not shared leaves the API schema: validation and graphql's comparison say so.
 */
function shareChange(was: FieldDeclaration | undefined, now: FieldDeclaration | undefined): string | null {
  if (!was || !now || was.shareType === 'NOT_SHARED' || now.shareType !== 'CONDITIONAL') return null;
  const masked = (kind: string) => `masked (${kind}) for consumers whose grant is masked`;
  if (was.shareType === 'UNCONDITIONAL') {
    const resources = policiesText(now.policies);
    return `becomes conditionally shared (${resources}): consumers without that grant get null (FORBIDDEN), those with it must state a purpose (X-Purpose)`
      + (now.mask ? `, and it is ${masked(now.mask)}` : '');
  }
  const narrowed: string[] = [];
  if (!noStricter(was.policies, now.policies)) {
    narrowed.push(`needs ${policiesText(now.policies)} instead of ${policiesText(was.policies)}: consumers granted only what sufficed before get null (FORBIDDEN)`);
  }
  if (now.mask && now.mask !== was.mask) narrowed.push(`becomes ${masked(now.mask)}`);
  return narrowed.length ? narrowed.join('; it ') : null;
}

/** What one consumer reads conditional fields under: its grants in force, and the department it operates, if any. */
interface Held {
  grants: readonly HeldGrant[];
  department: string | undefined;
}

/**
 * Whether a consumer reads a field as before under its new share rule: the field is its own
 * department's, or it holds every resource of one of the new alternatives, none of them masked
 * where the field gains a mask. (It must also state a purpose for a conditional field:
 * `changesUsedBy` judges that per operation.)
 */
function readsAsBefore(was: FieldDeclaration | undefined, now: FieldDeclaration | undefined, held: Held): boolean {
  if (!now) return false;
  if (held.department !== undefined && now.owner === held.department) return true;
  const newMask = !!now.mask && now.mask !== was?.mask;
  return now.policies.some((all) => all.length > 0 && all.every((r) => held.grants.some((g) => g.resource === r && !(newMask && g.masked))));
}

/** Share rules the proposal narrows, for every field consumers are served, used or not. */
function shareChanges(c: Comparison): { type: string; description: string }[] {
  const changes: { type: string; description: string }[] = [];
  // The resources consumers can apply for today: those some field served now is conditional on.
  const published = new Set([...c.shares.before.values()].flatMap((d) => d.policies.flat()));
  for (const [coordinate, now] of c.shares.after) {
    const was = c.shares.before.get(coordinate);
    if (!was || !fieldOf(c.before, was.typeName, was.name) || !fieldOf(c.after, now.typeName, now.name)) continue;
    const change = shareChange(was, now);
    if (!change) continue;
    const type = was.shareType === 'UNCONDITIONAL' ? 'FIELD_BECAME_CONDITIONAL'
      : !noStricter(was.policies, now.policies) ? 'FIELD_POLICIES_NARROWED' : 'FIELD_MASK_ADDED';
    const unpublished = [...new Set(now.policies.flat())].filter((r) => !published.has(r));
    const note = unpublished.length && type !== 'FIELD_MASK_ADDED'
      ? ` ${unpublished.join(', ')} ${unpublished.length > 1 ? 'are resources' : 'is a resource'} not published yet: consumers can apply for it only once this is published.`
      : '';
    changes.push({ type, description: `${coordinate} ${change}.${note}` });
  }
  return changes;
}

/**
 * Fields served nullable already (their department may fail to deliver them) whose department now
 * declares them nullable too: consumers see no change of type, but may get null without an error.
 * And the other way: declared non-null, a null the department's store still holds fails its answer.
 */
function sourceNullabilityChanges(c: Comparison): { type: string; description: string }[] {
  const changes: { type: string; description: string }[] = [];
  for (const [coordinate, now] of c.shares.after) {
    const was = c.shares.before.get(coordinate);
    const served = fieldOf(c.before, now.typeName, now.name);
    const next = fieldOf(c.after, now.typeName, now.name);
    if (!was || !served || !next || String(served.type) !== String(next.type) || was.format === now.format) continue;
    if (was.format.endsWith('!') && `${now.format}!` === was.format) {
      changes.push({
        type: 'FIELD_NULLABLE_AT_SOURCE',
        description: `${coordinate} changes from ${was.format} to ${now.format} in ${now.owner}: consumers are served it nullable already, but may now get null without an error.`,
      });
    }
    if (now.format.endsWith('!') && `${was.format}!` === now.format) {
      changes.push({
        type: 'FIELD_NON_NULL_AT_SOURCE',
        description: `${coordinate} changes from ${was.format} to ${now.format} in ${now.owner}: consumers are still served it nullable, but wherever ${now.owner} answers null for it `
          + `(a record stored without it) its answer for that record now fails, and consumers lose every field of it ${now.owner} serves, with SUBGRAPH_UNAVAILABLE.`,
      });
    }
  }
  return changes;
}

/** 0: safe to publish; 1: it does not compose, or it breaks recorded operations (or, strict, any breaking change). */
export function exitCodeOf(report: SchemaChangeReport, strict = false): 0 | 1 {
  if (report.compositionErrors.length || report.brokenOperations.length) return 1;
  return strict && report.breakingChanges.length ? 1 : 0;
}
