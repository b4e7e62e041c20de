import { GraphQLError } from 'graphql';
import type { Knex } from 'knex';
import { badUserInput } from './errors';
import { type Migration, writeTransaction } from './db';
import type { InternalCaller } from './internal-token';
import { controlCharacterIn, quoted } from './text';

/**
 * A department's own change log (record_changes): every correction it makes to its records, with
 * the fields that changed, why, and who did it. The gateway reads it for change notices, so
 * consumers that read a record can learn that its owner changed it. Written in the same
 * transaction as the correction itself: a change is never made without its entry, nor logged
 * without being made. Used by the departments whose records others refer to (persons, legal persons).
 */

/** The role gateway/consumers.ts gives department operators (a subgraph does not import the gateway). */
const DEPARTMENT_ROLE = 'DEPARTMENT';

/** Only this department's own operators change its records (一数一源: the owner alone corrects). */
export function requireOwnOperator(caller: InternalCaller, department: string, action: string): void {
  const operator = caller.kind === 'SYSTEM' && caller.roles.includes(DEPARTMENT_ROLE);
  if (operator && caller.department === department) return;
  const who = caller.kind === 'CITIZEN'
    ? "a citizen token is not an operator's"
    : operator
      ? `${caller.consumer} operates the ${caller.department ?? 'no'} department, not ${department}`
      : `${caller.consumer} is not one of them`;
  throw new GraphQLError(`Only the ${department} department's operators may ${action}: ${who}`, { extensions: { code: 'FORBIDDEN' } });
}

/** Why a record changed and on whose word: one entry of the log, less the record and fields. */
export interface ChangeNote {
  reason: string;
  objectionId: string | null;
  changedBy: string;
  changedAt: string;
}

export interface RecordChange extends ChangeNote {
  /** The entry's place in its log: with `changedAt`, where a reader pages on from (`afterId`). */
  id: string;
  key: string;
  fields: string[];
  /**
   * What the changed fields held before, by field name (null where the record had no value); null
   * for a log that keeps none (credit's) and for entries logged before it was kept.
   */
  previous: PreviousValues | null;
}

/** A correction's values before it, by the field names the log lists. */
export type PreviousValues = Record<string, string | number | boolean | null>;

/** What a correction changes, decided from the record as it is when locked: the new values, the fields they are, and what those held. */
export interface CorrectionDecided<Values> {
  values: Values;
  fields: string[];
  previous: PreviousValues;
}

/**
 * What a correction decides once its department has worked out which values change (`changed`, in
 * the order the log lists them): the new values, the fields they are (`names` where the log names a
 * field otherwise than the record's value: householdDivisionCode is householdDivision), and what they held.
 */
export function decidedChange<K extends string>(
  changed: readonly K[],
  current: Readonly<Record<K, unknown>>,
  next: Readonly<Record<K, unknown>>,
  names: Partial<Record<K, string>> = {},
): CorrectionDecided<Partial<Record<K, unknown>>> {
  const field = (k: K) => names[k] ?? k;
  return {
    values: Object.fromEntries(changed.map((k) => [k, next[k]])) as Partial<Record<K, unknown>>,
    fields: changed.map(field),
    previous: Object.fromEntries(changed.map((k) => [field(k), (current[k] ?? null) as PreviousValues[string]])),
  };
}

/**
 * A correction that answers a data objection (`objectionId`) changes every item it sets: refused
 * otherwise, naming the objection and the items left as they were. The gateway, which holds the
 * objections, lets an objectionId through only with a correction that sets the disputed item, but
 * it cannot see the record: set to the value it already has, that item stays as it is, and the log
 * would name the objection beside the other items' change, as if they had answered it. The
 * department sees the values but not which item the objection disputes (the gateway's), so it
 * refuses any item set and left unchanged: the disputed one may be among them. `fields` are those
 * the correction changes, as the log names them; `names`, the log's name of an item where the
 * correction's own differs (householdDivisionCode is householdDivision).
 */
