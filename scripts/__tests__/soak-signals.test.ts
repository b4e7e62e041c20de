import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEPARTMENTS, envName } from '../../shared/departments';
import { alive } from '../../tests/support/scripts';

/**
 * SIGTERM (or Ctrl-C) during `npm run soak` stops the stack it started and removes its temporary
 * directory, tens of MB of synthetic personal data and keys, then exits non-zero (128 + 15) saying
 * so. Real processes; SQLite only, though the shell names MySQL servers for every store (port 1,
 * where nothing answers: a soak that tried to reach one would fail at once).
 */

const ROOT = path.join(__dirname, '..', '..');
const MYSQL_SETTINGS: NodeJS.ProcessEnv = {
  ONESOURCE_MYSQL_URL: 'mysql://x@127.0.0.1:1',
  ONESOURCE_GATEWAY_MYSQL_URL: 'mysql://x@127.0.0.1:1',
  ONESOURCE_DB_PREFIX: 'production_',
  ...Object.fromEntries(DEPARTMENTS.map((d) => [`ONESOURCE_${envName(d.name)}_MYSQL_URL`, 'mysql://x@127.0.0.1:1'])),
};

/** Polls until `check` passes: waits on what is observed, never on a guessed delay. */
async function until(check: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The processes `pid` started (Linux), as /proc lists them. */
function childrenOf(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).flatMap((task) => fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
}

interface Soak {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The temporary directory it said it seeds into. */
  dataDir: () => Promise<string>;
}

function startSoak(tmp: string): Soak {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join('scripts', 'soak.ts'), '--duration', '120', '--scale', '500'], {
    cwd: ROOT,
    env: { ...process.env, ...MYSQL_SETTINGS, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const seeding = () => /seeding 500 persons into (\S+) \.\.\./.exec(stdout)?.[1];
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    dataDir: async () => {
      await until(() => seeding() !== undefined || child.exitCode !== null, 'the soak saying where it seeds');
      if (!seeding()) throw new Error(`the soak ended before seeding: ${stderr}`);
      return seeding()!;
    },
  };
}

describe('npm run soak stopped by SIGTERM [sqlite, processes]', () => {
  let tmp: string;
  let soak: Soak | undefined;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-soak-signals-'));
  });
  afterEach(async () => {
    // A failed test leaves no soak running behind it.
    if (soak && soak.child.exitCode === null && soak.child.signalCode === null) {
      soak.child.kill('SIGKILL');
      await soak.exited;
    }
    soak = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('as soon as it seeds, before any process is started: removes the directory and exits 143', async () => {
    soak = startSoak(tmp);
    const dataDir = await soak.dataDir();
    expect(path.dirname(dataDir)).toBe(tmp);
    soak.child.kill('SIGTERM');
    expect(await soak.exited).toEqual({ code: 143, signal: null });
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(soak.stderr()).toContain(`soak stopped before the end: no figures; ${dataDir} removed`);
    expect(soak.stdout()).not.toMatch(/Soak:/);
  });

  it('once the stack is up: stops the five departments and the gateway, removes the directory and exits 143', async () => {
    soak = startSoak(tmp);
    const dataDir = await soak.dataDir();
    // The gateway has opened its store: the whole stack is up.
    await until(() => fs.existsSync(path.join(dataDir, 'gateway.sqlite')) || soak!.child.exitCode !== null, 'the gateway to open its store');
    expect(soak.child.exitCode).toBeNull();
    // Seeded on SQLite in the directory, though the shell named a MySQL server for each store.
    for (const { name } of DEPARTMENTS) expect([name, fs.existsSync(path.join(dataDir, `${name}.sqlite`))]).toEqual([name, true]);
    const stack = childrenOf(soak.child.pid!).filter((pid) => /dist\/scripts\/(subgraph|gateway)\.js/.test(fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
    expect(stack).toHaveLength(6);

    soak.child.kill('SIGTERM');
    expect(await soak.exited).toEqual({ code: 143, signal: null });
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(stack.filter(alive)).toEqual([]);
    expect(soak.stderr()).toContain(`soak: SIGTERM: stopping the stack and removing ${dataDir}`);
    expect(soak.stderr()).toContain(`soak stopped before the end: no figures; ${dataDir} removed`);
    expect(soak.stdout()).not.toMatch(/Soak:/);
  });
});
