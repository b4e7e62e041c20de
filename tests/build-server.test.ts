import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SERVER_BUILD } from '../scripts/build-server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');

/**
 * The compiled server is swapped in whole: a process started while another `npm start`, build or
 * test run compiles (a supervisor restarting a department, say) never finds `dist/` gone or half
 * written, and two builds at once leave one whole build behind them.
 */
describe('npm run build', () => {
  it('never leaves dist/ without the gateway while two builds run at once, and leaves nothing else behind', async () => {
    const entry = path.join(SERVER_BUILD, 'scripts', 'gateway.js');
    const build = () => run(process.execPath, ['--import', 'tsx', 'scripts/build-server.ts'], { cwd: ROOT });
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
    expect(fs.readdirSync(ROOT).filter((name) => name.startsWith('dist.'))).toEqual([]);
  }, 120_000);
});
