import type { Knex } from 'knex';
import { usesMysql } from '../../shared/db';
import { ID_NUMBER_SHAPE } from '../../shared/identifiers';
import type { Logger } from '../../shared/logger';

/** Records read per pass: a pass of 100-person verification batches writes at most 20,000 rows. */
const RECORDS_PER_PASS = 200;
/** Subject rows per INSERT statement: knex writes a multi-row insert on SQLite as a compound SELECT, of at most 500 terms. */
const ROWS_PER_STATEMENT = 400;

/**
 * "Who read my data" (`accessLog`) finds a person's records through `audit_subjects`, one row per
 * person a record names. Those rows are derived from the trail, and are written behind it rather
 * than in each record's own transaction: an answer waits only for its record's commit, and the
 * rows of many records go into the index together, sorted, in one transaction per pass.
 *
 * `audit_subjects_progress` says up to which record the index is complete; a pass indexes the
 * records after it and moves it, in one transaction, under that row's lock, so replicas sharing a
 * store index in turn and a record is indexed once whichever replica wrote it. Nothing is lost if a
 * gateway stops before its records are indexed: the next pass of any gateway indexes them. A reader
 * first catches the index up (`catchUp`), so it finds every record committed before it asked.
 */
export class SubjectIndex {
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    /** How long after a record is written its subjects are indexed, at the latest. */
    private readonly delayMs = 250,
  ) {}

  /** A record was written: index it soon, together with those that follow it meanwhile. */
  behind(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.catchUp().catch((e) => this.logger.error({ err: e }, 'indexing the audit trail’s subjects failed; the next pass retries'));
    }, this.delayMs);
    this.timer.unref();
  }

  /** Indexes every record committed so far; resolves with how many this call indexed. */
  catchUp(): Promise<number> {
    const pass = this.running.then(async () => {
      let indexed = 0;
      for (;;) {
        const n = await indexPass(this.db, this.logger, RECORDS_PER_PASS);
        indexed += n;
        if (n < RECORDS_PER_PASS) return indexed;
      }
    });
    this.running = pass.then(() => undefined, () => undefined);
    return pass;
  }

  /** Indexes what is left and stops (what it cannot index now, the next gateway's first pass will). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.catchUp().catch((e) => this.logger.error({ err: e }, 'indexing the audit trail’s subjects failed at shutdown; the next gateway will'));
  }
}

/** One transaction: the subject rows of up to `limit` records after the progress mark, and the mark moved past them. */
async function indexPass(db: Knex, logger: Logger, limit: number): Promise<number> {
  const mysql = usesMysql(db);
  return db.transaction(async (trx) => {
    const progress = trx('audit_subjects_progress').where('id', 1).first('indexed_seq');
    // SQLite has one writer at a time already (and knex warns on every FOR UPDATE there).
    const mark = Number(((await (mysql ? progress.forUpdate() : progress)) as { indexed_seq: number | string } | undefined)?.indexed_seq ?? 0);
    const records = (await trx('audit_trail').where('seq', '>', mark).orderBy('seq').limit(limit).select('seq', 'subjects')) as { seq: number | string; subjects: string }[];
    if (!records.length) return 0;
    const rows: { id_number: string; seq: number }[] = [];
    // The guard names persons by checked idNumbers; anything else would stop the index for everyone.
    const unfit = new Set<number>();
    for (const record of records) {
      const seq = Number(record.seq);
      for (const id of new Set(JSON.parse(record.subjects) as string[])) {
        if (ID_NUMBER_SHAPE.test(id)) rows.push({ id_number: id, seq });
        else unfit.add(seq);
      }
    }
    if (unfit.size) logger.error({ records: [...unfit] }, 'audit records name subjects that are not idNumbers: left out of the index');
    // In key order: neighbouring rows land on the same index pages.
    rows.sort((a, b) => (a.id_number < b.id_number ? -1 : a.id_number > b.id_number ? 1 : a.seq - b.seq));
    for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
      // A gateway of the version before this one still writes a record's subjects with it.
      await trx('audit_subjects').insert(rows.slice(i, i + ROWS_PER_STATEMENT)).onConflict(['id_number', 'seq']).ignore();
    }
    await trx('audit_subjects_progress').where('id', 1).update({ indexed_seq: Number(records[records.length - 1].seq) });
    return records.length;
  });
}
