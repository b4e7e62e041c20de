import cluster, { Worker } from 'node:cluster';
import type { Config } from '../shared/config';
import { storeLocation } from '../shared/db';
import type { Logger } from '../shared/logger';

/**
 * The number of gateway processes to run: `ONESOURCE_GATEWAY_WORKERS`, but one when the gateway's
 * store is SQLite. Several processes writing one SQLite file meet SQLITE_BUSY on concurrent
 * read-then-write transactions (the audit chain's head, usage upserts), which would withhold
 * answers; on MySQL those transactions lock rows and wait for each other.
 */
export function gatewayWorkers(config: Config, logger: Logger): number {
  if (config.gatewayWorkers > 1 && storeLocation(config, 'gateway').client !== 'mysql2') {
    logger.warn({ asked: config.gatewayWorkers }, 'ONESOURCE_GATEWAY_WORKERS > 1 needs the gateway store on MySQL (ONESOURCE_MYSQL_URL): running one process');
    return 1;
  }
  return Math.max(1, config.gatewayWorkers);
}

export interface ClusterPrimary {
  /**
   * Resolves true once every worker is listening, false if `stop` came first; rejects if a worker
   * exits while starting (a misconfiguration shows at once instead of looping).
   */
  started: Promise<boolean>;
  /**
   * Waits for the one-time work if it is still running (a half-made store is worse than a late
   * stop), then sends every worker SIGTERM (each stops accepting, finishes what is in flight) and
   * waits for all to exit. Callable from the start, so SIGTERM during start-up is handled too.
   */
  stop(): Promise<void>;
}

export interface PrimaryOptions {
  workers: number;
  logger: Logger;
  /**
   * One-time work (keys, migrations, seeding), done before the first worker starts. Begun on the
   * next microtask, not before this returns: the caller wires `stop` to its signals first, so a
   * SIGTERM that comes as the work begins stops it, rather than kill the process mid-migration.
   */
  prepare: () => Promise<void>;
}

/**
 * The `node:cluster` primary of the gateway: it does the one-time work, forks the workers (each
 * runs the whole gateway; they share the port, the primary hands out connections in turn) and
 * reports when every worker is listening. A worker that dies before that fails the start; one that
 * dies later is replaced, with a backoff of 0.5 s doubling to 30 s.
 */
export function startClusterPrimary({ workers, logger, prepare }: PrimaryOptions): ClusterPrimary {
  let stopping = false;
  let serving = false;
  let delay = 500;
  const running = new Set<Worker>();

  const fork = () => {
    const worker = cluster.fork();
    running.add(worker);
    worker.once('exit', (code, signal) => {
      running.delete(worker);
      if (stopping || !serving) return;
      logger.warn({ worker: worker.process.pid, code, signal, inMs: delay }, 'gateway worker exited: starting another');
      setTimeout(() => !stopping && fork(), delay);
      delay = Math.min(delay * 2, 30_000);
    });
    return worker;
  };

  const prepared = Promise.resolve().then(prepare);
  const stop = async () => {
    stopping = true;
    await prepared.catch(() => undefined);
    await Promise.all(
      [...running].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  const started = (async () => {
    await prepared;
    if (stopping) return false;
    const forked = Array.from({ length: workers }, fork);
    try {
      await Promise.all(
        forked.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              worker.once('listening', () => resolve());
              worker.once('exit', (code, signal) => reject(new Error(`gateway worker ${worker.process.pid} exited while starting (code ${code}, signal ${signal})`)));
            }),
        ),
      );
    } catch (e) {
      if (stopping) return false;
      await stop();
      throw e;
    }
    if (stopping) return false;
    serving = true;
    // A worker that has served for a minute has earned a fresh backoff.
    setInterval(() => (delay = 500), 60_000).unref();
    logger.info({ workers, pids: forked.map((w) => w.process.pid) }, 'gateway workers listening');
    return true;
  })();
  return { started, stop };
}

/**
 * In a worker: when the primary goes away (killed or crashed), finish what is in flight before
 * exiting. Node's cluster module exits a worker the moment its channel to the primary closes,
 * unless the disconnect was asked for (`exitedAfterDisconnect`), cutting off every request it was
 * answering; marked as asked for, the worker is stopped by its own `stopOnSignals`, which treats the
 * channel closing as its supervisor gone: it stops accepting, drains, and exits.
 */
export function drainWhenPrimaryGoes(): void {
  const worker = cluster.worker;
  if (!worker) return;
  worker.once('disconnect', () => {
    (worker as { exitedAfterDisconnect: boolean }).exitedAfterDisconnect = true;
  });
}
