import type { Logger } from '../shared/logger';

/** How long a stop may take before the process gives up waiting and exits anyway. */
const STOP_DEADLINE_MS = 20_000;
/** A second SIGINT sooner than this is the first one relayed, not Ctrl-C pressed again. */
const RELAY_MS = 500;

/**
 * SIGINT/SIGTERM: stop accepting, finish what is in flight, then exit. Whatever happens, the
 * process ends: Ctrl-C pressed again (a second SIGINT, RELAY_MS or more after the first) exits at
 * once, and a stop that has not finished after STOP_DEADLINE_MS is logged and cut short. Any other
 * signal during the stop is
 * the same request again and changes nothing: Ctrl-C, or systemd stopping the unit, signals the
 * whole process group, and `npm start`'s supervisor then sends each of its processes SIGTERM too.
 * A process started by `supervise` also stops when its supervisor goes away (the IPC channel
 * closes), so a crashed or killed `npm start` never leaves departments running behind it.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  logger: Logger,
  deadlineMs = STOP_DEADLINE_MS,
  /** A `node:cluster` worker listens for SIGTERM only: its primary decides when it stops. */
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  let stoppedAt = 0;
  const onSignal = (signal: string) => {
    if (stopping) {
      // Within RELAY_MS it is the same Ctrl-C again: the terminal signals the whole group, and a
      // launcher in it (tsx, npm) relays the signal to its child as well.
      if (signal !== 'SIGINT' || Date.now() - stoppedAt < RELAY_MS) return logger.debug({ signal }, 'already stopping');
      logger.warn({ signal }, 'stopping now, without waiting for in-flight work');
      process.exit(130);
    }
    stopping = true;
    stoppedAt = Date.now();
    logger.info({ signal }, 'stopping');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs }, 'stop did not finish in time: exiting anyway');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    stop().then(
      () => process.exit(0),
      (e) => {
        logger.error({ err: e }, 'stop failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, () => onSignal(signal));
  if (process.send) {
    // The IPC channel must not keep a process alive on its own; the servers do that.
    process.channel?.unref();
    process.on('disconnect', () => onSignal('supervisor gone'));
  }
}
