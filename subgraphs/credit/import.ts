import type { Knex } from 'knex';
import { checkIdNumber, checkUscc, today } from '../../shared/identifiers';
import { ImportRules, insertRows, Judged, RawRecord, recordFields, StoredRecord } from '../../shared/importing';

const KINDS = ['BLACKLIST', 'REDLIST', 'ADMINISTRATIVE_PENALTY', 'ADMINISTRATIVE_LICENCE'] as const;

type SubjectType = 'NATURAL_PERSON' | 'LEGAL_PERSON';

export interface CreditEntryImportRow {
  subjectType: SubjectType;
  entry: {
    subject_key: string;
    kind: string;
    reason: string;
    authority: string;
    document_number: string;
    decided_on: string;
    expires_on: string | null;
  };
}

/** One decision about one subject: the same document cannot be recorded twice for the same subject and kind. */
const entryKey = (e: { subject_key: string; kind: string; document_number: string }) => `${e.subject_key} ${e.kind} ${e.document_number}`;

/**
 * One credit entry about a natural person (`idNumber`) or a legal person (`uscc`): exactly one of
 * the two. The subjects are other departments' records, so their keys are checked by format only.
 */
export function judgeCreditEntry(record: RawRecord): Judged<CreditEntryImportRow> {
  const f = recordFields(record);
  const person = f.present('idNumber');
  const company = f.present('uscc');
  let subjectType: SubjectType = 'NATURAL_PERSON';
  let subjectKey = '';
  if (person === company) {
    f.complain(person ? 'give idNumber or uscc, not both' : 'idNumber (a natural person) or uscc (a legal person) is required');
  } else if (person) {
    subjectKey = f.identifier('idNumber', checkIdNumber);
  } else {
    subjectType = 'LEGAL_PERSON';
    subjectKey = f.identifier('uscc', checkUscc);
  }
  const kind = f.choice('kind', KINDS);
  const reason = f.text('reason', 200, { lineBreaks: true });
  const authority = f.text('authority', 60);
  const documentNumber = f.text('documentNumber', 60);
  const decidedOn = f.date('decidedOn');
  const expiresOn = f.optional('expiresOn', (n) => f.date(n, { past: false }));
  if (expiresOn !== null && f.valid('decidedOn', 'expiresOn') && expiresOn < decidedOn) {
    f.complain(`expiresOn ${expiresOn} is before decidedOn ${decidedOn}`);
  }

  return f.result(() => ({
    subjectType,
    entry: {
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
 * A subject with entries has a profile row: its type and the rating on file (entries alone do not
 * rate a subject, so a rating stays as it was). The flags written here are the entries in force
 * today, kept for reference; what is answered is worked out when read (`store.ts`), so it does not
 * go stale, and a blacklisted legal person is answered D there without its rating being overwritten.
 */
async function recomputeProfiles(db: Knex, rows: readonly CreditEntryImportRow[]): Promise<void> {
  const types = new Map(rows.map((r) => [r.entry.subject_key, r.subjectType]));
  const subjects = [...types.keys()];
  const now = today();
  for (let i = 0; i < subjects.length; i += 500) {
    const chunk = subjects.slice(i, i + 500);
    const inForce: { subject_key: string; kind: string }[] = await db('credit_entries')
      .select('subject_key', 'kind')
      .whereIn('subject_key', chunk)
      .andWhere((q) => q.whereNull('expires_on').orWhere('expires_on', '>=', now));
    const ratings = new Map<string, string | null>();
    for (const p of await db('credit_profiles').select('subject_key', 'rating').whereIn('subject_key', chunk)) ratings.set(p.subject_key, p.rating);
    const profiles = chunk.map((key) => {
      const kinds = new Set(inForce.filter((e) => e.subject_key === key).map((e) => e.kind));
      const onBlacklist = kinds.has('BLACKLIST');
      const subjectType = types.get(key)!;
      const rating = subjectType === 'LEGAL_PERSON' ? (ratings.get(key) ?? null) : null;
      return { subject_key: key, subject_type: subjectType, on_blacklist: onBlacklist, on_redlist: !onBlacklist && kinds.has('REDLIST'), rating };
    });
    await db('credit_profiles').insert(profiles).onConflict('subject_key').merge();
  }
}

/**
 * 信用库 loads credit entries into credit_entries and brings the credit_profiles of the subjects
 * concerned up to date in the same transaction.
 */
export const creditEntryImport: ImportRules<CreditEntryImportRow> = {
  entity: 'credit entries',
  keyField: 'entry (subject, kind, documentNumber)',
  fields: {
    required: ['kind', 'reason', 'authority', 'documentNumber', 'decidedOn'],
    optional: ['idNumber', 'uscc', 'expiresOn'],
    note: 'exactly one of idNumber, for a natural person, or uscc, for a legal person',
  },
  judge: judgeCreditEntry,
  keyOf: (row) => entryKey(row.entry),
  asStored: (row) => row.entry,
  storedRows: storedEntries,
  async insert(db, rows) {
    await insertRows(db, 'credit_entries', rows.map((r) => r.entry));
    await recomputeProfiles(db, rows);
  },
};
