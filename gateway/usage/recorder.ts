import type { Knex } from 'knex';
import { usesMysql } from '../../shared/db';
import type { Logger } from '../../shared/logger';

/** '*' in department or coordinate: the roll-up over all of them (see migrations/004_usage.ts). */
export const ALL = '*';

/** One answered request, as the usage plugin saw it leave. */
export interface ServedRequest {
  at: Date;
  consumer: string;
  latencyMs: number;
  /** extensions.code of every error in the answer. */
  errorCodes: string[];
  /** Each field the operation read, once per request, with what it served. */
  fields: ServedField[];
}

export interface ServedField {
  coordinate: string;
  department: string;
  /** Values returned for it (list elements counted one by one, nulls not counted). */
  items: number;
  /** Codes of the errors whose path ends at this field. */
  errorCodes: string[];
  /**
   * Nothing of it was served: the guard refused it, or it failed (or a field above it did), everywhere
   * it was asked. Its errors are counted (a department sees who was refused what, and what failed),
   * but it was not read, so it does not count as a request that used it.
   */
  notRead?: boolean;
}

/** One call from the gateway to a department (a fetch of the query plan). */
export interface SubgraphCall {
  at: Date;
  consumer: string;
  department: string;
  ms: number;
  ok: boolean;
}

interface Counters {
  requests: number;
  items: number;
  errors: number;
  latency_ms_total: number;
  latency_ms_max: number;
  fetches: number;
  fetch_failures: number;
  fetch_ms_total: number;
  fetch_ms_max: number;
}

const zero = (): Counters => ({
  requests: 0, items: 0, errors: 0, latency_ms_total: 0, latency_ms_max: 0, fetches: 0, fetch_failures: 0, fetch_ms_total: 0, fetch_ms_max: 0,
});

const SUMS = ['requests', 'items', 'errors', 'latency_ms_total', 'fetches', 'fetch_failures', 'fetch_ms_total'] as const;
const MAXES = ['latency_ms_max', 'fetch_ms_max'] as const;
const SEP = '\u0000';
const BATCH = 200;

/**
 * Counts usage in memory per (day, consumer, department, field) and writes it every few seconds in
 * one transaction of upserts: a request costs a few map updates, never a write of its own, and
 * replicas sharing the store add to the same rows.
 */
export class UsageRecorder {
  private counters = new Map<string, Counters>();
  private errorCounts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Knex,
    private readonly logger: Logger,
    private readonly flushEveryMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush().catch(() => undefined), this.flushEveryMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  recordRequest(served: ServedRequest): void {
    const day = dayOf(served.at);
    const request = this.row(day, served.consumer, ALL, ALL);
    request.requests += 1;
    request.items += served.fields.reduce((n, f) => n + f.items, 0);
    request.errors += served.errorCodes.length;
    addLatency(request, served.latencyMs);
    for (const code of served.errorCodes) this.countError(day, served.consumer, ALL, ALL, code);

    const departments = new Map<string, { items: number; used: boolean }>();
    for (const field of served.fields) {
      // Under a refused or failed field, nothing was read and nothing failed itself: no row, not even an empty one.
      if (field.notRead && !field.errorCodes.length) continue;
      const row = this.row(day, served.consumer, field.department, field.coordinate);
      if (!field.notRead) {
        row.requests += 1;
        addLatency(row, served.latencyMs);
      }
      row.items += field.items;
      row.errors += field.errorCodes.length;
      for (const code of field.errorCodes) this.countError(day, served.consumer, field.department, field.coordinate, code);
      const department = departments.get(field.department) ?? { items: 0, used: false };
      department.items += field.items;
      department.used ||= !field.notRead;
      departments.set(field.department, department);
    }
    for (const [name, { items, used }] of departments) {
      const row = this.row(day, served.consumer, name, ALL);
      if (used) {
        row.requests += 1;
        addLatency(row, served.latencyMs);
      }
      row.items += items;
      const codes = served.fields.filter((f) => f.department === name).flatMap((f) => f.errorCodes);
      row.errors += codes.length;
      for (const code of codes) this.countError(day, served.consumer, name, ALL, code);
    }
  }

