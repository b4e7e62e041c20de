import { spawn } from 'node:child_process';
import { PROJECT_ROOT } from '../../../shared/project-root';

describe('a peer target of the bench', () => {
  it('stops when the bench that started it goes away, as it does on SIGTERM', async () => {
    // A server, as the peers run one, stopped by stopWithBench; the bench's side of the channel is closed.
    const target = spawn(
      process.execPath,
      ['--import', 'tsx', '-e', "const s = require('node:http').createServer().listen(0, '127.0.0.1', () => process.send('listening')); require('./scripts/bench/stop-with-bench').stopWithBench(() => s.close(() => process.exit(0)));"],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
    );
    await new Promise((r) => target.once('message', r));
    const exited = new Promise<number | null>((r) => target.once('exit', r));
    target.disconnect();
    const timer = setTimeout(() => target.kill('SIGKILL'), 10_000);
    await expect(exited).resolves.toBe(0);
    clearTimeout(timer);
  });
});
