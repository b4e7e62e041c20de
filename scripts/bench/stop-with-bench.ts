/**
 * A peer target of the bench (Hive Gateway, bare Apollo, the direct baseline) stops on SIGINT or
 * SIGTERM, and when the bench that started it goes away (its IPC channel closes): a bench killed or
 * crashed otherwise left these running, holding their ports and, for the direct baseline, five
 * database pools. OneSource's own entries do the same through `stopOnSignals`.
 */
export function stopWithBench(stop: () => void): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on('SIGTERM', once);
  process.on('SIGINT', once);
  if (process.send) {
    // The channel must not keep the process alive on its own; the server does that.
    process.channel?.unref();
    process.on('disconnect', once);
  }
}
