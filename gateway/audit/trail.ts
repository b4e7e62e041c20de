import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import { AuditEntry, AuditRow, chainHash } from './record';

interface Pending {
  entry: AuditEntry;
  done: (error?: Error) => void;
}

/**
 * The append-only, hash-chained audit trail. A request that carried personal data waits until its
 * record is committed (personal data is never answered without its record), but records are
 * group-committed: every record waiting when a write starts goes into that one transaction, so a
 * busy gateway pays one commit per batch, not one per answer.
 */
export class AuditTrail {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
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

  private async drain(): Promise<void> {
    // Let the requests finishing in this same tick join the batch.
    await new Promise((r) => setImmediate(r));
    while (this.queue.length) {
      const batch = this.queue.splice(0, 500);
      try {
        await this.append(batch.map((p) => p.entry));
        for (const p of batch) p.done();
      } catch (e) {
        this.logger.error({ err: e, records: batch.length, requestIds: batch.map((p) => p.entry.requestId) }, 'audit trail write failed');
        for (const p of batch) p.done(new Error('audit trail unavailable'));
      }
    }
    this.writing = null;
  }

  private async append(entries: AuditEntry[]): Promise<void> {
    await this.db.transaction(async (trx) => {
      const head = await trx('audit_chain').where('id', 1).forUpdate().first();
      let seq = Number(head.last_seq);
      let prev: string = head.last_hash;
      const rows: AuditRow[] = entries.map((e) => {
        seq += 1;
        const row = {
          seq,
          at: e.at,
          consumer_id: e.consumer,
          purpose: e.purpose,
          request_id: e.requestId,
          operation_name: e.operationName,
          operation_hash: e.operationHash,
          subjects: JSON.stringify(e.subjects),
          fields: JSON.stringify(e.fields),
          outcome: e.outcome,
          prev_hash: prev,
        };
        prev = chainHash(row);
        return { ...row, hash: prev };
      });
      for (let i = 0; i < rows.length; i += 100) await trx('audit_trail').insert(rows.slice(i, i + 100));
      const subjects = rows.flatMap((r) => [...new Set(JSON.parse(r.subjects) as string[])].map((id) => ({ id_number: id, seq: r.seq })));
      for (let i = 0; i < subjects.length; i += 400) await trx('audit_subjects').insert(subjects.slice(i, i + 400));
      await trx('audit_chain').where('id', 1).update({ last_seq: seq, last_hash: prev });
    });
  }
}
