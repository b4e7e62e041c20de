import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import { checkConsistency, ConsistencyResult, GatewayQuery } from './consistency';

export interface ConsistencyRun extends Partial<ConsistencyResult> {
  id: number;
  status: 'RUNNING' | 'DONE' | 'FAILED';
  requestedBy: string;
  startedAt: string;
  finishedAt: string | null;
  progress: string | null;
  error: string | null;
}

interface RunRow {
  id: number;
  requested_by: string;
  status: ConsistencyRun['status'];
  started_at: string;
  finished_at: string | null;
  progress: string | null;
  report: string | null;
  error: string | null;
  heartbeat_at: string | null;
}

/** How often a running check says it is alive, and how long a silence means its gateway stopped. */
export const HEARTBEAT_MS = 5_000;
export const STALE_AFTER_MS = 30_000;
const INTERRUPTED = 'interrupted: the gateway running it stopped';

const isSilent = (row: RunRow, now: number) => !row.heartbeat_at || row.heartbeat_at < new Date(now - STALE_AFTER_MS).toISOString();

const toRun = (r: RunRow): ConsistencyRun => ({
  id: r.id, status: r.status, requestedBy: r.requested_by, startedAt: r.started_at, finishedAt: r.finished_at,
  progress: r.progress, error: r.error, ...(r.report ? (JSON.parse(r.report) as ConsistencyResult) : { rules: [], departments: [] }),
});

/**
 * Runs of the consistency checks, kept in the gateway's store. A run goes on in the background
 * (at a million persons it takes minutes), one at a time per gateway; its progress and result
 * are read with `consistencyReport`.
 */
export function consistencyRuns(db: Knex, query: GatewayQuery, logger: Logger) {
  /** The run this gateway is doing, by its number once its row is written. */
  let current: { id: Promise<number> } | null = null;

  async function finish(id: number, update: Partial<RunRow>) {
    await db('consistency_runs').where('id', id).update({ ...update, finished_at: new Date().toISOString() });
  }

  /** Writes a run's row and starts it in the background; the slot is let go when it ends (or could not begin). */
  async function launch(requestedBy: string): Promise<number> {
    const startedAt = new Date().toISOString();
    let id: number;
    try {
      [id] = await db('consistency_runs').insert({ requested_by: requestedBy, status: 'RUNNING', started_at: startedAt, heartbeat_at: startedAt, progress: 'starting' });
    } catch (e) {
      current = null;
      throw e;
    }
    const heartbeat = setInterval(() => {
      void db('consistency_runs').where('id', id).update({ heartbeat_at: new Date().toISOString() }).catch(() => {});
    }, HEARTBEAT_MS).unref();
    let lastWrite = 0;
    const progress = (text: string) => {
      // At most one progress write a second: the run's own pace, not the store's.
      if (Date.now() - lastWrite < 1_000) return;
      lastWrite = Date.now();
      void db('consistency_runs').where('id', id).update({ progress: text }).catch(() => {});
    };
    void checkConsistency(query, progress)
      .then((result) => finish(id, { status: 'DONE', progress: 'done', report: JSON.stringify(result) }))
      .catch(async (err: Error) => {
        logger.error({ err, run: id }, 'consistency run failed');
        await finish(id, { status: 'FAILED', error: err.message.slice(0, 1000) }).catch(() => {});
      })
      .finally(() => {
        clearInterval(heartbeat);
        current = null;
      });
    logger.info({ run: id, requestedBy }, 'consistency run started');
    return id;
  }

  return {
    /**
     * Runs left RUNNING by a gateway that stopped (no heartbeat for STALE_AFTER_MS) are marked as
     * failed; a run another live gateway process is doing is left alone.
     */
    async recover(now = Date.now()): Promise<void> {
      const cutoff = new Date(now - STALE_AFTER_MS).toISOString();
      await db('consistency_runs')
        .where('status', 'RUNNING')
        .andWhere((q) => q.whereNull('heartbeat_at').orWhere('heartbeat_at', '<', cutoff))
        .update({ status: 'FAILED', error: INTERRUPTED, finished_at: new Date(now).toISOString() });
    },

    async start(requestedBy: string): Promise<ConsistencyRun> {
      // The slot is claimed before the first await: a request arriving while the run's row is
      // written joins that run instead of starting one of its own.
      current ??= { id: launch(requestedBy) };
      return (await this.get(await current.id))!;
    },

    /** A run; one whose gateway has stopped is failed first, so nobody waits for it forever. */
    async get(id?: number): Promise<ConsistencyRun | null> {
      const read = (): Promise<RunRow | undefined> => {
        const q = db('consistency_runs');
        return id === undefined ? q.orderBy('id', 'desc').first() : q.where('id', id).first();
      };
      const row = await read();
      if (!row || row.status !== 'RUNNING' || !isSilent(row, Date.now())) return row ? toRun(row) : null;
      await this.recover();
      return toRun((await read())!);
    },

  };
}
export type ConsistencyRuns = ReturnType<typeof consistencyRuns>;
