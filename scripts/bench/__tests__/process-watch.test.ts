import { spawn } from 'node:child_process';
import { settle } from '../process-watch';

/** A process that keeps one core busy for `busyMs`, then idles until killed. */
function worker(busyMs: number) {
  const child = spawn(process.execPath, ['-e', `const end = Date.now() + ${busyMs}; while (Date.now() < end); setInterval(() => {}, 1000);`]);
  return { pid: child.pid!, stop: () => child.kill() };
}

describe('settling between bursts', () => {
  it('waits while a process is still working through its backlog, and returns once it is idle', async () => {
    const busy = worker(1_500);
    try {
      const quiet = await settle([busy.pid], 10_000);
      expect(quiet.idle).toBe(true);
      expect(quiet.waitedMs).toBeGreaterThanOrEqual(1_000);
    } finally {
      busy.stop();
    }
  });

  it('gives up after its limit and says the stack was still busy', async () => {
    const busy = worker(60_000);
    try {
      expect(await settle([busy.pid], 1_200)).toEqual({ idle: false, waitedMs: expect.any(Number) });
    } finally {
      busy.stop();
    }
  });
});
