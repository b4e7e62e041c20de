import DataLoader from 'dataloader';
import { GraphQLError, GraphQLResolveInfo } from 'graphql';
import { badUserInput, validArgument } from '../../shared/errors';
import { Checked, checkIdNumber, checkParcelCode, checkProjectCode, checkUscc, RECORD_NUMBER, today } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { quoted } from '../../shared/text';
import { RecordOwnRead, selectedFields } from '../audit/own-reads';
import { Catalog, CatalogItem, namedTypeOf } from '../catalog/build';
import { ItemAccess, itemAccess, satisfiedPolicy } from '../catalog/grants';
import { DATA_QUALITY_CONSUMER, operates, ROLE } from '../consumers';
import { ChangesSince, reasonTold } from './change-notices';
import { CHANGE_LOGS } from './change-logs';
import { logsOf, RecordChange, RecordHistory } from './record-history';
import type { ConsistencySample, RuleResult } from './consistency';
import { createObjectionStore, Objection, ObjectionEvent, ObjectionRuleError, ObjectionStatus, OPEN_STATUSES, OpenObjections } from './objections';
import type { RequireCorrection } from './objection-corrections';
import type { RequireRecord } from './record-existence';
import type { ConsistencyRuns } from './runs';
import { KEYED_TYPES, PERSON_TYPE } from '../policy/operation-shape';
import { callerId } from '../context';
import { STATE_PURPOSE } from '../purpose';
import { AccessGrant, AccessStore, grantsByResource } from '../sharing/access';

/** What the data-quality part of the gateway's subgraph needs, built once by the gateway. */
export interface QualityServices {
  objections: ReturnType<typeof createObjectionStore>;
  open: OpenObjections;
  runs: ConsistencyRuns;
  changesSince: ChangesSince;
  recordHistory: RecordHistory;
  catalog: () => Catalog;
  /** Records the reads of personal data answered here, which the guard cannot see. */
  recordRead: RecordOwnRead;
  /** Refuses an objection about a record its owner does not hold, or could not say whether it does. */
  requireRecord: RequireRecord;
  /** Refuses to close an objection whose record its owner has not logged a correction of (where it logs them). */
  requireCorrection: RequireCorrection;
}

interface Context {
  caller: InternalCaller;
  /** The sharing subgraph's grants, for what a consumer may object to. */
  access: Pick<AccessStore, 'activeGrants'>;
  quality?: QualityServices;
}

/** The records an objection can name, and how their keys are checked. */
const KEY_CHECKS: Record<string, (raw: string) => Checked> = {
  NaturalPerson: checkIdNumber,
  LegalPerson: checkUscc,
  InvestmentProject: checkProjectCode,
  LandParcel: checkParcelCode,
};

/** The items whose value is a person, named by idNumber: what is said of them (believed, held before) names that person. */
const PERSON_FIELDS: ReadonlySet<string> = new Set(['LegalPerson.legalRepresentative']);

/** An owner's note in an objection's history, as its raiser is told it while it may not read the disputed item in full. */
export const NOTE_WITHHELD = "withheld: the owner's notes are told to the raiser only while it may read the item in full";
/** What an objection to a conditionally shared item says of it, as an auditor or the owner is told it without a stated purpose. */
export const VALUE_WITHHELD = 'withheld: what an objection says of a conditionally shared item is told for a stated purpose (X-Purpose)';

const forbidden = (message: string) => new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
const isAuditor = (c: InternalCaller) => c.kind === 'SYSTEM' && c.roles.includes(ROLE.AUDITOR);
const departmentOf = (c: InternalCaller) => (c.kind === 'SYSTEM' && c.roles.includes(ROLE.DEPARTMENT) ? c.department : undefined);

