import { runScript, sqliteEnvironment } from '../../tests/support/scripts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../shared/config';
import { openGatewayStore } from '../../gateway/store';
import { createConsumerRegistry } from '../../gateway/consumers';

/** `npm run token`: a lifetime is finite and at most a year; --help says what a citizen token opens. */

const token = (args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}) => runScript('token.ts', args, { ...sqliteEnvironment(dataDir), ...env }, 60_000);

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

  it("refuses a consumer the gateway's registry does not hold (exit 1, naming those it holds, nothing made), and notes a suspended one", async () => {
    const db = await openGatewayStore(readConfig(sqliteEnvironment(dataDir)));
    try {
      const registry = createConsumerRegistry(db);
      await registry.register({ id: 'county-permits', name: '县级工程建设项目审批系统', organisation: '某县住房和城乡建设局', roles: [], department: null });
      await registry.register({ id: 'old-portal', name: '旧门户', organisation: '某县政务服务中心', roles: [], department: null });
      await registry.setStatus('old-portal', 'SUSPENDED');
    } finally {
      await db.destroy();
    }
    const before = fs.readdirSync(dataDir).sort();

    // drc-approval is a seed consumer, but this store was made without the seed: its token would be refused.
    for (const id of ['nobody', 'drc-approval']) {
      const refused = await token([id], dataDir);
      expect([id, refused.code, refused.stdout]).toEqual([id, 1, '']);
      expect(refused.stderr).toContain(
        `token: "${id}" is not a registered consumer in the gateway's store (${path.join(dataDir, 'gateway.sqlite')}), so the gateway would refuse its token: ` +
          `registered are county-permits, old-portal; register it with npm run consumers -- add ${id} --name <name> --organisation <organisation>`,
      );
    }
    // No development key was made for the tokens it refused.
    expect(fs.readdirSync(dataDir).sort()).toEqual(before);

    const issued = await token(['county-permits'], dataDir);
    expect(issued.code).toBe(0);
    expect(claims(issued.stdout)).toMatchObject({ sub: 'county-permits' });
    expect(issued.stderr).not.toContain('registered');

    const suspended = await token(['old-portal'], dataDir);
    expect(suspended.code).toBe(0);
    expect(claims(suspended.stdout)).toMatchObject({ sub: 'old-portal' });
    expect(suspended.stderr).toContain('note: old-portal is suspended: the gateway refuses its requests until npm run consumers -- activate old-portal');
  });

  it('with no gateway store yet, issues the token and makes no store: a note unless the first start registers the consumer', async () => {
    const seed = await token(['drc-approval'], dataDir);
    expect(seed.code).toBe(0);
    expect(seed.stderr).not.toContain('registered');
    const other = await token(['county-permits'], dataDir);
    expect(other.code).toBe(0);
    expect(claims(other.stdout)).toMatchObject({ sub: 'county-permits' });
    expect(other.stderr).toContain(`note: there is no gateway store at ${path.join(dataDir, 'gateway.sqlite')} yet: the gateway accepts county-permits only once it is registered`);
    // Without the seed, the first start registers no one, a seed consumer included.
    const unseeded = await token(['drc-approval'], dataDir, { ONESOURCE_SEED_EMPTY_STORES: 'false' });
    expect(unseeded.code).toBe(0);
    expect(unseeded.stderr).toContain('the gateway accepts drc-approval only once it is registered');
    expect(fs.existsSync(path.join(dataDir, 'gateway.sqlite'))).toBe(false);
  });

  it('issues the token with a note when the registry cannot be read (MySQL not answering)', async () => {
    const outcome = await token(['county-permits'], dataDir, { ONESOURCE_MYSQL_URL: 'mysql://root@127.0.0.1:1' });
    expect(outcome.code).toBe(0);
    expect(claims(outcome.stdout)).toMatchObject({ sub: 'county-permits' });
    expect(outcome.stderr).toMatch(/note: the gateway's consumer registry \(onesource_gateway\) could not be read \(.*ECONNREFUSED.*\), so whether county-permits is registered is not known/);
  });
});