export function requireObjectionAnswered(
  objectionId: string | null,
  correction: object,
  fields: readonly string[],
  names: Partial<Record<string, string>> = {},
): void {
  if (objectionId === null) return;
  const unchanged = Object.entries(correction).filter(([item, value]) => value !== undefined && !fields.includes(names[item] ?? item)).map(([item]) => item);
  if (!unchanged.length) return;
  const items = unchanged.join(', ');
  throw badUserInput(
    `Invalid correction: ${items} already ${unchanged.length > 1 ? 'have the values' : 'has the value'} given, and a correction answering objection ${objectionId} ` +
      `sets only items it changes (the log names the objection beside what changed); leave ${items} out, or correct ${unchanged.length > 1 ? 'them' : 'it'} to another value`,
    { argument: `correction.${unchanged[0]}` },
  );
}

/** BAD_USER_INPUT for one value of a correction, naming it (`correction.<field>`). */
export const invalidCorrection = (field: string, message: string) =>
  badUserInput(`Invalid correction.${field}: ${message}`, { argument: `correction.${field}` });

/**
 * The first check of any correction: it names only fields the correction has, at least one, and
 * removes (null) only those a record may be without. The values themselves are each department's
 * to judge.
 */
export function requireCorrectionFields(input: Record<string, unknown>, correctable: readonly string[], removable: readonly string[] = []): void {
  const unknown = Object.keys(input).filter((k) => !correctable.includes(k));
  if (unknown.length) throw badUserInput(`correction has no field ${unknown.join(', ')}: it corrects ${correctable.join(', ')}`, { argument: 'correction' });
  const given = correctable.filter((k) => input[k] !== undefined);
  if (!given.length) throw badUserInput('nothing to correct: the correction names no field', { argument: 'correction' });
  for (const k of given) {
    if (input[k] === null && !removable.includes(k)) throw invalidCorrection(k, `${k} cannot be removed, only corrected to another value`);
  }
}

/** A corrected name: trimmed, not empty, at most `maxLength` characters, no control characters. */
export function correctedName(value: string, maxLength: number): string {
  const name = value.trim();
  if (!name) throw invalidCorrection('name', 'a name cannot be empty');
  if ([...name].length > maxLength) throw invalidCorrection('name', `a name has at most ${maxLength} characters`);
  const control = controlCharacterIn(name);
  if (control) throw invalidCorrection('name', `a name cannot contain control characters (${control})`);
  return name;
}

/**
 * The note as of now: taken inside the change's transaction once it holds its lock. A note is made
 * when the change is asked, and the change may then wait for the lock (up to 2 s) behind another:
 * stamped then, it would be logged after the other with an earlier time, and a reader paging on
 * from the other's `changedAt` (change notices, `…Changes(since:)`) would never see it.
 */
export const stampedNow = <Note extends Pick<ChangeNote, 'changedAt'>>(note: Note): Note => ({ ...note, changedAt: new Date().toISOString() });

const REASON_LENGTH = { min: 2, max: 500 };
// Objection ids are the gateway's; any plain token of up to 64 characters is taken as given.
const OBJECTION_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The note for a correction asked by `caller` now, with its reason and objection checked. */
export function changeNote(args: { reason: string; objectionId?: string | null }, caller: InternalCaller, now = new Date()): ChangeNote {
  const reason = args.reason.trim();
  if ([...reason].length < REASON_LENGTH.min) {
    throw badUserInput(`reason must say why the record is corrected, in at least ${REASON_LENGTH.min} characters`, { argument: 'reason' });
  }
  if ([...reason].length > REASON_LENGTH.max) {
    throw badUserInput(`reason is longer than ${REASON_LENGTH.max} characters`, { argument: 'reason' });
  }
  return { reason, objectionId: objectionIdOf(args), changedBy: caller.consumer, changedAt: now.toISOString() };
}

function objectionIdOf(args: { objectionId?: string | null }): string | null {
  const objectionId = args.objectionId == null ? null : args.objectionId.trim();
  if (objectionId !== null && !OBJECTION_ID.test(objectionId)) {
    throw badUserInput(`objectionId must be the id of a data objection (up to 64 letters, digits, _ . : -), not ${quoted(objectionId)}`, { argument: 'objectionId' });
  }
  return objectionId;
}

