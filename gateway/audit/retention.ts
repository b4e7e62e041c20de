import type { Knex } from 'knex';
import { RETENTION_DAYS } from '../migrations/002_audit_trail';
import type { AuditRow } from './record';
import { subjectSql } from './subject-index';

export interface PurgeReport {
  /** Records removed, with their rows in the index of who was read. */
  removed: number;
  /** The trail now starts after this record; null when nothing was past retention. */
  through: number | null;
}

export const DAY_MS = 86_400_000;
/** Records removed per transaction: the first purge of a long-running trail is years of records. */
const PURGE_BATCH = 10_000;

/**
 * Removes the records kept longer than the three-year retention (PIPL art. 56 asks at least three
 * years; keeping them for ever is keeping personal data without a purpose), with their rows in the
 * index of who was read. Only a prefix of the trail: from the first record up to the first one still
 * inside the retention, and never the last record (the chain's head), so what remains is a chain
 * `audit:verify` checks from its first record on. Batch by batch, each in one transaction with a
 * row in `audit_purges` saying where it cut the trail and that record's hash, so verify tells a
 * purge from a removal however far a purge got. A day's margin keeps the store's own triggers,
 * which refuse removing anything younger, from refusing a record this clock thinks old enough.
 */
export async function purgeExpiredRecords(db: Knex, now = new Date(), batch = PURGE_BATCH): Promise<PurgeReport> {
  const cutoff = new Date(now.getTime() - (RETENTION_DAYS + 1) * DAY_MS).toISOString();
  const last = await db('audit_trail').max({ seq: 'seq' }).first();
  if (last?.seq == null) return { removed: 0, through: null };
  const young = await db('audit_trail').where('at', '>=', cutoff).min({ seq: 'seq' }).first();
  const through = Math.min(Number(last.seq), young?.seq == null ? Infinity : Number(young.seq)) - 1;
  const first = await db('audit_trail').min({ seq: 'seq' }).first();
  const { removal } = subjectSql(db);
  let removed = 0;
  let cutAt: number | null = null;
  for (let from = Number(first!.seq); from <= through; from += batch) {
    const to = Math.min(through, from + batch - 1);
    const done = await db.transaction(async (trx) => {
      const cut: AuditRow | undefined = await trx('audit_trail').where('seq', to).first();
      if (!cut) return null; // a gap behind the triggers: not the purge's to paper over
      // Index rows first, found through the records (the index has no key by record): a row whose
      // record is gone would be reported as unexplained. A row the record does not name (forged) is
      // left, and still reported.
      await trx.raw(removal, [from - 1, to]);
      const n = await trx('audit_trail').where('seq', '<=', to).delete();
      // The cut record proves the cut (its hash recomputed, its age read): only the latest is kept.
      const { hash, ...record } = cut;
      await trx('audit_purges').whereNotNull('through_record').update({ through_record: null });
      await trx('audit_purges').insert({ through_seq: to, through_hash: hash, through_record: JSON.stringify({ ...record, seq: Number(record.seq) }), removed: n, purged_at: now.toISOString() });
      return n;
    });
    if (done === null) break;
    removed += done;
    cutAt = to;
  }
  return { removed, through: cutAt };
}
