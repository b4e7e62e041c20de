import { spawn } from 'node:child_process';
import { cpuSecondsOf, processesNamed, settle } from '../process-watch';

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

describe('what the whole stack spent', () => {
  it('counts the CPU a process and its children use, and finds processes by command name', async () => {
    // A shell whose child keeps a core busy: the child's time counts for the shell's tree.
    const shell = spawn('sh', ['-c', `"${process.execPath}" -e "const end = Date.now() + 800; while (Date.now() < end); setInterval(() => {}, 1000)"; sleep 60`], { detached: true, stdio: 'ignore' });
    try {
      const before = cpuSecondsOf([shell.pid!]);
      await new Promise((r) => setTimeout(r, 1_500));
      const spent = cpuSecondsOf([shell.pid!]) - before;
      expect(spent).toBeGreaterThan(0.4);
      expect(spent).toBeLessThan(1.2);
      expect(processesNamed(['sh'])).toContain(shell.pid);
      expect(processesNamed(['no-such-server'])).toEqual([]);
    } finally {
      process.kill(-shell.pid!); // the shell and its busy child
    }
  });
});
