import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { projectPath } from '../../shared/project-root';

/** What a command printed, and how it exited. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** `scripts/<script>` run as `npm run` runs it (tsx), in the repository, with `env` as its whole environment. */
export function runScript(script: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join('scripts', script), ...args], { cwd: projectPath(), env, timeout: timeoutMs }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The environment of a command on SQLite in `dataDir`, whatever MySQL settings this shell has. */
export function sqliteEnvironment(dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^ONESOURCE_.*MYSQL_URL$/.test(name)));
  return { ...env, ONESOURCE_MYSQL_URL: '', ONESOURCE_DATA_DIR: dataDir };
}

/** Every file under `dir` (at any depth) with the SHA-256 of its bytes: equal snapshots mean nothing was touched. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of fs.readdirSync(at, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(at, entry.name);
      if (entry.isDirectory()) walk(full);
      else files[path.relative(dir, full)] = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
    }
  };
  walk(dir);
  return files;
}

/** Whether a process of that id is running (signal 0 only asks). */
export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