export const CHANGES_PAGE = { default: 1000, max: 5000 };
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Which entries of a change log a query asks for (`changeWindow`). */
export interface ChangeWindow {
  since: string;
  /** With `since`: the entries at `since` itself after this one are in the window too. */
  afterId: number | null;
  first: number;
  objectionId: string | null;
  /** Only the entries about this record (its idNumber, uscc or projectCode), if given. */
  key: string | null;
}

/**
 * The arguments of a change-log query: `since` as the log writes times (UTC, milliseconds), so
 * that comparing the strings compares the times on SQLite and MySQL alike; `afterId` to page on
 * within one instant (a load logs thousands of entries with one time, and "after the last
 * `changedAt`" alone would skip the rest of them); and, when the gateway asks whether an
 * objection was answered, the objection the corrections must name.
 */
export function changeWindow(args: ChangeLogArgs): ChangeWindow {
  const time = ISO_TIME.test(args.since.trim()) ? Date.parse(args.since.trim()) : NaN;
  if (Number.isNaN(time)) throw badUserInput(`since must be an ISO 8601 time such as 2024-05-01T08:00:00Z, not ${quoted(args.since)}`, { argument: 'since' });
  const first = args.first ?? CHANGES_PAGE.default;
  if (!Number.isInteger(first) || first < 1 || first > CHANGES_PAGE.max) {
    throw badUserInput(`first must lie in [1, ${CHANGES_PAGE.max}], not ${first}`, { argument: 'first' });
  }
  const afterId = args.afterId ?? null;
  if (afterId !== null && !/^\d{1,15}$/.test(afterId)) {
    throw badUserInput(`afterId must be the id of an entry of this log (a whole number), not ${quoted(afterId)}`, { argument: 'afterId' });
  }
  const key = args.key == null ? null : args.key.trim();
  if (key !== null && (!key || key.length > 64)) throw badUserInput(`key must name one record (up to 64 characters), not ${quoted(args.key!)}`, { argument: 'key' });
  return { since: new Date(time).toISOString(), afterId: afterId === null ? null : Number(afterId), first, objectionId: objectionIdOf(args), key };
}

/** A change-log query's arguments, as the departments' `…Changes` fields take them. */
export type ChangeLogArgs = { since: string; afterId?: string | null; first?: number | null; objectionId?: string | null; key?: string | null };

/**
 * A change-log query's answer (`naturalPersonChanges`, …): the window checked (`changeWindow`), and
 * each entry under the key field its records are named by (idNumber, uscc, projectCode).
 */
export async function changeLogAnswer(
  keyField: string,
  args: ChangeLogArgs,
  read: (window: ChangeWindow) => Promise<RecordChange[]>,
): Promise<Record<string, unknown>[]> {
  // `previous` travels as JSON text: its values are of as many types as the fields.
  return (await read(changeWindow(args))).map(({ key, previous, ...change }) => ({ [keyField]: key, ...change, previous: previous && JSON.stringify(previous) }));
}

/**
 * The entries of a log table in a window, oldest first (ties in the order they were written): after
 * `since`, or at `since` after `afterId`; only those naming `objectionId`, and about `key` (its
 * column `keyColumn`), if given.
 */
export function entriesIn(query: Knex.QueryBuilder, window: ChangeWindow, keyColumn: string): Knex.QueryBuilder {
  const { since, afterId, objectionId, key } = window;
  return query
    .where((q) => {
      q.where('changed_at', '>', since);
      if (afterId !== null) q.orWhere((at) => at.where('changed_at', since).where('id', '>', afterId));
    })
    .modify((q) => (objectionId === null ? q : q.where('objection_id', objectionId)))
    .modify((q) => (key === null ? q : q.where(keyColumn, key)))
    .orderBy([{ column: 'changed_at' }, { column: 'id' }])
    .limit(window.first);
}

/** One row of a log table (record_changes, credit_changes) as an entry, named by `key`. */
export function changeOfRow(row: ChangeRow, key: string): RecordChange {
  return {
    id: String(row.id),
    key,
    fields: JSON.parse(row.fields) as string[],
    previous: row.previous ? (JSON.parse(row.previous) as PreviousValues) : null,
    reason: row.reason,
    objectionId: row.objection_id,
    changedBy: row.changed_by,
    changedAt: row.changed_at,
  };
}

