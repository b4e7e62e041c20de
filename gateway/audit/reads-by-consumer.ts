import type { Knex } from 'knex';
import { badUserInput } from '../../shared/errors';
import { quoted } from '../../shared/text';
import { usesMysql } from '../../shared/db';
import { fieldsReadAtAll, grantsReadAtAll } from './record';

/** One record of a consumer's reads, as `auditTrail` shows it: what was read, not whose data. */
export interface ConsumerRead {
  seq: number;
  consumer: string;
  purpose: string | null;
  at: string;
  operationName: string | null;
  requestId: string;
  /** How many persons the record names; `accessLog` (by person) says who. */
  subjectCount: number;
  /** Every item the read took, over all its subjects. */
  fields: string[];
  outcome: string;
  /** The grants its record names; null for a record written before they were kept. */
  grants: number[] | null;
  cursor: string;
}

/** What a filter of reads looks at. */
export type ReadItems = Pick<ConsumerRead, 'fields' | 'grants'>;

export interface ConsumerReadsQuery {
  consumer: string;
  /** UTC days, both included. */
  from: string;
  to: string;
  first: number;
  after?: string;
  /** Only the reads whose items pass (`auditTrail(resource:)`: those that took a conditional resource). */
  keep?: (read: ReadItems) => boolean;
  /** With `keep`: the most records one page reads before it answers with what it found. */
  scanLimit?: number;
}

export interface ConsumerReadsPage {
  reads: ConsumerRead[];
  hasNextPage: boolean;
  /** Where the next page begins: the last read listed, or with `keep`, the last record looked at. */
  endCursor: string | null;
}

/**
 * How many of a consumer's records a page with `keep` looks at, at most: a read of a rarely used
 * resource among a busy system's thousands a day answers within a request's time, and says where
 * to go on (`hasNextPage`, `endCursor`) instead of scanning a year of the trail at once.
 */
export const SCAN_LIMIT = 5_000;

/** Records read per statement while a page with `keep` fills. */
const SCAN_CHUNK = 500;

/** A page's place in the trail: newest first, by record time and then record number. */
const cursorOf = (at: string, seq: number) => Buffer.from(`${at}|${seq}`).toString('base64url');

function placeOf(cursor: string): { at: string; seq: number } {
  const [at, seq, ...rest] = Buffer.from(cursor, 'base64url').toString().split('|');
  const number = Number(seq);
  if (rest.length || !ISO_INSTANT.test(at ?? '') || !/^\d+$/.test(seq ?? '') || !Number.isSafeInteger(number)) {
    throw badUserInput(`after is not a cursor this trail gave out: ${quoted(cursor)}`, { argument: 'after' });
  }
  return { at, seq: number };
}

/** How the trail writes `at`: an instant in UTC, to the millisecond. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * One consumer's audited reads over [from, to], newest first: one range of the trail's index by
 * consumer and time (`015_audit_trail_by_consumer`), however long the trail. The subjects stay in
 * the trail: an auditor sees how many persons each read named, and looks a person up through
 * `accessLog`, which records that look for the person to see.
 */
export async function readsByConsumer(db: Knex, q: ConsumerReadsQuery): Promise<ConsumerReadsPage> {
  if (q.from > q.to) throw badUserInput(`from (${q.from}) is after to (${q.to})`, { argument: 'from' });
  if (!Number.isInteger(q.first) || q.first < 1 || q.first > 100) throw badUserInput(`first must lie in [1, 100], not ${q.first}`, { argument: 'first' });
  const scanLimit = q.keep ? q.scanLimit ?? SCAN_LIMIT : q.first + 1;
  // Without a filter, one statement of first + 1 rows; with one, chunks until the page is full or
  // the scan limit is reached.
  const chunk = q.keep ? Math.min(SCAN_CHUNK, scanLimit) : q.first + 1;
  // Each kept record with its items and grants, read from the record's JSON once.
  const kept: { row: Record<string, any>; items: ReadItems }[] = [];
  let place = q.after ? placeOf(q.after) : undefined;
  let scanned = 0;
  let exhausted = false;
  while (kept.length <= q.first && scanned < scanLimit && !exhausted) {
    const asked = Math.min(chunk, scanLimit - scanned);
    const rows = await consumerRecords(db, q, place, asked);
    exhausted = rows.length < asked;
    for (const row of rows) {
      scanned += 1;
      place = { at: row.at, seq: Number(row.seq) };
      const items = { fields: fieldsReadAtAll(row.fields), grants: grantsReadAtAll(row.grants) };
      if ((!q.keep || q.keep(items)) && kept.push({ row, items }) > q.first) break;
    }
  }
  const reads = kept.slice(0, q.first).map(({ row: r, items }): ConsumerRead => ({
    seq: Number(r.seq),
    consumer: r.consumer_id,
    purpose: r.purpose,
    at: r.at,
    operationName: r.operation_name,
    requestId: r.request_id,
    subjectCount: (JSON.parse(r.subjects) as string[]).length,
    ...items,
    outcome: r.outcome,
    cursor: cursorOf(r.at, Number(r.seq)),
  }));
  const full = kept.length > q.first;
  // A page that stopped at its scan limit goes on from the last record it looked at.
  const stoppedShort = !full && !exhausted && place !== undefined;
  return {
    reads,
    hasNextPage: full || stoppedShort,
    endCursor: stoppedShort ? cursorOf(place!.at, place!.seq) : reads.length ? reads[reads.length - 1].cursor : null,
  };
}

/** Up to `limit` of the consumer's records in the period after `place`, newest first: one range of the index. */
function consumerRecords(db: Knex, q: ConsumerReadsQuery, place: { at: string; seq: number } | undefined, limit: number): Promise<Record<string, any>[]> {
  // MariaDB would otherwise read the consumer's records from its newest back to `to` (a ref on
  // consumer_id alone): for a period long past, every record since. Forced, a page is one range.
  const trail: Knex.QueryBuilder = usesMysql(db) ? db.from(db.raw('?? FORCE INDEX (??)', ['audit_trail', 'audit_trail_consumer_at'])) : db('audit_trail');
  const query = trail
    .select('seq', 'consumer_id', 'purpose', 'at', 'operation_name', 'request_id', 'subjects', 'fields', 'outcome', 'grants')
    .where('consumer_id', q.consumer)
    // `at` is an ISO 8601 instant in UTC (ISO_INSTANT), so days bound it as text.
    .andWhere('at', '>=', q.from)
    .andWhere('at', '<=', `${q.to}T23:59:59.999Z`)
    .orderBy([{ column: 'at', order: 'desc' }, { column: 'seq', order: 'desc' }])
    .limit(limit);
  if (place) query.andWhere((older) => older.where('at', '<', place.at).orWhere((same) => same.where('at', place.at).andWhere('seq', '<', place.seq)));
  return query;
}
