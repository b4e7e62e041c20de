import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BUILDS, SERVER_BUILD } from '../scripts/build-server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');
const build = () => run(process.execPath, ['--import', 'tsx', 'scripts/build-server.ts'], { cwd: ROOT });

/**
 * The compiled server is swapped in whole: a process started while another `npm start`, build or
 * test run compiles (a supervisor restarting a department, say) never finds `dist/` gone or half
 * written, and two builds at once leave one whole build behind them.
 */
describe('npm run build', () => {
  it('never leaves dist/ without the gateway while two builds run at once', async () => {
    const entry = path.join(SERVER_BUILD, 'scripts', 'gateway.js');
    await build(); // a fresh checkout has none yet
    let missing = 0;
    const watch = setInterval(() => {
      if (!fs.existsSync(entry)) missing += 1;
    }, 1);
    try {
      await Promise.all([build(), build()]);
    } finally {
      clearInterval(watch);
    }
    expect(missing).toBe(0);
    expect(fs.existsSync(entry)).toBe(true);
    expect(path.dirname(fs.realpathSync(entry))).toBe(path.join(fs.realpathSync(BUILDS), path.basename(fs.readlinkSync(SERVER_BUILD)), 'scripts'));
  }, 120_000);

  it('removes the builds no process may still be starting from, and keeps those that one may', async () => {
    const anHourAgo = new Date(Date.now() - 3_600_000);
    const planted = (name: string, finished: Date) => {
      const folder = path.join(BUILDS, name);
      fs.mkdirSync(path.join(folder, 'scripts'), { recursive: true });
      fs.utimesSync(folder, finished, finished);
      return folder;
    };
    const finishedLongAgo = planted('0-finished-long-ago', anHourAgo);
    const justFinished = planted('0-just-finished', new Date());
    // This test's own process is running: as far as the build can tell, still writing that one.
    const stillBeingWritten = planted(`${process.pid}-still-being-written`, anHourAgo);
    try {
      await build();
      expect([finishedLongAgo, justFinished, stillBeingWritten].map((folder) => fs.existsSync(folder))).toEqual([false, true, true]);
    } finally {
      for (const folder of [finishedLongAgo, justFinished, stillBeingWritten]) fs.rmSync(folder, { recursive: true, force: true });
    }
  }, 120_000);
});
