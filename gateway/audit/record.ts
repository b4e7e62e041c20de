import { createHash } from 'node:crypto';

/** One read of personal data: who, why, when, which operation, whose data, which fields, how it ended. */
export interface AuditEntry {
  at: string;
  consumer: string;
  purpose: string | null;
  requestId: string;
  operationName: string | null;
  operationHash: string;
  subjects: string[];
  /** The fields read: one list for every subject, or each subject's own when they differ (`fieldsRead`). */
  fields: string[] | Record<string, string[]>;
  /** COMPLETE: everything asked was answered; PARTIAL: some fields were refused or failed. */
  outcome: 'COMPLETE' | 'PARTIAL';
  /** In a PARTIAL record, the subjects whose reads were partial, where they were not all (`partialSubjects`). */
  partialSubjects?: string[];
  /** The grants (ids) that allowed the conditional items read, as `fields` (`grantsRead`); none: it needed none. */
  grants?: number[] | Record<string, number[]>;
}

export interface AuditRow {
  seq: number;
  at: string;
  consumer_id: string;
  purpose: string | null;
  request_id: string;
  operation_name: string | null;
  operation_hash: string;
  subjects: string;
  fields: string;
  outcome: string;
  /** JSON list of grant ids (`[]`: none needed); null in records written before grants were kept (016). */
  grants: string | null;
  /** JSON list of the subjects whose reads were partial, where not all were (019); null: `outcome` is every subject's. */
  partial_subjects: string | null;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HASH = '0'.repeat(64);

/** The hash that chains a record: its position, its content and the hash before it. */
export function chainHash(row: Omit<AuditRow, 'hash'>): string {
  const content = [
    row.seq,
    row.at,
    row.consumer_id,
    row.purpose,
    row.request_id,
    row.operation_name,
    row.operation_hash,
    row.subjects,
    row.fields,
    row.outcome,
    row.prev_hash,
    // Left out where null, so that every record written before grants were kept hashes as it did.
    ...(row.grants == null ? [] : [row.grants]),
    // The same for the partial subjects (019), after grants, which every record that has them has too.
    ...(row.partial_subjects == null ? [] : [row.partial_subjects]),
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** What a record keeps of each subject: one list when every subject has the same, else each subject's own. */
type PerSubject<T> = T[] | Record<string, T[]>;

function perSubject<T>(bySubject: ReadonlyMap<string, ReadonlySet<T>>, order: (a: T, b: T) => number): PerSubject<T> {
  const lists = new Map([...bySubject].map(([subject, values]) => [subject, [...values].sort(order)]));
  const [first] = lists.values();
  const same = [...lists.values()].every((l) => l.length === first.length && l.every((f, i) => f === first[i]));
  return same ? first ?? [] : Object.fromEntries(lists);
}

const about = <T>(kept: PerSubject<T>, subject: string): T[] => (Array.isArray(kept) ? kept : kept[subject] ?? []);

const atAll = <T>(kept: PerSubject<T>, order: (a: T, b: T) => number): T[] =>
  Array.isArray(kept) ? kept : [...new Set(Object.values(kept).flat())].sort(order);

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byNumber = (a: number, b: number) => a - b;

/**
 * The fields read, as a record keeps them: one sorted list when every subject had the same fields
 * read (a page of persons, a batch of verifications: the common case, kept as short as it was),
 * and otherwise each subject's own, so that a person's access log never shows a field read about
 * someone else in the same request.
 */
export const fieldsRead = (bySubject: ReadonlyMap<string, ReadonlySet<string>>) => perSubject(bySubject, byText);

/** The fields a record says were read about `subject`: its own list, or the one list of the record. */
export const fieldsReadAbout = (stored: string, subject: string): string[] => about(JSON.parse(stored) as PerSubject<string>, subject);

/** Every field a record says was read, about any of its subjects. */
export const fieldsReadAtAll = (stored: string): string[] => atAll(JSON.parse(stored) as PerSubject<string>, byText);

/**
 * The grants each subject's items were read under (ids), kept as the fields are: a person's access
 * log names the grants behind what was read about them, not about someone else in the same answer.
 */
export const grantsRead = (bySubject: ReadonlyMap<string, ReadonlySet<number>>) => perSubject(bySubject, byNumber);

/** The grants a record names for `subject`; null for a record written before grants were kept (016). */
export const grantsReadAbout = (stored: string | null, subject: string): number[] | null =>
  stored == null ? null : about(JSON.parse(stored) as PerSubject<number>, subject);

/** Every grant a record names; null for a record written before grants were kept (016). */
export const grantsReadAtAll = (stored: string | null): number[] | null => (stored == null ? null : atAll(JSON.parse(stored) as PerSubject<number>, byNumber));

/**
 * What a record keeps of whose reads were partial: nothing where its outcome is every subject's
 * (COMPLETE, or PARTIAL for each of them), else the list of those whose reads were.
 */
export function partialSubjects(outcome: AuditEntry['outcome'], subjects: readonly string[], partial: ReadonlySet<string>): string[] | undefined {
  if (outcome === 'COMPLETE' || subjects.every((s) => partial.has(s))) return undefined;
  return subjects.filter((s) => partial.has(s));
}

/** The outcome a record gives for `subject`: its own where the record keeps whose reads were partial. */
export function outcomeAbout(outcome: string, partialSubjectsStored: string | null, subject: string): string {
  if (outcome !== 'PARTIAL' || partialSubjectsStored == null) return outcome;
  return (JSON.parse(partialSubjectsStored) as string[]).includes(subject) ? 'PARTIAL' : 'COMPLETE';
}
