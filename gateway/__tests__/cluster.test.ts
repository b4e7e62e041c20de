import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { projectPath } from '../../shared/project-root';
import { alive } from '../../tests/support/scripts';
import { freePort } from '../../scripts/processes';

/**
 * The gateway's `node:cluster` primary and workers (gateway/cluster.ts), as real processes around
 * a stand-in server (tests/support/cluster-process.ts): a worker whose primary dies finishes the
 * request it is answering before it exits, and SIGTERM while the primary is still starting stops it
 * cleanly once its one-time work is done.
 */

interface Cluster {
  primary: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCluster(env: Record<string, string>): Cluster {
  const primary = spawn(process.execPath, ['--import', 'tsx', path.join('tests', 'support', 'cluster-process.ts')], {
    cwd: projectPath(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  primary.stdout!.on('data', (chunk) => (output += chunk));
  primary.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => primary.once('exit', (code, signal) => resolve({ code, signal })));
  return { primary, output: () => output, exited };
}

/** Polls until `check` passes: waits on what is observed, never on a guessed delay. */
async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function get(port: number): Promise<{ status?: number; body?: string; error?: string }> {
  return new Promise((resolve) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', (e) => resolve({ error: e.message }));
    });
    request.on('error', (e) => resolve({ error: e.message }));
  });
}

describe('gateway cluster [processes]', () => {
  let running: Cluster | undefined;
  afterEach(() => {
    if (running?.primary.exitCode === null) running.primary.kill('SIGKILL');
  });

  it('a worker whose primary is killed answers the request it holds, then exits', async () => {
    const port = await freePort();
    running = startCluster({ PORT: String(port), ANSWER_AFTER_MS: '1500' });
    await until(() => running!.output().includes('listening'), 'the workers listening');
    const answer = get(port);
    await until(() => /received (\d+)/.test(running!.output()), 'the request reaching a worker');
    const worker = Number(/received (\d+)/.exec(running.output())![1]);
    running.primary.kill('SIGKILL');
    expect(await answer).toEqual({ status: 200, body: `answered by ${worker}` });
    await until(() => !alive(worker), 'the worker exiting after its answer', 10_000);
  }, 60_000);

  it('SIGTERM while the primary prepares stops it once the preparation is done, forking no worker', async () => {
    running = startCluster({ PORT: String(await freePort()), PREPARE_MS: '1500' });
    await until(() => running!.output().includes('preparing'), 'the primary preparing');
    running.primary.kill('SIGTERM');
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.output()).toContain('prepared');
    expect(running.output()).not.toContain('listening');
    expect(running.output()).toMatch(/"msg":"stopping"/);
  }, 60_000);

  it('SIGTERM as the preparation begins is a stop too: the signal is wired before the work starts', async () => {
    running = startCluster({ PORT: String(await freePort()), PREPARE_MS: '200', SIGTERM_AS_PREPARE_BEGINS: '1' });
    expect(await running.exited).toEqual({ code: 0, signal: null });
    expect(running.output()).toContain('prepared');
    expect(running.output()).not.toContain('listening');
  }, 60_000);
});
