import fs from 'node:fs';

/**
 * Resident memory of a target: its process and every descendant (a gateway that forks workers
 * with node:cluster is measured whole), read from /proc, so nothing has to be installed.
 *
 * Per burst, the peak is the kernel's own high-water mark (VmHWM) after resetting it at the start
 * of the burst (`echo 5 > /proc/<pid>/clear_refs`), summed over the processes of the tree: exact
 * for one process, an upper bound for several. Where the reset is refused, it falls back to the
 * largest sum of VmRSS seen by polling every 100 ms.
 */
export class MemoryWatch {
  private pids: number[] = [];
  private resetWorked = false;
  private polledPeak = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly pid: number) {}

  /** Starts watching one burst. */
  begin(): void {
    this.pids = processTree(this.pid);
    this.resetWorked = this.pids.every(resetHighWaterMark);
    this.polledPeak = 0;
    this.timer = setInterval(() => {
      this.polledPeak = Math.max(this.polledPeak, residentBytes(this.pids));
    }, 100);
    this.timer.unref();
  }

  /** Ends the burst: its peak resident bytes. */
  end(): number {
    clearInterval(this.timer);
    const polled = Math.max(this.polledPeak, residentBytes(this.pids));
    if (!this.resetWorked) return polled;
    const hwm = sum(this.pids.map((p) => statusBytes(p, 'VmHWM')));
    return Math.max(hwm, polled);
  }

  /** Resident bytes of the whole tree now. */
  resident(): number {
    return residentBytes(processTree(this.pid));
  }
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

/** `pid` and all its descendants, from the parent ids in /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields are counted after it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid);
      if (list) list.push(Number(entry));
      else children.set(ppid, [Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const tree: number[] = [];
  const visit = (p: number) => {
    tree.push(p);
    for (const c of children.get(p) ?? []) visit(c);
  };
  if (fs.existsSync(`/proc/${pid}`)) visit(pid);
  return tree;
}