  recordCall(call: SubgraphCall): void {
    const row = this.row(dayOf(call.at), call.consumer, call.department, ALL);
    row.fetches += 1;
    if (!call.ok) row.fetch_failures += 1;
    row.fetch_ms_total += call.ms;
    row.fetch_ms_max = Math.max(row.fetch_ms_max, call.ms);
  }

  /** Writes what was counted since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    // A failed flush (already logged, its counts kept) must not stop the ones after it.
    this.writing = this.writing.catch(() => undefined).then(() => this.write());
    return this.writing;
  }

  private async write(): Promise<void> {
    if (!this.counters.size && !this.errorCounts.size) return;
    const counters = this.counters;
    const errorCounts = this.errorCounts;
    this.counters = new Map();
    this.errorCounts = new Map();
    // Sorted, so concurrent replicas lock rows in the same order and cannot deadlock each other.
    const rows = [...counters].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, c]) => ({ ...keyColumns(key), ...c }));
    const errorRows = [...errorCounts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, errors]) => {
      const [day, consumer_id, department, coordinate, code] = key.split(SEP);
      return { day, consumer_id, department, coordinate, code, errors };
    });
    try {
      await this.db.transaction(async (trx) => {
        for (let i = 0; i < rows.length; i += BATCH) {
          await trx('usage_daily')
            .insert(rows.slice(i, i + BATCH))
            .onConflict(['day', 'consumer_id', 'department', 'coordinate'])
            .merge(this.mergeColumns('usage_daily', SUMS, MAXES));
        }
        for (let i = 0; i < errorRows.length; i += BATCH) {
          await trx('usage_errors')
            .insert(errorRows.slice(i, i + BATCH))
            .onConflict(['day', 'consumer_id', 'department', 'coordinate', 'code'])
            .merge(this.mergeColumns('usage_errors', ['errors'], []));
        }
      });
    } catch (error) {
      // Keep the counts for the next flush rather than lose them; the store may be back by then.
      for (const [key, c] of counters) mergeInto(this.counters, key, c);
      for (const [key, n] of errorCounts) this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + n);
      this.logger.warn({ err: error }, 'usage statistics could not be written; kept for the next flush');
      throw error;
    }
  }

  private mergeColumns(table: string, sums: readonly string[], maxes: readonly string[]): Record<string, Knex.Raw> {
    const mysql = usesMysql(this.db);
    const incoming = (c: string) => (mysql ? `VALUES(\`${c}\`)` : `excluded."${c}"`);
    const current = (c: string) => (mysql ? `\`${table}\`.\`${c}\`` : `"${table}"."${c}"`);
    const merged: Record<string, Knex.Raw> = {};
    for (const c of sums) merged[c] = this.db.raw(`${current(c)} + ${incoming(c)}`);
    for (const c of maxes) merged[c] = this.db.raw(`${mysql ? 'GREATEST' : 'MAX'}(${current(c)}, ${incoming(c)})`);
    return merged;
  }

  private row(day: string, consumer: string, department: string, coordinate: string): Counters {
    const key = [day, consumer, department, coordinate].join(SEP);
    let row = this.counters.get(key);
    if (!row) this.counters.set(key, (row = zero()));
    return row;
  }

  private countError(day: string, consumer: string, department: string, coordinate: string, code: string): void {
    const key = [day, consumer, department, coordinate, code].join(SEP);
    this.errorCounts.set(key, (this.errorCounts.get(key) ?? 0) + 1);
  }
}

/** Days are UTC calendar days, as every replica and report counts them. */
export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

function addLatency(row: Counters, ms: number): void {
  row.latency_ms_total += ms;
  row.latency_ms_max = Math.max(row.latency_ms_max, ms);
}

function keyColumns(key: string) {
  const [day, consumer_id, department, coordinate] = key.split(SEP);
  return { day, consumer_id, department, coordinate };
}

function mergeInto(map: Map<string, Counters>, key: string, c: Counters): void {
  const row = map.get(key);
  if (!row) return void map.set(key, c);
  for (const k of SUMS) row[k] += c[k];
  for (const k of MAXES) row[k] = Math.max(row[k], c[k]);
}
