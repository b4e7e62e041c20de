import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';

/**
 * Which consumer last read which record, by key: what change notices are matched against. Reads
 * are gathered in memory and written in one upsert every `flushMs`, off the request path; a failed
 * write is kept and tried again with the next batch. A crash loses at most the last interval of
 * receipts (the audit trail, written before each answer, still has every read of personal data).
 * Notices look back days, so a receipt written in the last hour is not written again: hot records
 * read on every request cost no writes at all.
 */
export class EntityReads {
  /** When each (consumer, type, key) was last written, oldest first; bounded. */
  private written = new Map<string, number>();
  private static readonly REWRITE_AFTER_MS = 3_600_000;
  private static readonly REMEMBERED = 200_000;
  private pending = new Map<string, { consumer_id: string; entity_type: string; entity_key: string; last_read_at: string }>();
  private timer?: NodeJS.Timeout;
  private writing: Promise<void> | null = null;

  constructor(private readonly db: Knex, private readonly logger: Logger, private readonly flushMs = 500) {}

  record(consumer: string, entityType: string, keys: Iterable<string>, at: string): void {
    const now = Date.parse(at);
    for (const key of keys) {
      const id = `${consumer}\u0000${entityType}\u0000${key}`;
      const last = this.written.get(id);
      if (last !== undefined && now - last < EntityReads.REWRITE_AFTER_MS) continue;
      this.written.delete(id);
      this.written.set(id, now);
      if (this.written.size > EntityReads.REMEMBERED) this.written.delete(this.written.keys().next().value as string);
      this.pending.set(id, { consumer_id: consumer, entity_type: entityType, entity_key: key, last_read_at: at });
    }
    if (this.pending.size && !this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything recorded so far (also for shutdown, and before change notices are matched). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (!this.pending.size) return;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.writing = this.write(batch).finally(() => {
      this.writing = null;
    });
    await this.writing;
  }

  private async write(batch: { consumer_id: string; entity_type: string; entity_key: string; last_read_at: string }[]): Promise<void> {
    try {
      for (let i = 0; i < batch.length; i += 500) {
        await this.db('entity_reads')
          .insert(batch.slice(i, i + 500))
          .onConflict(['entity_type', 'entity_key', 'consumer_id'])
          .merge(['last_read_at']);
      }
    } catch (err) {
      this.logger.warn({ err, receipts: batch.length }, 'could not write read receipts: kept for the next batch');
      for (const r of batch) {
        const key = `${r.consumer_id}\u0000${r.entity_type}\u0000${r.entity_key}`;
        if (!this.pending.has(key)) this.pending.set(key, r);
      }
      if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), this.flushMs * 4);
        this.timer.unref();
      }
    }
  }

  /** The records of `entityType` among `keys` that `consumer` read at or after `since`, with when it last did. */
  async readBy(consumer: string, entityType: string, keys: readonly string[], since: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows: { entity_key: string; last_read_at: string }[] = await this.db('entity_reads')
        .select('entity_key', 'last_read_at')
        .where({ consumer_id: consumer, entity_type: entityType })
        .whereIn('entity_key', keys.slice(i, i + 500))
        .where('last_read_at', '>=', since);
      for (const r of rows) found.set(r.entity_key, r.last_read_at);
    }
    return found;
  }

  async stop(): Promise<void> {
    await this.flush();
  }
}
