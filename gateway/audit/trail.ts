import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import { storableText } from '../../shared/text';
import { AuditEntry, AuditRow, chainHash } from './record';
import { ChainHead, ChainScript, chainScriptFor, Statement } from './chain-script';

interface Pending {
  entry: AuditEntry;
  done: (error?: Error) => void;
}

/** One batch of records written (or not), for the gateway's metrics. */
export interface WrittenBatch {
  records: number;
  subjects: number;
  /** From the start of the write to its commit (or failure). */
  ms: number;
  ok: boolean;
}

/**
 * The append-only, hash-chained audit trail. A request that carried personal data waits until its
 * record is committed (personal data is never answered without its record), but records are
 * group-committed: every record waiting when a write starts goes into that one transaction, so a
 * busy gateway pays one commit per batch, not one per answer.
 *
 * A batch is written behind the head this gateway last wrote, as one script (on MySQL one round
 * trip: the head, the records, the commit), instead of first locking and reading the head. If the
 * head has moved since (another replica or cluster worker appended), the whole batch is refused
 * before any record is written; it is then written behind the head read under its lock (on MySQL
 * two round trips). While others keep appending, each batch is written that way at once, without
 * the guess that would be refused: with two cluster workers, about half the guesses were. Once a
 * few batches in a row find the head where this gateway left it, guessing resumes. The index of
 * who was read is written behind the trail (`SubjectIndex`), not in the batch.
 */
export class AuditTrail {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  /** What this gateway last wrote or read; null when unknown (at start, after a failed write). */
  private head: ChainHead | null = null;
  /**
   * Batches still to be written behind the head read under its lock, without guessing it: set when
   * another writer appended behind this gateway's last batch, counted down by each locked batch that
   * finds the head where this gateway left it.
   */
  private lockedBatchesLeft = 0;

  constructor(
    db: Knex,
    private readonly logger: Logger,
    private readonly script: ChainScript = chainScriptFor(db),
    private readonly onBatch: (batch: WrittenBatch) => void = () => undefined,
  ) {}

  record(entry: AuditEntry): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ entry, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.writing) this.writing = this.drain();
    });
  }

  /** Resolves when every record handed in so far is written (for shutdown). */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /** Writes what is waiting and lets the store's connections go. */
  async close(): Promise<void> {
    await this.flush();
    await this.script.close();
  }

  private async drain(): Promise<void> {
    // Let the requests finishing in this same tick join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, batchLength(this.queue));
      const started = performance.now();
      const written = { records: batch.length, subjects: batch.reduce((n, p) => n + p.entry.subjects.length, 0) };
      try {
        await this.append(batch.map((p) => p.entry));
        this.onBatch({ ...written, ms: performance.now() - started, ok: true });
        for (const p of batch) p.done();
      } catch (e) {
        this.onBatch({ ...written, ms: performance.now() - started, ok: false });
        this.head = null;
        this.logger.error({ err: e, records: batch.length, requestIds: batch.map((p) => p.entry.requestId) }, 'audit trail write failed');
        for (const p of batch) p.done(new Error('audit trail unavailable'));
      }
    }
    this.writing = null;
  }

  private async append(entries: AuditEntry[]): Promise<void> {
    const last = this.head;
    if (last && this.lockedBatchesLeft === 0) {
      const guessed = chained(entries, last);
      try {
        await this.script.run(appendStatements(guessed));
        this.head = guessed.head;
        return;
      } catch (e) {
        if (!this.script.isConflict(e)) throw e;
      }
    }
    // The head moved (another writer appended, or the store was set back), or is not known yet:
    // write behind the head as it is, read under its lock.
    let batch: ChainedBatch | undefined;
    await this.script.runLocked((head) => appendStatements((batch = chained(entries, head))));
    const moved = last !== null && batch!.follows.seq !== last.seq;
    this.lockedBatchesLeft = moved ? LOCKED_AFTER_MOVE : Math.max(0, this.lockedBatchesLeft - 1);
    this.head = batch!.head;
  }
}

/**
 * After the head was found moved, this many batches in a row must find it where this gateway left it
 * before guessing resumes. Two cluster workers take turns irregularly: resuming after the first
 * quiet batch, a quarter of the guesses were still refused (about half with no memory); after four,
 * 6 of 1,692 batches (reviews as fast as answered, 20 s).
 */
const LOCKED_AFTER_MOVE = 4;

