import type { Knex } from 'knex';
import { checkIdNumber, checkUscc } from '../../shared/identifiers';
import { ImportRules, insertRows, Judged, RawRecord, recordFields, StoredRecord } from '../../shared/importing';
import { CREDIT_CHANGE, creditChangeRow, SUBJECT_FIELD, SubjectType } from './store';

const KINDS = ['BLACKLIST', 'REDLIST', 'ADMINISTRATIVE_PENALTY', 'ADMINISTRATIVE_LICENCE'] as const;

export interface CreditEntryImportRow {
  entry: {
    subject_type: SubjectType;
    subject_key: string;
    kind: string;
    reason: string;
    authority: string;
    document_number: string;
    decided_on: string;
    expires_on: string | null;
  };
}

type EntryColumns = { subject_type: SubjectType; subject_key: string; kind: string; document_number: string };

/**
 * One decision about one subject: the same document cannot be recorded twice for the same subject
 * and kind. The subject is told by its field as well as its key ("uscc 9135…"): a person and a
 * company can share a key.
 */
const entryKey = (e: EntryColumns) => `${SUBJECT_FIELD[e.subject_type]} ${e.subject_key} ${e.kind} ${e.document_number}`;

/**
 * One credit entry about a natural person (`idNumber`) or a legal person (`uscc`): exactly one of
 * the two. The subjects are other departments' records, so their keys are checked by format only.
 */
export function judgeCreditEntry(record: RawRecord): Judged<CreditEntryImportRow> {
  const f = recordFields(record);
  const { subjectType, subjectKey, kind, documentNumber } = entryNamed(f);
  const reason = f.text('reason', 200, { lineBreaks: true });
  const authority = f.text('authority', 60);
  const decidedOn = f.date('decidedOn');
  const expiresOn = f.optional('expiresOn', (n) => f.date(n, { past: false }));
  if (expiresOn !== null && f.valid('decidedOn', 'expiresOn') && expiresOn < decidedOn) {
    f.complain(`expiresOn ${expiresOn} is before decidedOn ${decidedOn}`);
  }

  return f.result(() => ({
    entry: {
      subject_type: subjectType,
      subject_key: subjectKey,
      kind,
      reason,
      authority,
      document_number: documentNumber,
      decided_on: decidedOn,
      expires_on: expiresOn,
    },
  }));
}

/**
 * What names the entry: its subject (exactly one of idNumber and uscc), kind and documentNumber,
 * read (and complained of) as the judge reads them. `named` is false when any of them is at fault.
 */
function entryNamed(f: ReturnType<typeof recordFields>) {
  const person = f.present('idNumber');
  const company = f.present('uscc');
  let subjectType: SubjectType = 'NATURAL_PERSON';
  let subjectKey = '';
  const subjectField = person === company ? null : person ? 'idNumber' : 'uscc';
  if (!subjectField) {
    f.complain(person ? 'give idNumber or uscc, not both' : 'idNumber (a natural person) or uscc (a legal person) is required');
  } else if (subjectField === 'idNumber') {
    subjectKey = f.identifier('idNumber', checkIdNumber);
  } else {
    subjectType = 'LEGAL_PERSON';
    subjectKey = f.identifier('uscc', checkUscc);
  }
  const kind = f.choice('kind', KINDS);
  const documentNumber = f.text('documentNumber', 60);
  return { subjectType, subjectKey, kind, documentNumber, named: !!subjectField && f.valid(subjectField, 'kind', 'documentNumber') };
}

/** The entry a row names, as `judgeCreditEntry` reads it; null where that is at fault too. */
function entryOfRecord(record: RawRecord): string | null {
  const { subjectType, subjectKey, kind, documentNumber, named } = entryNamed(recordFields(record));
  return named ? entryKey({ subject_type: subjectType, subject_key: subjectKey, kind, document_number: documentNumber }) : null;
}

/** Which of these entries the store holds: asked by their subjects' keys (an entry key's second word), 500 a query. */
async function entriesInStore(db: Knex, entries: readonly string[]): Promise<Set<string>> {
  const subjects = [...new Set(entries.map((entry) => entry.split(' ')[1]))];
  const stored = new Set<string>();
  for (let i = 0; i < subjects.length; i += 500) {
    const rows = await db('credit_entries').select('subject_type', 'subject_key', 'kind', 'document_number').whereIn('subject_key', subjects.slice(i, i + 500));
    for (const row of rows) stored.add(entryKey(row));
  }
  return new Set(entries.filter((entry) => stored.has(entry)));
}

/** The stored entries about these rows' subjects, by entry, with the columns a load writes. */
async function storedEntries(db: Knex, rows: readonly CreditEntryImportRow[]): Promise<Map<string, StoredRecord>> {
  const subjects = [...new Set(rows.map((r) => r.entry.subject_key))];
  const found = new Map<string, StoredRecord>();
  if (!rows.length) return found;
  const columns = Object.keys(rows[0].entry);
  for (let i = 0; i < subjects.length; i += 500) {
    const stored = await db('credit_entries').select(columns).whereIn('subject_key', subjects.slice(i, i + 500));
    stored.forEach((e) => found.set(entryKey(e), e));
  }
  return found;
}

/**
 * A subject with entries has a profile row: its type, and the rating on file, which entries alone
 * do not give (a new subject has none; a stored one keeps its own). Whether it is on the blacklist
 * or the redlist is worked out from its entries when read (`store.ts`), so nothing here goes stale.
 */
async function ensureProfiles(db: Knex, rows: readonly CreditEntryImportRow[]): Promise<void> {
  const profiles = [...new Map(rows.map(({ entry: { subject_type, subject_key } }) => [`${subject_type} ${subject_key}`, { subject_type, subject_key, rating: null }])).values()];
  for (let i = 0; i < profiles.length; i += 500) {
    await db('credit_profiles').insert(profiles.slice(i, i + 500)).onConflict(['subject_type', 'subject_key']).ignore();
  }
}

/**
 * 信用库 loads credit entries into credit_entries, and gives a subject it had no profile for one, in
 * the same transaction.
 */
export const creditEntryImport: ImportRules<CreditEntryImportRow> = {
  entity: 'credit entries',
  keyField: 'entry (subject, kind, documentNumber)',
  fields: {
    required: ['kind', 'reason', 'authority', 'documentNumber', 'decidedOn'],
    optional: ['idNumber', 'uscc', 'expiresOn'],
    note: 'exactly one of idNumber, for a natural person, or uscc, for a legal person',
    // A CSV without either column names no subject on any row: refused as a header, not row by row.
    oneOf: [['idNumber', 'uscc']],
  },
  judge: judgeCreditEntry,
  keyOf: (row) => entryKey(row.entry),
  keyOfRecord: entryOfRecord,
  storedKeys: entriesInStore,
  asStored: (row) => row.entry,
  storedRows: storedEntries,
  async insert(db, rows) {
    await insertRows(db, 'credit_entries', rows.map((r) => r.entry));
    await ensureProfiles(db, rows);
    // Logged for change notices in the same transaction: a subject blacklisted since a consumer read it.
    const note = { objectionId: null, changedBy: 'npm run import', changedAt: new Date().toISOString() };
    await insertRows(db, 'credit_changes', rows.map(({ entry }) => creditChangeRow(entry.subject_type, entry.subject_key, CREDIT_CHANGE.RECORDED, note, entry.kind)));
  },
};
