import type { Knex } from 'knex';
import { usesMysql, writeTransaction } from '../../shared/db';
import type { Logger } from '../../shared/logger';

/** Records read per pass: a pass of 100-person verification batches writes at most 20,000 rows. */
const RECORDS_PER_PASS = 200;

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

/** The records of the next pass: how many, the last one's number, and how many subjects they name. */
const passSql = (jsonArrayLength: string) =>
  `SELECT COUNT(*) AS \`records\`, MAX(\`seq\`) AS \`last\`, COALESCE(SUM(${jsonArrayLength}(\`subjects\`)), 0) AS \`named\` ` +
  'FROM (SELECT `seq`, `subjects` FROM `audit_trail` WHERE `seq` > ? ORDER BY `seq` LIMIT ?) AS `pass`';

/**
 * The SQL of a pass, per dialect. The rows are made inside the database from each record's
 * `subjects` (a JSON array), sorted so that neighbouring rows land on the same index pages; nothing
 * crosses the wire but the record numbers. (Read into the gateway and written back as multi-row
 * INSERTs, as before, a pass cost the gateway about 0.3 ms of CPU per record of 100 persons, as
 * much as the database's own work, to move 2 KB each way.)
 *
 * Only idNumbers go into the index (the shape of `ID_NUMBER_SHAPE`: 17 digits, then a digit or a
 * capital X): anything else would stop the index for everyone. The guard names persons only by
 * checked idNumbers, so `unfit` runs only when a pass indexed fewer rows than its records name.
 */
const PASS_SQL = {
  mysql: {
    pass: passSql('JSON_LENGTH'),
    named: "FROM `audit_trail` AS `t`, JSON_TABLE(`t`.`subjects`, '$[*]' COLUMNS (`id` VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin PATH '$')) AS `s`",
    subject: '`s`.`id`',
    fits: "`s`.`id` REGEXP '^[0-9]{17}[0-9X]$'",
    insertIgnore: 'INSERT IGNORE',
  },
  sqlite: {
    pass: passSql('json_array_length'),
    named: 'FROM `audit_trail` AS `t`, json_each(`t`.`subjects`) AS `s`',
    subject: '`s`.`value`',
    fits: `\`s\`.\`value\` GLOB '${'[0-9]'.repeat(17)}[0-9X]'`,
    insertIgnore: 'INSERT OR IGNORE',
  },
};

export type SubjectSql = (typeof PASS_SQL)['sqlite'] & {
  /** `named` restricted to the records after the first binding, up to the second. */
  subjects: string;
  /** Deletes the index rows of the records after the first binding, up to the second, found by the names each record lists. */
  removal: string;
};

/**
 * The dialect's SQL for the subjects the trail's records name: `named` (FROM the trail and each
 * record's subjects, as `t` and `s`), `subject` (one of them), `fits` (it is idNumber-shaped). The
 * index pass writes rows by it, and `audit:verify` checks the index against the trail by the same.
 */
export function subjectSql(db: Knex): SubjectSql {
  const mysql = usesMysql(db);
  const sql = mysql ? PASS_SQL.mysql : PASS_SQL.sqlite;
  const subjects = `${sql.named} WHERE \`t\`.\`seq\` > ? AND \`t\`.\`seq\` <= ?`;
  // The index is keyed by person only (see migration 021): a record's rows are found by primary key,
  // one lookup per person the record names, not by a range of record numbers.
  const removal = mysql
    ? `DELETE \`x\` ${sql.named}, \`audit_subjects\` AS \`x\` WHERE \`t\`.\`seq\` > ? AND \`t\`.\`seq\` <= ? AND \`x\`.\`id_number\` = ${sql.subject} AND \`x\`.\`seq\` = \`t\`.\`seq\``
    : `DELETE FROM \`audit_subjects\` WHERE (\`id_number\`, \`seq\`) IN (SELECT ${sql.subject}, \`t\`.\`seq\` ${subjects})`;
  return { ...sql, subjects, removal };
}

/** One transaction: the subject rows of up to `limit` records after the progress mark, and the mark moved past them. */
async function indexPass(db: Knex, logger: Logger, limit: number): Promise<number> {
  const mysql = usesMysql(db);
  const sql = subjectSql(db);
  // READ COMMITTED: under MySQL's default (REPEATABLE READ) an INSERT … SELECT locks the rows it
  // reads and the gap after the last of them, so an audit batch appended after the pass had read
  // the trail waited for the pass to commit. Read committed, it reads the trail without locks.
  // (The progress row is still locked: replicas index in turn.)
  const indexRecords = async (trx: Knex.Transaction): Promise<number> => {
    const progress = trx('audit_subjects_progress').where('id', 1).first('indexed_seq');
    // SQLite has one writer at a time already (and knex warns on every FOR UPDATE there).
    const mark = Number(((await (mysql ? progress.forUpdate() : progress)) as { indexed_seq: number | string } | undefined)?.indexed_seq ?? 0);
    const [pass] = rowsOf<{ records: number | string; last: number | string | null; named: number | string | null }>(await trx.raw(sql.pass, [mark, limit]), mysql);
    if (pass?.last == null) return 0;
    const range = [mark, Number(pass.last)];
    // IGNORE: a gateway of the version before the index moved behind the trail wrote its records' rows itself.
    const inserted = affectedRows(
      await trx.raw(`${sql.insertIgnore} INTO \`audit_subjects\` (\`id_number\`, \`seq\`) SELECT ${sql.subject}, \`t\`.\`seq\` ${sql.subjects} AND ${sql.fits} ORDER BY 1, 2`, range),
      mysql,
    );
    // Fewer rows than named: a subject named twice in one record (one row), one already indexed, or one that is not an idNumber.
    if (inserted < Number(pass.named)) {
      const unfit = rowsOf<{ seq: number | string }>(await trx.raw(`SELECT DISTINCT \`t\`.\`seq\` ${sql.subjects} AND NOT (${sql.fits}) LIMIT 100`, range), mysql);
      if (unfit.length) logger.error({ records: unfit.map((r) => Number(r.seq)) }, 'audit records name subjects that are not idNumbers: left out of the index');
    }
    await trx('audit_subjects_progress').where('id', 1).update({ indexed_seq: range[1] });
    return Number(pass.records);
  };
  // SQLite: the write lock first, waited for in short steps. Begun by its read, a pass failed at
  // once whenever another gateway process on the same file had written meanwhile.
  return mysql ? db.transaction(indexRecords, { isolationLevel: 'read committed' }) : writeTransaction(db, indexRecords);
}

/** The rows of a `raw` SELECT: mysql2 answers [rows, fields], better-sqlite3 the rows. */
export function rowsOf<Row>(result: unknown, mysql: boolean): Row[] {
  return (mysql ? (result as [Row[]])[0] : result) as Row[];
}

/** The rows a `raw` INSERT wrote: mysql2's `affectedRows`, better-sqlite3's `changes`. */
function affectedRows(result: unknown, mysql: boolean): number {
  return mysql ? (result as [{ affectedRows: number }])[0].affectedRows : (result as { changes: number }).changes;
}