/** The columns every log table has. */
export interface ChangeRow {
  id: number;
  fields: string;
  reason: string;
  objection_id: string | null;
  changed_by: string;
  changed_at: string;
  /** record_changes only (migration 003): the JSON of `PreviousValues`. */
  previous?: string | null;
}

interface RecordChangeRow extends ChangeRow {
  entity_key: string;
}

export function createChangeLog(db: Knex) {
  const log = {
    /** Appends one entry; `trx` is the correction's own transaction, which holds the record's lock by now. */
    async append(trx: Knex.Transaction, key: string, fields: readonly string[], note: ChangeNote, previous: PreviousValues | null = null): Promise<void> {
      const { changedAt } = stampedNow(note);
      await trx('record_changes').insert({
        entity_key: key,
        fields: JSON.stringify(fields),
        previous: previous && JSON.stringify(previous),
        reason: note.reason,
        objection_id: note.objectionId,
        changed_by: note.changedBy,
        changed_at: changedAt,
      });
    },
    /**
     * Corrects one record and logs the change, in one transaction: the row is locked while
     * `decide` compares the correction with it, so two operators' corrections cannot interleave.
     * Null when no record has that key.
     */
    async correct<Row, Entity, Values extends object>(
      record: {
        table: string; keyColumn: string; key: string; read: (row: Row) => Entity;
        /** The row's columns the values change (none: the row stays as it is). */
        write: (values: Values) => Record<string, unknown>;
        /** What else the values change beside the row, in the same transaction (a project's parcel links). */
        writeBeside?: (values: Values, trx: Knex.Transaction) => Promise<void>;
      },
      /** `trx`: the correction's transaction, to read what else the decision rests on (a project's approval steps) under the lock. */
      decide: (current: Entity, trx: Knex.Transaction) => CorrectionDecided<Values> | Promise<CorrectionDecided<Values>>,
      note: ChangeNote,
    ): Promise<Entity | null> {
      return writeTransaction(db, async (trx) => {
        const row: Row | undefined = await trx(record.table).where(record.keyColumn, record.key).forUpdate().first();
        if (!row) return null;
        const current = record.read(row);
        const { values, fields, previous } = await decide(current, trx);
        const columns = record.write(values);
        if (Object.keys(columns).length) await trx(record.table).where(record.keyColumn, record.key).update(columns);
        await record.writeBeside?.(values, trx);
        await log.append(trx, record.key, fields, note, previous);
        return { ...current, ...values };
      });
    },
    /** The entries in a window (`entriesIn`). */
    async since(window: ChangeWindow): Promise<RecordChange[]> {
      const rows: RecordChangeRow[] = await entriesIn(db('record_changes'), window, 'entity_key');
      return rows.map((row) => changeOfRow(row, row.entity_key));
    },
  };
  return log;
}
export type ChangeLog = ReturnType<typeof createChangeLog>;

/** The log's table, a migration of each department that keeps one (the same in each, but for the length of its keys). */
export const recordChangesMigrationFor = (keyLength: number): Migration => ({
  name: '002_record_changes',
  async up(db) {
    await db.schema.createTable('record_changes', (t) => {
      t.increments('id');
      t.string('entity_key', keyLength).notNullable();
      // The names of the fields whose value changed, as a JSON array.
      t.text('fields').notNullable();
      t.string('reason', 500).notNullable();
      t.string('objection_id', 64).nullable();
      t.string('changed_by', 100).notNullable();
      // ISO 8601 in UTC with milliseconds: compared as strings, the same on SQLite and MySQL.
      t.string('changed_at', 30).notNullable().index();
    });
  },
  async down(db) {
    await db.schema.dropTable('record_changes');
  },
});

/**
 * The values a correction replaced, kept beside it, so that the owner can undo a wrong correction and
 * the citizen see what their record said. Entries logged before it have none (null).
 */
export const recordChangesPreviousMigration: Migration = {
  name: '003_record_changes_previous',
  async up(db) {
    await db.schema.alterTable('record_changes', (t) => {
      t.text('previous').nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('record_changes', (t) => {
      t.dropColumn('previous');
    });
  },
};

/** For the records keyed by an idNumber or a uscc (18 characters). */
export const recordChangesMigration = recordChangesMigrationFor(18);
