import type { Knex } from 'knex';
import { RETENTION_DAYS } from '../migrations/002_audit_trail';

export interface PurgeReport {
  /** Records removed, with their rows in the index of who was read. */
  removed: number;
  /** The trail now starts after this record; null when nothing was past retention. */
  through: number | null;
}

/** How many records (and their index rows) one statement removes: the triggers check each row. */
const CHUNK = 10_000;
const DAY_MS = 86_400_000;

/**
 * Removes the records kept longer than the three-year retention (PIPL art. 56 asks at least three
 * years; keeping them for ever is keeping personal data without a purpose), with their rows in the
 * index of who was read. Only a prefix of the trail: from the first record up to the first one still
 * inside the retention, and never the last record (the chain's head), so what remains is a chain
 * `audit:verify` checks from its first record on. A day's margin keeps the store's own triggers,
 * which refuse removing anything younger, from refusing a record this clock thinks old enough.
 */
export async function purgeExpiredRecords(db: Knex, now = new Date()): Promise<PurgeReport> {
  const cutoff = new Date(now.getTime() - (RETENTION_DAYS + 1) * DAY_MS).toISOString();
  const last = await db('audit_trail').max({ seq: 'seq' }).first();
  if (last?.seq == null) return { removed: 0, through: null };
  const young = await db('audit_trail').where('at', '>=', cutoff).min({ seq: 'seq' }).first();
  const through = Math.min(Number(last.seq), young?.seq == null ? Infinity : Number(young.seq)) - 1;
  const first = await db('audit_trail').min({ seq: 'seq' }).first();
  let from = Number(first!.seq);
  if (through < from) return { removed: 0, through: null };
  let removed = 0;
  // Index rows first: a row whose record is gone would be reported as unexplained until it went too.
  for (; from <= through; from += CHUNK) {
    const to = Math.min(through, from + CHUNK - 1);
    await db.transaction(async (trx) => {
      await trx('audit_subjects').whereBetween('seq', [from, to]).delete();
      removed += await trx('audit_trail').whereBetween('seq', [from, to]).delete();
    });
  }
  return { removed, through };
}
