import type { Knex } from 'knex';
import { RETENTION_DAYS } from '../migrations/002_audit_trail';

export interface PurgeReport {
  /** Records removed, with their rows in the index of who was read. */
  removed: number;
  /** The trail now starts after this record; null when nothing was past retention. */
  through: number | null;
}

const DAY_MS = 86_400_000;

/**
 * Removes the records kept longer than the three-year retention (PIPL art. 56 asks at least three
 * years; keeping them for ever is keeping personal data without a purpose), with their rows in the
 * index of who was read. Only a prefix of the trail: from the first record up to the first one still
 * inside the retention, and never the last record (the chain's head), so what remains is a chain
 * `audit:verify` checks from its first record on; where it was cut is kept (`audit_purges`), in the
 * same transaction, so verify tells a purge from a removal. A day's margin keeps the store's own
 * triggers, which refuse removing anything younger, from refusing a record this clock thinks old
 * enough. One transaction: run daily, a purge is a day of records.
 */
export async function purgeExpiredRecords(db: Knex, now = new Date()): Promise<PurgeReport> {
  const cutoff = new Date(now.getTime() - (RETENTION_DAYS + 1) * DAY_MS).toISOString();
  return db.transaction(async (trx) => {
    const last = await trx('audit_trail').max({ seq: 'seq' }).first();
    if (last?.seq == null) return { removed: 0, through: null };
    const young = await trx('audit_trail').where('at', '>=', cutoff).min({ seq: 'seq' }).first();
    const through = Math.min(Number(last.seq), young?.seq == null ? Infinity : Number(young.seq)) - 1;
    const cut = await trx('audit_trail').where('seq', through).first('hash');
    if (!cut) return { removed: 0, through: null }; // nothing before it is left to remove
    // Index rows first: a row whose record is gone would be reported as unexplained.
    await trx('audit_subjects').where('seq', '<=', through).delete();
    const removed = await trx('audit_trail').where('seq', '<=', through).delete();
    await trx('audit_purges').insert({ through_seq: through, through_hash: cut.hash, removed, purged_at: now.toISOString() });
    return { removed, through };
  });
}
