import { runScript } from '../../tests/support/scripts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `npm run token`: a lifetime is finite and at most a year; --help says what a citizen token opens. */

const token = (args: string[], dataDir: string) => runScript('token.ts', args, { ...process.env, ONESOURCE_DATA_DIR: dataDir }, 60_000);

const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.trim().split('.')[1], 'base64url').toString());

describe('npm run token', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-token-'));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a --lifetime past a year, or past any number (exp would be null), exit 2 naming the option', async () => {
    for (const lifetime of ['99999999999999999999y', `${'9'.repeat(400)}y`, '366d', '53w', '1.1y']) {
      const outcome = await token(['drc-approval', '--lifetime', lifetime], dataDir);
      expect([lifetime.slice(0, 30), outcome.code]).toEqual([lifetime.slice(0, 30), 2]);
      expect(outcome.stderr).toContain(`option '--lifetime <duration>' argument '${lifetime}' is invalid. a development token lives at most a year (1y, 365d, 52w or 8766h; a year is 365.25 days)`);
      expect(outcome.stdout).toBe('');
    }
    // Not even a development key was made.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('issues a token of a year at most, with its expiry', async () => {
    for (const [lifetime, seconds] of [['1y', 31_557_600], ['8766h', 31_557_600], ['365d', 31_536_000]] as const) {
      const outcome = await token(['drc-approval', '--lifetime', lifetime], dataDir);
      expect([lifetime, outcome.code]).toEqual([lifetime, 0]);
      const { exp, iat } = claims(outcome.stdout);
      expect([lifetime, exp - iat]).toEqual([lifetime, seconds]);
    }
  });

  it('--help says what a citizen token opens: their accessLog and recordChanges, and objections about their own record', async () => {
    const help = await token(['--help'], dataDir);
    expect(help.code).toBe(0);
    const citizen = help.stdout.slice(help.stdout.indexOf('--citizen'), help.stdout.indexOf('--lifetime')).replace(/\s+/g, ' ');
    for (const field of ['accessLog', 'recordChanges', 'raiseObjection', 'objections', 'objection']) expect(citizen).toContain(field);
    expect(citizen).toContain('raises and follows objections about their own record');
    expect(citizen).not.toMatch(/only their own access log/);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('token lifetime, at most a year');
  });
});
