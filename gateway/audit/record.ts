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
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/**
 * The fields read, as a record keeps them: one sorted list when every subject had the same fields
 * read (a page of persons, a batch of verifications: the common case, kept as short as it was),
 * and otherwise each subject's own, so that a person's access log never shows a field read about
 * someone else in the same request.
 */
export function fieldsRead(bySubject: ReadonlyMap<string, ReadonlySet<string>>): string[] | Record<string, string[]> {
  const lists = new Map([...bySubject].map(([subject, fields]) => [subject, [...fields].sort()]));
  const [first] = lists.values();
  const same = [...lists.values()].every((l) => l.length === first.length && l.every((f, i) => f === first[i]));
  return same ? first ?? [] : Object.fromEntries(lists);
}

/** The fields a record says were read about `subject`: its own list, or the one list of the record. */
export function fieldsReadAbout(stored: string, subject: string): string[] {
  const fields = JSON.parse(stored) as string[] | Record<string, string[]>;
  return Array.isArray(fields) ? fields : fields[subject] ?? [];
}

/** Every field a record says was read, about any of its subjects. */
export function fieldsReadAtAll(stored: string): string[] {
  const fields = JSON.parse(stored) as string[] | Record<string, string[]>;
  return Array.isArray(fields) ? fields : [...new Set(Object.values(fields).flat())].sort();
}
