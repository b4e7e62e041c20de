import type { Knex } from 'knex';
import { AuditRow, chainHash, GENESIS_HASH } from './record';

export type ChainProblem =
  | { kind: 'CHANGED'; seq: number; message: string }
  | { kind: 'REMOVED'; seq: number; message: string }
  | { kind: 'REORDERED'; seq: number; message: string };

export interface ChainReport {
  records: number;
  problem: ChainProblem | null;
}

/**
 * Walks the chain in order and names the first record that was changed (its hash no longer
 * matches its content), removed (a gap in the sequence, or the head points past the end) or
 * reordered (it no longer follows the hash before it).
 */
export async function verifyAuditChain(db: Knex, pageSize = 5000): Promise<ChainReport> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let records = 0;
  for (;;) {
    const rows: AuditRow[] = await db('audit_trail').where('seq', '>=', expectedSeq).orderBy('seq').limit(pageSize);
    for (const raw of rows) {
      const row = { ...raw, seq: Number(raw.seq) };
      if (row.seq !== expectedSeq) {
        return { records, problem: { kind: 'REMOVED', seq: expectedSeq, message: `record ${expectedSeq} was removed (the next record is ${row.seq})` } };
      }
      const { hash, ...content } = row;
      if (chainHash(content) !== hash) {
        return { records, problem: { kind: 'CHANGED', seq: row.seq, message: `record ${row.seq} was changed or moved: its content no longer matches its hash` } };
      }
      if (row.prev_hash !== prevHash) {
        return { records, problem: { kind: 'REORDERED', seq: row.seq, message: `record ${row.seq} does not follow record ${row.seq - 1}: the chain was reordered or rewritten` } };
      }
      prevHash = hash;
      expectedSeq += 1;
      records += 1;
    }
    if (rows.length < pageSize) break;
  }
  const head = await db('audit_chain').where('id', 1).first();
  if (head && Number(head.last_seq) >= expectedSeq) {
    return { records, problem: { kind: 'REMOVED', seq: expectedSeq, message: `records ${expectedSeq} to ${head.last_seq} were removed from the end` } };
  }
  if (head && Number(head.last_seq) === expectedSeq - 1 && head.last_hash !== prevHash) {
    return { records, problem: { kind: 'CHANGED', seq: expectedSeq - 1, message: `record ${expectedSeq - 1} was changed: the chain head no longer matches it` } };
  }
  return { records, problem: null };
}
