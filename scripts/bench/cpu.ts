import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { processTree } from './memory';

/** Clock ticks per second of /proc's CPU times (USER_HZ; 100 on every common Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system) a target's process tree spent during one burst, from /proc. On a shared
 * 2-core machine requests/s moves by ±10% from run to run, while CPU per answer moves far less:
 * it says what a target costs, whatever else the machine was doing.
 */
export class CpuWatch {
  private pids: number[] = [];
  private startTicks = 0;

  constructor(private readonly pid: number) {}

  begin(): void {
    this.pids = processTree(this.pid);
    this.startTicks = ticks(this.pids);
  }

  /** CPU seconds since `begin` (processes that ended meanwhile are no longer counted). */
  end(): number {
    return Math.max(0, ticks(this.pids) - this.startTicks) / TICKS_PER_SECOND;
  }
}

function ticks(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended
    }
  }
  return total;
}