/**
 * How many of the waiting records go into the next batch: at most 500 records and 5,000 subjects
 * (50 batches of 100 verifications, each record listing its subjects). On MySQL a batch is one
 * query, and this keeps it near half a megabyte, well under the smallest `max_allowed_packet` in
 * common use (4 MB).
 */
const BATCH_RECORDS = 500;
const BATCH_SUBJECTS = 5_000;

function batchLength(queue: Pending[]): number {
  let subjects = 0;
  let n = 0;
  while (n < queue.length && n < BATCH_RECORDS) {
    subjects += queue[n].entry.subjects.length;
    if (n > 0 && subjects > BATCH_SUBJECTS) break;
    n += 1;
  }
  return n;
}

interface ChainedBatch {
  /** The head the batch was numbered behind. */
  follows: ChainHead;
  rows: AuditRow[];
  head: ChainHead;
}

/**
 * The widths of the trail's bounded columns. A value the caller did not bound (an operation's name
 * is as long as its author wrote it) is cut to fit: one record too long for its column would fail
 * its whole batch, and with it every answer waiting in that batch.
 */
const OPERATION_NAME_MAX = 100;
export const PURPOSE_MAX = 500;

/** The records numbered and hashed behind `head`. */
function chained(entries: AuditEntry[], head: ChainHead): ChainedBatch {
  let seq = head.seq;
  let prev = head.hash;
  const rows = entries.map((e): AuditRow => {
    seq += 1;
    const row = {
      seq,
      at: e.at,
      consumer_id: e.consumer,
      purpose: e.purpose && storableText(e.purpose, PURPOSE_MAX),
      request_id: e.requestId,
      operation_name: e.operationName && storableText(e.operationName, OPERATION_NAME_MAX),
      operation_hash: e.operationHash,
      subjects: JSON.stringify(e.subjects),
      fields: JSON.stringify(e.fields),
      outcome: e.outcome,
      grants: JSON.stringify(e.grants ?? []),
      partial_subjects: e.partialSubjects ? JSON.stringify(e.partialSubjects) : null,
      prev_hash: prev,
    };
    prev = chainHash(row);
    return { ...row, hash: prev };
  });
  return { follows: head, rows, head: { seq, hash: prev } };
}

/**
 * The statements of one batch. The head is moved first, so every writer takes the head's row lock
 * before any record's: two writers wait for each other instead of deadlocking. It moves only from
 * the head the batch follows; if the head was anywhere else (another replica appended, or the store
 * was restored to an earlier state), the second statement copies the head row onto itself, which
 * its primary key refuses, and the batch fails as a conflict before any record is written. (Had
 * another writer moved the head to exactly this batch's last number, the records' own numbers are
 * taken, and their primary key refuses them the same way.)
 */
function appendStatements(batch: ChainedBatch): Statement[] {
  const statements: Statement[] = [
    {
      sql: 'UPDATE `audit_chain` SET `last_seq` = ?, `last_hash` = ? WHERE `id` = 1 AND `last_seq` = ?',
      bindings: [batch.head.seq, batch.head.hash, batch.follows.seq],
    },
    {
      sql: 'INSERT INTO `audit_chain` (`id`, `last_seq`, `last_hash`) SELECT `id`, `last_seq`, `last_hash` FROM `audit_chain` WHERE `id` = 1 AND `last_seq` <> ?',
      bindings: [batch.head.seq],
    },
  ];
  for (let i = 0; i < batch.rows.length; i += 100) statements.push(insert('audit_trail', TRAIL_COLUMNS, batch.rows.slice(i, i + 100)));
  return statements;
}

const TRAIL_COLUMNS: readonly (keyof AuditRow & string)[] = [
  'seq', 'at', 'consumer_id', 'purpose', 'request_id', 'operation_name', 'operation_hash', 'subjects', 'fields', 'outcome', 'grants', 'partial_subjects', 'prev_hash', 'hash',
];

/** `INSERT INTO table (columns) VALUES (?, …), …`: one row of placeholders per row. */
function insert<R>(table: string, columns: readonly (keyof R & string)[], rows: R[]): Statement {
  const placeholders = `(${columns.map(() => '?').join(', ')})`;
  return {
    sql: `INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(', ')}) VALUES ${rows.map(() => placeholders).join(', ')}`,
    bindings: rows.flatMap((row) => columns.map((c) => row[c])),
  };
}
