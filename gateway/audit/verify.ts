import type { Knex } from 'knex';
import { usesMysql } from '../../shared/db';
import { RETENTION_DAYS } from '../migrations/002_audit_trail';
import { auditPurgeProofs } from '../migrations/014_audit_purge_proofs';
import { AuditRow, chainHash, GENESIS_HASH } from './record';
import { DAY_MS } from './retention';
import { rowsOf, subjectSql } from './subject-index';

export type ChainProblem =
  | { kind: 'CHANGED'; seq: number; message: string }
  | { kind: 'REMOVED'; seq: number; message: string }
  | { kind: 'REORDERED'; seq: number; message: string }
  | { kind: 'REWRITTEN'; seq: number; message: string };

/**
 * A record's hash as an auditor read it once and kept outside the database (`audit:verify` prints
 * the head to keep). The chain alone proves only that it is consistent: someone who can write the
 * store behind its triggers can rewrite a record and every hash after it. A kept hash proves that
 * the record, and through the links every record before it, is still what it was.
 */
export interface ChainAnchor {
  seq: number;
  hash: string;
}

/** `seq:hash` as `audit:verify` prints it, or a message naming what is wrong with it. */
export function parseAnchor(text: string): ChainAnchor | { error: string } {
  // Upper-case hex is the same hash: a head copied through another tool may come back so.
  const match = /^(\d{1,15}):([0-9a-f]{64})$/.exec(text.trim().toLowerCase());
  if (!match || Number(match[1]) < 1) {
    return { error: `"${text.slice(0, 90)}" is not a kept head: expected <record>:<64 hex digits>, as audit:verify prints it` };
  }
  return { seq: Number(match[1]), hash: match[2] };
}

export interface ChainReport {
  records: number;
  problem: ChainProblem | null;
  /**
   * The first record in the trail. Records before it were removed by a retention purge, which kept
   * where it cut the trail and that record's hash (`audit_purges`): the chain is verified from it,
   * behind that hash. Records removed before it any other way are a REMOVED problem.
   */
  from: number;
  /** When the purge that cut the trail at `from` ran; null when the trail starts at record 1. */
  purgedAt: string | null;
  /**
   * The record that purge cut after, as the purge kept it: its hash recomputed and its age read,
   * it proves the cut was a retention purge. Null for a purge made before purges kept one (014).
   */
  purgeProof: { at: string } | null;
  /** The last record: what to keep outside the database and pass as an anchor next time. */
  head: ChainAnchor | null;
  /** The anchors that vouch for the trail up to them; those removed under retention vouch for nothing now. */
  anchors: { matched: number[]; purged: number[] };
}

/**
 * Walks the chain in order and names the first record that was changed (its hash no longer
 * matches its content), removed (a gap in the sequence, or the head points past the end) or
 * reordered (it no longer follows the hash before it); then checks each anchor kept outside the
 * database, and names a record whose hash is no longer the one kept (rewritten).
 */
