import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** What one burst cost a target's processes. */
export interface BurstCost {
  /** Peak resident bytes. */
  peakBytes: number;
  /** User and system CPU seconds. */
  cpuSeconds: number;
}

/**
 * Resident memory and CPU time of a target: its process and every descendant (a gateway that forks
 * workers with node:cluster is measured whole), read from /proc, so nothing has to be installed.
 *
 * Per burst, the peak is the kernel's own high-water mark (VmHWM) after resetting it at the start
 * of the burst (`echo 5 > /proc/<pid>/clear_refs`), summed over the processes of the tree: exact
 * for one process, an upper bound for several. Where the reset is refused, it falls back to the
 * largest sum of VmRSS seen by polling every 100 ms.
 *
 * CPU is user + system time over the burst. On a shared 2-core machine requests/s moves by ±10%
 * from run to run, while CPU per answer moves far less: it says what a target costs, whatever else
 * the machine was doing.
 */
export class ProcessWatch {
  private pids: number[] = [];
  private resetWorked = false;
  private polledPeak = 0;
  private startTicks = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  /** Starts watching one burst. */
  begin(): void {
    this.pids = processTrees([this.pid]);
    this.resetWorked = this.pids.every(resetHighWaterMark);
    this.polledPeak = 0;
    this.startTicks = cpuTicks(this.pids);
    // Polling is only the fallback: where the reset worked, the summed high-water marks are never
    // below any sum of RSS a poll could see, and a 10 Hz reader of /proc is load on a 2-core machine.
    if (this.resetWorked) return;
    this.timer = setInterval(() => {
      this.polledPeak = Math.max(this.polledPeak, residentBytes(this.pids));
    }, 100);
    this.timer.unref();
  }

  /** Ends the burst (processes that ended meanwhile are no longer counted). */
  end(): BurstCost {
    clearInterval(this.timer);
    this.timer = undefined;
    const cpuSeconds = Math.max(0, cpuTicks(this.pids) - this.startTicks) / TICKS_PER_SECOND;
    if (!this.resetWorked) return { peakBytes: Math.max(this.polledPeak, residentBytes(this.pids)), cpuSeconds };
    return { peakBytes: sum(this.pids.map((p) => statusBytes(p, 'VmHWM'))), cpuSeconds };
  }

  /** Resident bytes of the whole tree now. */
  resident(): number {
    return residentBytes(processTrees([this.pid]));
  }
}

/**
 * Waits until the processes `pids` (and their descendants) are idle: less than a tenth of a core
 * over half a second. A target that fell behind keeps working through its backlog after its burst
 * ends (the departments' calls go on after the load generator hangs up); the next burst must not
 * pay for it. Gives up after `maxMs` and says how long it waited either way.
 */
export async function settle(pids: number[], maxMs = 60_000): Promise<{ idle: boolean; waitedMs: number }> {
  const started = Date.now();
  const windowMs = 500;
  let before = cpuSecondsOf(pids);
  for (;;) {
    await new Promise((r) => setTimeout(r, windowMs));
    const now = cpuSecondsOf(pids);
    const waitedMs = Date.now() - started;
    if (now - before < (0.1 * windowMs) / 1000) return { idle: true, waitedMs };
    if (waitedMs >= maxMs) return { idle: false, waitedMs };
    before = now;
  }
}

/**
 * User and system CPU seconds the processes `pids` and their descendants have used so far. Read
 * before a burst and again once `settle` found the target and the subgraphs idle after it, the difference is what the whole
 * stack spent on the burst, its backlog included.
 */
export function cpuSecondsOf(pids: number[]): number {
  return cpuTicks(processTrees(pids)) / TICKS_PER_SECOND;
}

/** The processes whose command name is one of `names` (e.g. the database and Redis servers). */
export function processesNamed(names: readonly string[]): number[] {
  return runningPids().filter((pid) => {
    try {
      return names.includes(fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
    } catch {
      return false; // ended meanwhile
    }
  });
}

/** Every process now running, from /proc's numbered entries. */
function runningPids(): number[] {
  return fs.readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number);
}

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function cpuTicks(pids: number[]): number {
  return sum(pids.map((pid) => {
    try {
      const fields = statFields(pid);
      return Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      return 0; // the process ended
    }
  }));
}

function residentBytes(pids: number[]): number {
  return sum(pids.map((p) => statusBytes(p, 'VmRSS')));
}

function sum(values: number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

/** A line of /proc/<pid>/status in bytes (0 once the process is gone). */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function resetHighWaterMark(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The processes `roots` and all their descendants, from the parent ids in /proc/<pid>/stat (one look at /proc). */
export function processTrees(roots: readonly number[]): number[] {
  const children = new Map<number, number[]>();
  for (const entry of runningPids()) {
    try {
      const ppid = Number(statFields(entry)[1]);
      const list = children.get(ppid);
      if (list) list.push(entry);
      else children.set(ppid, [entry]);
    } catch {
      // the process ended while we looked
    }
  }
  // A set: a root that is another root's descendant is counted once.
  const tree = new Set<number>();
  const visit = (p: number) => {
    tree.add(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  for (const pid of roots) if (fs.existsSync(`/proc/${pid}`)) visit(pid);
  return [...tree];
}

/** The fields of /proc/<pid>/stat after the command name (state, ppid, …); throws once the process is gone. */
function statFields(pid: number): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name is in parentheses and may hold spaces: fields are counted after it.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
