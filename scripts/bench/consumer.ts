import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './stack';

/** The consumer system the bench speaks as: the investment approval system of the seed data. */
export const BENCH_CONSUMER = 'drc-approval';

export interface ConsumerHeaders {
  headers: Record<string, string>;
  /** How the requests authenticate, for the report. */
  note: string;
}

/**
 * The headers of a consumer's request: `Authorization: Bearer <token>` from
 * `npm run token -- drc-approval` and the stated purpose in `X-Purpose`, once `scripts/token.ts`
 * exists; none before (the gateway did not authenticate yet). Every target is sent the same
 * headers, so every request weighs the same; only OneSource reads them.
 */
export async function consumerHeaders(env: NodeJS.ProcessEnv, purpose: string): Promise<ConsumerHeaders> {
  if (!fs.existsSync(path.join(ROOT, 'scripts', 'token.ts'))) {
    return { headers: {}, note: 'no Authorization header (scripts/token.ts does not exist yet)' };
  }
  const { stdout } = await promisify(execFile)('npm', ['run', '--silent', 'token', '--', BENCH_CONSUMER], { cwd: ROOT, env });
  // The token is the last line printed, whatever npm or the script printed before it.
  const token = stdout.trim().split('\n').pop()?.trim();
  if (!token) throw new Error(`npm run token -- ${BENCH_CONSUMER} printed no token`);
  return {
    headers: { authorization: `Bearer ${token}`, 'x-purpose': purpose },
    note: `Authorization: Bearer <token of ${BENCH_CONSUMER}> and X-Purpose: ${purpose}`,
  };
}