export async function verifyAuditChain(db: Knex, options: { anchors?: ChainAnchor[]; pageSize?: number; now?: Date } = {}): Promise<ChainReport> {
  const pageSize = options.pageSize ?? 5000;
  const anchors = new Map((options.anchors ?? []).map((a) => [a.seq, a.hash]));
  const first = await db('audit_trail').min({ seq: 'seq' }).first();
  const from = first?.seq == null ? 1 : Number(first.seq);
  let expectedSeq = from;
  let records = 0;
  const matched: number[] = [];
  let purgedAt: string | null = null;
  let purgeProof: ChainReport['purgeProof'] = null;
  const report = (problem: ChainProblem | null, head: ChainAnchor | null): ChainReport => ({
    records, problem, from, purgedAt: problem ? null : purgedAt, purgeProof: problem ? null : purgeProof, head,
    anchors: { matched, purged: [...anchors.keys()].filter((seq) => seq < from).sort((a, b) => a - b) },
  });
  // A trail that starts later than record 1 follows where a retention purge cut it, or was cut behind the triggers.
  let prevHash = GENESIS_HASH;
  if (from > 1) {
    const purge = await db('audit_purges').where('through_seq', from - 1).orderBy('id', 'desc').first();
    if (!purge) {
      return report({ kind: 'REMOVED', seq: 1, message: `records 1 to ${from - 1} were removed, and no retention purge removed them` }, null);
    }
    const unproven = purgeCutProblem(purge, from - 1, options.now ?? new Date(), await proofsKeptSince(db));
    if (unproven) return report({ kind: 'REMOVED', seq: 1, message: `records 1 to ${from - 1} were removed, and the retention purge said to have removed them (${purge.purged_at}) is not one: ${unproven}` }, null);
    prevHash = purge.through_hash;
    purgedAt = purge.purged_at;
    purgeProof = purge.through_record ? { at: (JSON.parse(purge.through_record) as AuditRow).at } : null;
  }
  for (;;) {
    const rows: AuditRow[] = await db('audit_trail').where('seq', '>=', expectedSeq).orderBy('seq').limit(pageSize);
    for (const raw of rows) {
      const row = { ...raw, seq: Number(raw.seq) };
      if (row.seq !== expectedSeq) {
        return report({ kind: 'REMOVED', seq: expectedSeq, message: `record ${expectedSeq} was removed (the next record is ${row.seq})` }, null);
      }
      const { hash, ...content } = row;
      // Partial subjects (019) came after grants (016): a record naming them without grants was
      // changed. (Each is left out of the hash where null, so the two swapped hash alike.)
      if (chainHash(content) !== hash || (row.partial_subjects != null && row.grants == null)) {
        return report({ kind: 'CHANGED', seq: row.seq, message: `record ${row.seq} was changed or moved: its content no longer matches its hash` }, null);
      }
      if (row.prev_hash !== prevHash) {
        return report({ kind: 'REORDERED', seq: row.seq, message: `record ${row.seq} does not follow record ${row.seq - 1}: the chain was reordered or rewritten` }, null);
      }
      const kept = anchors.get(row.seq);
      if (kept !== undefined) {
        if (kept !== hash) {
          return report({
            kind: 'REWRITTEN', seq: row.seq,
            message: `record ${row.seq} no longer has the hash kept outside the database (${kept.slice(0, 16)}…, now ${hash.slice(0, 16)}…): the chain was rewritten up to it`,
          }, null);
        }
        matched.push(row.seq);
      }
      prevHash = hash;
      expectedSeq += 1;
      records += 1;
    }
    if (rows.length < pageSize) break;
  }
  const last = expectedSeq - 1;
  const head = await db('audit_chain').where('id', 1).first();
  if (head && Number(head.last_seq) >= expectedSeq) {
    return report({ kind: 'REMOVED', seq: expectedSeq, message: `records ${expectedSeq} to ${head.last_seq} were removed from the end` }, null);
  }
  if (head && Number(head.last_seq) === last && last > 0 && head.last_hash !== prevHash) {
    return report({ kind: 'CHANGED', seq: last, message: `record ${last} was changed: the chain head no longer matches it` }, null);
  }
  // The index of who was read is a second witness of the end: its mark moves only past records
  // that were in the trail. (A head rewound along with the removal hides it from the check above.)
  const indexed = await db('audit_subjects_progress').where('id', 1).first('indexed_seq');
  if (indexed && Number(indexed.indexed_seq) > last) {
    return report({ kind: 'REMOVED', seq: last + 1, message: `records ${last + 1} to ${indexed.indexed_seq} were removed from the end: the index of who was read had covered them` }, null);
  }
  const beyond = [...anchors.keys()].filter((seq) => seq > last).sort((a, b) => a - b)[0];
  if (beyond !== undefined) {
    return report({ kind: 'REMOVED', seq: beyond, message: `record ${beyond}, whose hash was kept outside the database, is past the end of the trail (record ${last}): records were removed from the end` }, null);
  }
  return report(null, records > 0 ? { seq: last, hash: prevHash } : null);
}

/** When this store began keeping each purge's proof (migration 014 ran), in ms; null if it has no record of it. */
export async function proofsKeptSince(db: Knex): Promise<number | null> {
  // On MySQL the column is a TIMESTAMP, read as text without its zone (dateStrings): the server
  // says the instant itself, so a verify run in another time zone than the migration reads the same.
  const ran = usesMysql(db)
    ? await db('knex_migrations').where('name', auditPurgeProofs.name).first(db.raw('UNIX_TIMESTAMP(`migration_time`) * 1000 AS `ms`'))
    : await db('knex_migrations').where('name', auditPurgeProofs.name).first({ ms: 'migration_time' });
  const at = ran ? Number(ran.ms) : NaN;
  return Number.isFinite(at) ? at : null;
}

/**
 * Why a purge row does not prove the cut it claims, or null when it does (or predates proofs): the
 * record it kept must hash to the cut's hash, and must have been past the retention when the purge
 * ran, which cannot be later than now (a day's leeway for clocks). A row written behind the
 * triggers to pass off the removal of young records fails here: no other record has that hash.
 * Without a record kept, the row is taken on its word only when it is dated before this store kept
 * proofs (`proofsSince`, when migration 014 ran): a row without one written since, or dated in the
 * future, would otherwise pass off any removal.
 */
function purgeCutProblem(purge: { through_hash: string; through_record: string | null; purged_at: string }, cut: number, now: Date, proofsSince: number | null): string | null {
  const purgedAt = Date.parse(purge.purged_at);
  if (!(purgedAt <= now.getTime() + DAY_MS)) return `it is dated ${purge.purged_at}, in the future`;
  if (purge.through_record == null) {
    if (proofsSince !== null && purgedAt < proofsSince) return null;
    return 'it keeps no record to prove its cut, though purges have kept one since this store was migrated to do so (migration 014)';
  }
  let record: Omit<AuditRow, 'hash'>;
  try {
    record = JSON.parse(purge.through_record);
  } catch {
    return `the record it kept as its proof cannot be read`;
  }
  if (record.seq !== cut || chainHash(record) !== purge.through_hash) return `the record it kept as its proof is not record ${cut} (its hash is not the cut's)`;
  if (!(Date.parse(record.at) <= purgedAt - RETENTION_DAYS * DAY_MS)) {
    return `record ${cut}, the last it removed, was written ${record.at}, within the three-year retention of the purge's date`;
  }
  return null;
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

  // Which row of that record: one more scan of the index, which has no key by record (migration 021).
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
export async function verifyAuditTrail(db: Knex, anchors: ChainAnchor[] = []): Promise<TrailReport> {
  const chain = await verifyAuditChain(db, { anchors });
  return { chain, index: chain.problem ? null : await verifySubjectIndex(db) };
}
