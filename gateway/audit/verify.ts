import type { Knex } from 'knex';
import { usesMysql } from '../../shared/db';
import { AuditRow, chainHash, GENESIS_HASH } from './record';
import { rowsOf, subjectSql } from './subject-index';

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

export type IndexProblem =
  | { kind: 'MISSING'; seq: number; idNumber: string; message: string }
  | { kind: 'UNEXPLAINED'; seq: number; idNumber: string; message: string };

export interface IndexReport {
  /** The index claims to cover the records up to this one (`audit_subjects_progress`). */
  indexedSeq: number;
  problem: IndexProblem | null;
}

/**
 * Checks `audit_subjects`, through which `accessLog` finds a person's records, against the trail
 * it is derived from: a row missing hides a read from the person and the auditor, a row the trail
 * does not name attributes a read to the wrong person. The chain cannot show either: the index is
 * outside it. Names the first record (and idNumber) where either happens.
 *
 * Set-based inside the database (the trail's subjects expanded by the same SQL the index pass
 * writes the rows with), so that nothing but the answer crosses the wire however long the trail.
 * No transaction is needed for a consistent answer: rows are only ever added, together with the
 * progress mark moving past their records, so records at or below a mark read earlier keep theirs.
 */
export async function verifySubjectIndex(db: Knex): Promise<IndexReport> {
  const mysql = usesMysql(db);
  const sql = subjectSql(db);
  const progress = await db('audit_subjects_progress').where('id', 1).first('indexed_seq');
  const indexedSeq = Number(progress?.indexed_seq ?? 0);

  // A subject a covered record names (by the pass's own rule) without its row. The anti-join is a
  // primary-key lookup per subject, and only the rows it finds are sorted.
  const [missing] = rowsOf<{ seq: number | string; id_number: string }>(await db.raw(
    `SELECT \`t\`.\`seq\` AS \`seq\`, ${sql.subject} AS \`id_number\` ${sql.subjects} AND ${sql.fits} ` +
    `AND NOT EXISTS (SELECT 1 FROM \`audit_subjects\` AS \`x\` WHERE \`x\`.\`id_number\` = ${sql.subject} AND \`x\`.\`seq\` = \`t\`.\`seq\`) ORDER BY 1, 2 LIMIT 1`,
    [0, indexedSeq],
  ), mysql);

  // A row the trail does not name. The index has no key by record, so rows are counted per record
  // in one scan and compared with the distinct idNumbers the record names: more rows than that and
  // one of them (rows are distinct) is not named. Rows past the covered records are counted too (one
  // for a record not in the trail is found at once), though there a row not yet written can mask a
  // forged one until the record is indexed, as it is before `accessLog` answers from it.
  const [surplus] = rowsOf<{ seq: number | string }>(await db.raw(
    'SELECT `r`.`seq` AS `seq` FROM (SELECT `seq`, COUNT(*) AS `n` FROM `audit_subjects` GROUP BY `seq`) AS `r` ' +
    `WHERE \`r\`.\`n\` > (SELECT COUNT(DISTINCT ${sql.subject}) ${sql.named} WHERE \`t\`.\`seq\` = \`r\`.\`seq\` AND ${sql.fits}) ORDER BY 1 LIMIT 1`,
  ), mysql);

  const missingSeq = missing ? Number(missing.seq) : Infinity;
  const surplusSeq = surplus ? Number(surplus.seq) : Infinity;
  if (missing && missingSeq <= surplusSeq) {
    const idNumber = missing.id_number;
    return {
      indexedSeq,
      problem: { kind: 'MISSING', seq: missingSeq, idNumber, message: `record ${missingSeq} names ${idNumber}, but the index of who was read has no row for it (missing): accessLog hides this read` },
    };
  }
  if (!surplus) return { indexedSeq, problem: null };

  // Which row of that record, found by a scan of the index for that record alone.
  const [unexplained] = rowsOf<{ id_number: string }>(await db.raw(
    'SELECT `x`.`id_number` AS `id_number` FROM `audit_subjects` AS `x` WHERE `x`.`seq` = ? ' +
    `AND NOT EXISTS (SELECT 1 ${sql.named} WHERE \`t\`.\`seq\` = \`x\`.\`seq\` AND ${sql.fits} AND ${sql.subject} = \`x\`.\`id_number\`) ORDER BY 1 LIMIT 1`,
    [surplusSeq],
  ), mysql);
  const idNumber = unexplained?.id_number ?? '(one of its rows)';
  const exists = await db('audit_trail').where('seq', surplusSeq).first('seq');
  const record = exists ? `record ${surplusSeq} does not name ${idNumber}` : `record ${surplusSeq} is not in the trail`;
  return {
    indexedSeq,
    problem: { kind: 'UNEXPLAINED', seq: surplusSeq, idNumber, message: `${record}, but the index of who was read has a row for ${idNumber} in it (unexplained): accessLog shows a read that did not happen` },
  };
}

export interface TrailReport {
  chain: ChainReport;
  /** Null where the chain is broken: the index is checked against an intact trail only. */
  index: IndexReport | null;
}

/** What `audit:verify` checks: the chain, then (if it is intact) the index of who was read against it. */
export async function verifyAuditTrail(db: Knex): Promise<TrailReport> {
  const chain = await verifyAuditChain(db);
  return { chain, index: chain.problem ? null : await verifySubjectIndex(db) };
}