function services(ctx: Context): QualityServices {
  if (!ctx.quality) throw new GraphQLError('Data quality services are not available', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  return ctx.quality;
}

/** An objection's or a run's number, written as this gateway gives them out: digits, no sign, exponent or padding. */
function objectionId(raw: string, what = 'an objection number'): number {
  const n = RECORD_NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw badUserInput(`id must be ${what}, not ${quoted(String(raw))}`, { argument: 'id' });
  return n;
}

/** The kinds of record an objection can name, as `raiseObjection`'s `entity` says them. */
function keyCheck(entity: string): (raw: string) => Checked {
  const check = KEY_CHECKS[entity];
  if (!check) throw badUserInput(`entity must be one of ${Object.keys(KEY_CHECKS).join(', ')}, not ${quoted(entity)}`, { argument: 'entity' });
  return check;
}

/**
 * A record's key as the objections store it (checked, canonical: a lower-case x made X); without
 * `entity`, whichever kind of key it is. A key that is none is the caller's mistake, not "no objections".
 */
function objectionKey(entity: string | undefined, raw: string): string {
  if (entity) return validArgument('key', keyCheck(entity)(raw));
  for (const check of Object.values(KEY_CHECKS)) {
    const checked = check(raw);
    if (checked.ok) return checked.value;
  }
  throw badUserInput(`key must be an idNumber, uscc, projectCode or parcelCode, not ${quoted(raw)}`, { argument: 'key' });
}

/** Auditors see every objection, a department those on its data, a consumer those it raised, a citizen those about them. */
function visibleTo(caller: InternalCaller, o: Objection): boolean {
  return isAuditor(caller) || departmentOf(caller) === o.owner || (caller.kind === 'SYSTEM' && caller.consumer === o.raisedBy)
    || (caller.kind === 'CITIZEN' && o.entityType === PERSON_TYPE && o.entityKey === caller.subject);
}

/** Who raised an objection, as it is kept: the consumer system, or the citizen as the audit trail names them. */
const raiserOf = callerId;

/** A citizen objects to their own record only (a NaturalPerson, under their own idNumber). */
function requireOwnRecord(caller: InternalCaller, entity: string, key: string): void {
  if (entity !== PERSON_TYPE || key !== caller.subject) {
    throw forbidden('A citizen raises objections about their own record only: entity NaturalPerson, key their own idNumber');
  }
}

function text(argument: string, raw: string, min: number, max = 2000): string {
  const value = raw.trim();
  if (value.length < min) throw badUserInput(`${argument} must say something (at least ${min} characters)`, { argument });
  if (value.length > max) throw badUserInput(`${argument} is longer than ${max} characters`, { argument });
  return value;
}

async function decide(ctx: Context, info: GraphQLResolveInfo, rawId: string, action: 'ACCEPTED' | 'REJECTED' | 'CLOSED', note: string) {
  const q = services(ctx);
  const objection = await q.objections.byId(objectionId(rawId));
  // One the caller may not see is, to it, no objection: naming its owner would say it exists.
  if (!objection || !visibleTo(ctx.caller, objection)) throw badUserInput(`there is no objection ${rawId}`, { argument: 'id' });
  if (departmentOf(ctx.caller) !== objection.owner) throw forbidden(`Only the owning department (${objection.owner}) decides on objection ${objection.id}`);
  // Asked only of an objection that may be closed now: one still RAISED is told so by the workflow.
  if (action === 'CLOSED' && objection.status === 'ACCEPTED') await q.requireCorrection(objection, ctx.caller);
  let updated: Objection;
  try {
    updated = await q.objections.step(objection.id, action, ctx.caller.consumer, note, new Date().toISOString());
    await q.open.refresh();
  } catch (e) {
    if (e instanceof ObjectionRuleError) throw badUserInput(e.message);
    throw e;
  }
  await recordObjectionsRead(ctx, info, [updated]);
  return updated;
}

/**
 * An objection on a person's record is personal data: its key is the idNumber, its text and history
 * say what is believed wrong about the person. Whoever reads one, its raiser included, is recorded,
 * also in the answer to a step of its workflow.
 */
async function recordObjectionsRead(ctx: Context, info: GraphQLResolveInfo, objections: readonly Objection[]): Promise<void> {
  const fields = asked(info, 'Objection');
  const subjects = objections.flatMap((o) => [
    ...(o.entityType === PERSON_TYPE ? [o.entityKey] : []),
    // An objection to a company's legal representative names, as believedValue, the person believed to be it.
    ...(fields.includes('Objection.believedValue') ? personsBelieved(o) : []),
  ]).filter(readByOthers(ctx));
  if (!subjects.length) return;
  // What it says of a conditionally shared item is told under the grant that item needs.
  const grantsFor = await grantsOf(ctx);
  const grants = new Map<string, number[]>();
  for (const o of objections) if (o.entityType === PERSON_TYPE) grants.set(o.entityKey, grantsFor(`${o.entityType}.${o.field}`));
  await services(ctx).recordRead(ctx.caller, info, { subjects, fields, grants: (subject) => grants.get(subject) ?? [] });
}

/** A citizen reading what is about themselves is not a read of them by anyone else: the persons a read is recorded for. */
const readByOthers = (ctx: Context) => (idNumber: string) => !(ctx.caller.kind === 'CITIZEN' && idNumber === ctx.caller.subject);

/** The person an objection's believedValue names by idNumber, where the disputed field is a person. */
function personsBelieved(o: Objection): string[] {
  if (!PERSON_FIELDS.has(`${o.entityType}.${o.field}`)) return [];
  const named = checkIdNumber(o.believedValue);
  return named.ok ? [named.value] : [];
}

/**
 * The fields asked of `type` under this resolver's field, as the audit names them. With none asked
 * (`{ __typename }` alone) the answer still says the record is there: the read is recorded by the
 * field that reached it, as the guard records a person reached so.
 */
function asked(info: GraphQLResolveInfo, type: string): string[] {
  const fields = [...selectedFields(info)].filter((n) => !n.startsWith('__')).map((n) => `${type}.${n}`);
  if (fields.length) return fields;
  return [info.parentType.name === 'Query' ? info.fieldName : `${info.parentType.name}.${info.fieldName}`];
}

/** The persons a record's history names as what a person-valued field held before a change (`previous`): a company's former representative. */
const formerPersons = (entity: string, changes: RecordChange[]): string[] =>
  changes.flatMap((c) => c.previous ?? []).filter((p) => PERSON_FIELDS.has(`${entity}.${p.field}`) && p.value).map((p) => p.value!);

/** The persons a sample names. Samples of runs stored before they carried their subject are read from their text. */
function personsNamed(sample: ConsistencySample): string[] {
  if (sample.subject) return [sample.subject];
  if (sample.entity === PERSON_TYPE) return [sample.key];
  return idNumbersIn(sample.detail);
}

/** The valid idNumbers a text names (a sample's detail, an owner's note), as the audit names them. */
function idNumbersIn(text: string): string[] {
  return (text.match(/\b\d{17}[\dXx]\b/g) ?? []).flatMap((id) => {
    const checked = checkIdNumber(id);
    return checked.ok ? [checked.value] : [];
  });
}

type Access = (coordinate: string) => ItemAccess;

/**
 * What one request works out once however many records it answers: the caller's grants in force with
 * the catalogue's items they are judged against, and the steps of the objections it lists.
 */
interface RequestScope {
  reader?: Promise<{ held: Map<string, AccessGrant>; items: CatalogItems }>;
  steps: DataLoader<number, ObjectionEvent[]>;
}
const scopes = new WeakMap<Context, RequestScope>();

function scopeOf(ctx: Context): RequestScope {
  let scope = scopes.get(ctx);
  if (!scope) {
    scope = {
      steps: new DataLoader(async (ids: readonly number[]) => {
        const byObjection = new Map<number, ObjectionEvent[]>(ids.map((id) => [id, []]));
        for (const event of await services(ctx).objections.eventsOf(ids)) byObjection.get(event.objectionId)?.push(event);
        return ids.map((id) => byObjection.get(id)!);
      }),
    };
    scopes.set(ctx, scope);
  }
  return scope;
}

/**
 * How the calling consumer may read each item of the catalogue, by coordinate; NONE for what the
 * catalogue does not publish. `granted`: as its grants in force allow. `inThisRequest`: as this
 * request may read it, which for a conditionally shared item also needs a stated purpose
 * (X-Purpose), as the guard requires of every read of one, its own department's operators' included.
 */
async function accessOf(ctx: Context, as: 'granted' | 'inThisRequest'): Promise<Access> {
  const { held, items } = await readerOf(ctx);
  const purposeMissing = as === 'inThisRequest' && !ctx.caller.purpose;
  return (coordinate: string) => {
    const item = items.at(coordinate);
    if (!item) return 'NONE';
    if (purposeMissing && item.shareType === 'CONDITIONAL') return 'NONE';
    return itemAccess(item, ctx.caller, held);
  };
}

/** The caller's grants in force, and the catalogue's items by coordinate: read once per request. */
function readerOf(ctx: Context): NonNullable<RequestScope['reader']> {
  const scope = scopeOf(ctx);
  scope.reader ??= ctx.access.activeGrants(ctx.caller.consumer, today()).then((grants) => ({
    held: grantsByResource(grants),
    items: itemsOf(services(ctx).catalog()),
  }));
  return scope.reader;
}

/** A catalogue's items, found by what a change log or an objection names. */
interface CatalogItems {
  /**
   * The item `Type.field`, or one inside a field's value named by a path: `NaturalPerson.credit.entries`
   * is the entries of the person's credit profile, `CreditProfile.entries` (credit's change log names
   * so a change to entries alone, which leaves the profile's standing as it was).
   */
  at(coordinate: string): CatalogItem | undefined;
  /**
   * The item and every item of its value where that value is no record of its own (a credit
   * profile's standing and entries under `NaturalPerson.credit`): what may be said of the item
   * (an objection to a person's credit, the owner's notes on it) can tell of any of them.
   */
  within(coordinate: string): CatalogItem[];
}

/** A catalogue's items, indexed once per catalogue (it changes with the supergraph). */
const itemsByCatalog = new WeakMap<Catalog, CatalogItems>();
function itemsOf(catalog: Catalog): CatalogItems {
  let found = itemsByCatalog.get(catalog);
  if (found) return found;
  const items = new Map(catalog.resources.flatMap((r) => r.items.map((i) => [i.coordinate, i] as const)));
  const valueTypes = new Map(catalog.resources.filter((r) => r.kind === 'VALUE').map((r) => [r.name, r.items] as const));
  found = {
    at(coordinate) {
      const [type, field, ...path] = coordinate.split('.');
      let item = items.get(`${type}.${field}`);
      for (const step of path) item = item && items.get(`${namedTypeOf(item.format)}.${step}`);
      return item;
    },
    within(coordinate) {
      const item = items.get(coordinate);
      if (!item) return [];
      const all: CatalogItem[] = [item];
      const seen = new Set<string>();
      for (let i = 0; i < all.length; i++) {
        const type = namedTypeOf(all[i].format);
        if (seen.has(type)) continue;
        seen.add(type);
        all.push(...(valueTypes.get(type) ?? []));
      }
      return all;
    },
  };
  itemsByCatalog.set(catalog, found);
  return found;
}

/** The grants (ids) under which this request reads an item: those of the policy its grants satisfy; none for an item it needs none for. */
async function grantsOf(ctx: Context): Promise<(coordinate: string) => number[]> {
  const { held, items } = await readerOf(ctx);
  return (coordinate) => {
    const item = items.at(coordinate);
    if (item?.shareType !== 'CONDITIONAL' || operates(ctx.caller, item.owner)) return [];
    return satisfiedPolicy(item, held)?.map((r) => held.get(r)!.id) ?? [];
  };
}

/** An auditor, or an operator of the objection's owner: who follows an objection without having raised it. */
const oversees = (ctx: Context, o: Objection) => isAuditor(ctx.caller) || departmentOf(ctx.caller) === o.owner;

/**
 * Whose words in an objection this request is told in full: what the raiser believes and its
 * evidence, the owner's notes (受理，户籍地址为…). They say what the disputed item holds or should, so
 * they are told as the item would be. The citizen it is about, and the raiser its own words, always.
 * An auditor and the owner's operators every word, but of a conditionally shared item only for a
 * stated purpose, as the guard holds every read of one (the owner's own notes too: they say what its
 * store holds). Anyone else (the raiser reading the owner's notes) only while it may read that item
 * in full, in this request.
 */
async function wordsTold(ctx: Context, o: Objection): Promise<(author: string) => boolean> {
  if (ctx.caller.kind === 'CITIZEN') return () => true;
  const raiser = raiserOf(ctx.caller) === o.raisedBy;
  // Of a person's credit, the owner's notes may tell its entries (经核，该人有行政处罚…): every item within counts.
  const items = (await readerOf(ctx)).items.within(`${o.entityType}.${o.field}`);
  const access = await accessOf(ctx, 'inThisRequest');
  const whole = oversees(ctx, o)
    ? Boolean(ctx.caller.purpose) || items.every((item) => item.shareType !== 'CONDITIONAL')
    : items.length > 0 && items.every((item) => access(item.coordinate) === 'FULL');
  return (author) => whole || (raiser && author === o.raisedBy);
}

/** A record's changes, like an access log, are read for a stated purpose by anyone but the citizen they are about. */
function requirePurpose(ctx: Context, what: string): void {
  if (ctx.caller.kind === 'CITIZEN' || ctx.caller.purpose) return;
  throw new GraphQLError(`Reading ${what} is recorded: ${STATE_PURPOSE}`, { extensions: { code: 'FORBIDDEN', missing: 'PURPOSE' } });
}

/**
 * An objection is closed once its owner corrected the item, which the gateway checks where the owner
 * logs its corrections. An item such an owner never corrects (a key names the record; a project's
 * kind and industry are its code's) could only be closed unchecked, so it is not objected to.
 */
function requireCorrectable(entity: string, item: CatalogItem): void {
  if (KEYED_TYPES[entity] === item.name) {
    throw badUserInput(`${item.name} is the ${entity}'s key, which names the record and is never corrected: object to the fields that are wrong`, { argument: 'field' });
  }
  const log = CHANGE_LOGS.find((l) => l.department === item.owner && l.entity === entity);
  if (log && !(log.corrects as readonly string[]).includes(item.name)) {
    throw badUserInput(`${item.coordinate} is never corrected by its owner (${item.owner}): it follows from the record's key, ${KEYED_TYPES[entity]}. Object to the fields that are wrong`, { argument: 'field' });
  }
  // A record whose corrections are logged, and an item another department adds to it without a log
  // of its own for this record: a link that follows from that department's records
  // (legalRepresentativeOf from the companies naming the person), which no correction of it changes.
  if (!log && CHANGE_LOGS.some((l) => l.entity === entity)) {
    throw badUserInput(`${item.coordinate} follows from the ${item.owner} department's records that name this ${entity}, and no correction changes it: object to the field of the record it follows from`, { argument: 'field' });
  }
}

/** The idNumber an objection to a person-valued item gives as the person believed, checked and canonical. */
function checkBelievedPerson(item: CatalogItem, raw: string): string {
  const named = checkIdNumber(raw.trim());
  if (named.ok) return named.value;
  throw badUserInput(`believedValue names the person believed to be the ${item.name} by idNumber: ${named.reason}`, { argument: 'believedValue' });
}

/** An objection disputes a value the consumer reads: a conditionally shared item needs the grant that reading it needs. */
async function requireReadable(ctx: Context, item: CatalogItem): Promise<void> {
  if ((await accessOf(ctx, 'granted'))(item.coordinate) !== 'NONE') return;
  throw new GraphQLError(
    `${item.coordinate} is conditionally shared: consumer ${ctx.caller.consumer} holds no grant for ${item.resources.join(' or ')}, ` +
      'and an objection is raised only on a value the consumer may read',
    // As the guard's refusals say it, for a program to act on: what is missing, and for which resource.
    { extensions: { code: 'FORBIDDEN', missing: 'GRANT', resource: item.resources[0] } },
  );
}

function requireReportReader(caller: InternalCaller) {
  if (!isAuditor(caller) && !departmentOf(caller) && !(caller.kind === 'SYSTEM' && caller.consumer === DATA_QUALITY_CONSUMER)) {
    throw forbidden('Consistency reports are for auditors, department operators and the data-quality system');
  }
}

export const qualityResolvers = {
  Query: {
    objections: async (_: unknown, args: { status?: ObjectionStatus; entity?: string; key?: string }, ctx: Context, info: GraphQLResolveInfo) => {
      const { caller } = ctx;
      if (args.entity) keyCheck(args.entity);
      const entityKey = args.key == null ? undefined : objectionKey(args.entity, args.key);
      if (caller.kind === 'CITIZEN' && ((args.entity && args.entity !== PERSON_TYPE) || (entityKey && entityKey !== caller.subject))) {
        throw forbidden('A citizen follows the objections about their own record only');
      }
      const scope = caller.kind === 'CITIZEN' ? { entityType: PERSON_TYPE, entityKey: caller.subject }
        : isAuditor(caller) ? {} : departmentOf(caller) ? { owner: departmentOf(caller) } : { raisedBy: caller.consumer };
      const objections = await services(ctx).objections.list({ status: args.status, entityType: args.entity, entityKey, ...scope });
      await recordObjectionsRead(ctx, info, objections);
      return objections;
    },
    objection: async (_: unknown, args: { id: string }, ctx: Context, info: GraphQLResolveInfo) => {
      const objection = await services(ctx).objections.byId(objectionId(args.id));
      if (!objection || !visibleTo(ctx.caller, objection)) return null;
      await recordObjectionsRead(ctx, info, [objection]);
      return objection;
    },
    consistencyReport: async (_: unknown, args: { id?: string | null }, ctx: Context) => {
      requireReportReader(ctx.caller);
      // Only a missing id (or null) asks for the latest run: an empty one is a number gone wrong.
      return services(ctx).runs.get(args.id == null ? undefined : objectionId(args.id, 'a consistency run number'));
    },
    recordChanges: async (_: unknown, args: { entity: string; key: string; first?: number | null }, ctx: Context, info: GraphQLResolveInfo) => {
      const logged = logsOf(args.entity);
      if (!logged.length) {
        throw badUserInput(`entity must be one of ${[...new Set(CHANGE_LOGS.map((l) => l.entity))].join(', ')}, not ${quoted(args.entity)}`, { argument: 'entity' });
      }
      const key = validArgument('key', logged[0].check(args.key));
      const first = args.first ?? 50;
      if (!Number.isInteger(first) || first < 1 || first > 500) throw badUserInput(`first must lie in [1, 500], not ${first}`, { argument: 'first' });
      const citizen = ctx.caller.kind === 'CITIZEN';
      const department = departmentOf(ctx.caller);
      if (citizen) {
        if (args.entity !== PERSON_TYPE || key !== ctx.caller.subject) throw forbidden('A citizen reads the changes to their own record only: entity NaturalPerson, key their own idNumber');
      } else if (!isAuditor(ctx.caller) && !department) {
        throw forbidden("A record's changes are for auditors, the owning departments' operators, and the citizen it is about");
      }
      // A department's operators read their own department's log; an auditor and the citizen every owner's.
      const logs = department && !isAuditor(ctx.caller) ? logged.filter((log) => log.department === department) : logged;
      if (!logs.length) {
        throw forbidden(`The ${department} department keeps no change log of ${args.entity} records: their changes are for auditors, the owning departments' operators, and the citizen it is about`);
      }
      requirePurpose(ctx, "a record's changes");
      const history = await services(ctx).recordHistory(logs, key, first);
      // What a record held before, and the owner's reason (which often says the new value), are its
      // data: all of it to its owner's operators and the citizen it is about; to anyone else (an
      // auditor) the values it may read in full, and the reason only if it may read every changed field so.
      const access = citizen ? null : await accessOf(ctx, 'inThisRequest');
      const changes = history.map((change) => (!access || operates(ctx.caller, change.department) ? change : {
        ...change,
        reason: reasonTold(args.entity, change.fields, change.reason, access),
        previous: change.previous && change.previous.filter((p) => access(`${args.entity}.${p.field}`) === 'FULL'),
      }));
      // Who changed a person's record and why is about the person; the citizen reading their own is not a read by anyone else.
      // A company's former legal representative, named by idNumber, is a person read too.
      // So is a person the owner's reason names by idNumber (法定代表人由3501…变更为3501…), where it is told.
      const fields = asked(info, 'RecordChange');
      // Each is recorded as reading what was told about them: the record's person everything asked,
      // a person a reason names that reason.
      const whose = (args.entity === PERSON_TYPE ? [key] : fields.includes('RecordChange.previous') ? formerPersons(args.entity, changes) : []).filter(readByOthers(ctx));
      const named = (fields.includes('RecordChange.reason') ? changes.flatMap((c) => idNumbersIn(c.reason ?? '')) : []).filter(readByOthers(ctx));
      if (!changes.length) return changes;
      // Told under the grants of the conditional fields whose previous values it was told.
      const grantsFor = await grantsOf(ctx);
      const grants = new Set(changes.flatMap((c) => (c.previous ?? []).flatMap((p) => grantsFor(`${args.entity}.${p.field}`))));
      // (A read of no one records nothing.)
      const record = (subjects: string[], read: string[]) => services(ctx).recordRead(ctx.caller, info, { subjects, fields: read, grants: () => grants });
      await Promise.all([record(whose, fields), record(named, ['RecordChange.reason'])]);
      return changes;
    },
    changesSince: async (_: unknown, args: { since: string; first?: number | null }, ctx: Context, info: GraphQLResolveInfo) => {
      if (ctx.caller.kind !== 'SYSTEM') throw forbidden('Change notices are for registered consumer systems');
      if (Number.isNaN(Date.parse(args.since))) throw badUserInput(`since must be an ISO 8601 time, not ${quoted(args.since)}`, { argument: 'since' });
      const first = args.first ?? 100;
      if (first < 1 || first > 1000) throw badUserInput(`first must lie in [1, 1000], not ${first}`, { argument: 'first' });
      const notices = await services(ctx).changesSince(ctx.caller.consumer, await accessOf(ctx, 'inThisRequest'), new Date(args.since).toISOString(), first);
      // That a person's record changed, which fields and the owner's reason (死亡注销) are about the
      // person; and a person the reason names by idNumber (a company's new representative) is read too.
      const fields = asked(info, 'ChangeNotice');
      // Each told under the grants of the conditional fields its notice names.
      const grantsFor = await grantsOf(ctx);
      const grants = new Map<string, Set<number>>();
      // Each recorded as reading what was told about them: a person whose record changed, the notice; a person its reason names, the reason.
      const whose = new Set<string>();
      const named = new Set<string>();
      for (const n of notices) {
        if (n.entity === PERSON_TYPE) whose.add(n.key);
        const inReason = fields.includes('ChangeNotice.reason') ? idNumbersIn(n.reason ?? '') : [];
        inReason.forEach((subject) => named.add(subject));
        for (const subject of [...(n.entity === PERSON_TYPE ? [n.key] : []), ...inReason]) {
          const held = grants.get(subject) ?? grants.set(subject, new Set()).get(subject)!;
          for (const field of n.fields) grantsFor(`${n.entity}.${field}`).forEach((id) => held.add(id));
        }
      }
      const record = (subjects: Set<string>, read: string[]) => services(ctx).recordRead(ctx.caller, info, { subjects, fields: read, grants: (subject) => grants.get(subject) ?? [] });
      await Promise.all([record(whose, fields), record(named, ['ChangeNotice.reason'])]);
      return notices;
    },
  },
  Mutation: {
    raiseObjection: async (
      _: unknown,
      args: { entity: string; key: string; field: string; believedValue: string; evidence: string },
      ctx: Context,
      info: GraphQLResolveInfo,
    ) => {
      const q = services(ctx);
      const key = objectionKey(args.entity, args.key);
      const citizen = ctx.caller.kind === 'CITIZEN';
      if (citizen) requireOwnRecord(ctx.caller, args.entity, key);
      const resource = q.catalog().resources.find((r) => r.name === args.entity);
      const item = resource?.items.find((i) => i.name === args.field);
      if (!resource || !item) {
        throw badUserInput(`${args.entity} has no shared field ${quoted(args.field)}: one of ${resource?.items.map((i) => i.name).join(', ')}`, { argument: 'field' });
      }
      requireCorrectable(args.entity, item);
      // A person-valued item is disputed by naming the person believed: an idNumber, so that whoever reads it is recorded as reading them.
      const believedValue = PERSON_FIELDS.has(item.coordinate) ? checkBelievedPerson(item, args.believedValue) : text('believedValue', args.believedValue, 1);
      // A citizen knows their own record: what a consumer may read of it is no bar to correcting it.
      if (!citizen) await requireReadable(ctx, item);
      const raisedBy = raiserOf(ctx.caller);
      const already = q.open.of(args.entity, key).find((o) => o.field === args.field && o.raisedBy === raisedBy);
      if (already) throw badUserInput(`${citizen ? 'You' : ctx.caller.consumer} already ${citizen ? 'have' : 'has'} objection ${already.id} open on this ${args.entity}'s ${args.field} (${already.status})`);
      // Last of the checks: it is the one that calls a department.
      await q.requireRecord(resource, key, ctx.caller);
      const objection = await q.objections.raise(
        {
          entityType: args.entity, entityKey: key, field: args.field, owner: item.owner,
          believedValue, evidence: text('evidence', args.evidence, 2), raisedBy,
        },
        new Date().toISOString(),
      );
      await q.open.refresh();
      await recordObjectionsRead(ctx, info, [objection]);
      return objection;
    },
    acceptObjection: (_: unknown, args: { id: string; reason: string }, ctx: Context, info: GraphQLResolveInfo) => decide(ctx, info, args.id, 'ACCEPTED', text('reason', args.reason, 2)),
    rejectObjection: (_: unknown, args: { id: string; reason: string }, ctx: Context, info: GraphQLResolveInfo) => decide(ctx, info, args.id, 'REJECTED', text('reason', args.reason, 2)),
    closeObjection: (_: unknown, args: { id: string; resolution: string }, ctx: Context, info: GraphQLResolveInfo) => decide(ctx, info, args.id, 'CLOSED', text('resolution', args.resolution, 2)),
    runConsistencyChecks: async (_: unknown, __: unknown, ctx: Context) => {
      requireReportReader(ctx.caller);
      return services(ctx).runs.start(ctx.caller.consumer);
    },
  },
  ConsistencyRuleResult: {
    // Minimum disclosure: a department operator sees the records behind the rules its department
    // takes part in (its data disagrees with another's), and only the counts of the others, whose
    // records may name persons (a representative registered as deceased, on the blacklist).
    // The samples name persons, so reading them is recorded like any other read of a person.
    samples: async (rule: RuleResult, args: { first?: number | null }, ctx: Context, info: GraphQLResolveInfo) => {
      if (args.first != null && args.first < 0) throw badUserInput(`first must be 0 or more, not ${args.first}`, { argument: 'first' });
      const department = departmentOf(ctx.caller);
      if (department && !rule.departments.includes(department)) return [];
      // Only the samples answered are read: those past `first` name no one to this reader.
      const samples = args.first == null ? rule.samples : rule.samples.slice(0, args.first);
      await services(ctx).recordRead(ctx.caller, info, { subjects: samples.flatMap(personsNamed), fields: asked(info, 'ConsistencySample') });
      return samples;
    },
  },
  Objection: {
    entity: (o: Objection) => o.entityType,
    key: (o: Objection) => o.entityKey,
    open: (o: Objection) => OPEN_STATUSES.includes(o.status),
    believedValue: async (o: Objection, _: unknown, ctx: Context) => ((await wordsTold(ctx, o))(o.raisedBy) ? o.believedValue : VALUE_WITHHELD),
    evidence: async (o: Objection, _: unknown, ctx: Context) => ((await wordsTold(ctx, o))(o.raisedBy) ? o.evidence : VALUE_WITHHELD),
    history: async (o: Objection, _: unknown, ctx: Context, info: GraphQLResolveInfo) => {
      const steps = await scopeOf(ctx).steps.load(o.id);
      const told = await wordsTold(ctx, o);
      const withheld = oversees(ctx, o) ? VALUE_WITHHELD : NOTE_WITHHELD;
      const shown = steps.map((step) => (step.note == null || told(step.actor) ? step : { ...step, note: withheld }));
      // An owner's note that names a person by idNumber (法定代表人变更为3501…) is a read of that
      // person, as a sample's detail is: it says what the owner's store holds. The raiser's own
      // words (its evidence) are not: anyone could write a stranger's number there, and have every
      // reader of the objection recorded in that stranger's access log.
      const named = shown.filter((step) => step.actor !== o.raisedBy).flatMap((step) => idNumbersIn(step.note ?? '')).filter(readByOthers(ctx));
      if (named.length) await services(ctx).recordRead(ctx.caller, info, { subjects: named, fields: ['Objection.history'] });
      return shown;
    },
  },
};
