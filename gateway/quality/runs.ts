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
}

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
  let current: { id: number; done: Promise<void> } | null = null;

  async function finish(id: number, update: Partial<RunRow>) {
    await db('consistency_runs').where('id', id).update({ ...update, finished_at: new Date().toISOString() });
  }

  return {
    /** Runs left RUNNING by a gateway that stopped are marked as failed. */
    async recover(): Promise<void> {
      await db('consistency_runs').where('status', 'RUNNING').update({ status: 'FAILED', error: 'interrupted: the gateway stopped during the run', finished_at: new Date().toISOString() });
    },

    async start(requestedBy: string): Promise<ConsistencyRun> {
      if (current) return (await this.get(current.id))!;
      const [id] = await db('consistency_runs').insert({ requested_by: requestedBy, status: 'RUNNING', started_at: new Date().toISOString(), progress: 'starting' });
      let lastWrite = 0;
      const progress = (text: string) => {
        // At most one progress write a second: the run's own pace, not the store's.
        if (Date.now() - lastWrite < 1_000) return;
        lastWrite = Date.now();
        void db('consistency_runs').where('id', id).update({ progress: text }).catch(() => {});
      };
      const done = checkConsistency(query, progress)
        .then((result) => finish(id, { status: 'DONE', progress: 'done', report: JSON.stringify(result) }))
        .catch(async (err: Error) => {
          logger.error({ err, run: id }, 'consistency run failed');
          await finish(id, { status: 'FAILED', error: err.message.slice(0, 1000) }).catch(() => {});
        })
        .finally(() => {
          current = null;
        });
      current = { id, done };
      logger.info({ run: id, requestedBy }, 'consistency run started');
      return (await this.get(id))!;
    },

    async get(id?: number): Promise<ConsistencyRun | null> {
      const q = db('consistency_runs');
      const row: RunRow | undefined = await (id === undefined ? q.orderBy('id', 'desc').first() : q.where('id', id).first());
      return row ? toRun(row) : null;
    },

  };
}
export type ConsistencyRuns = ReturnType<typeof consistencyRuns>;
