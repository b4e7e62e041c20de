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
  fields: string[];
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
