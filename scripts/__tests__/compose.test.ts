import { runScript } from '../../tests/support/scripts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** `npm run compose`: the data directory it makes is this user's alone; a bad setting is one line. */

const compose = (env: NodeJS.ProcessEnv) => runScript('compose.ts', [], { ...process.env, ...env }, 60_000);

describe('npm run compose', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-compose-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('makes a data directory that is not there for this user alone (0700), as the stores make it', async () => {
    const dataDir = path.join(tmp, 'fresh', 'data');
    const outcome = await compose({ ONESOURCE_DATA_DIR: dataDir });
    expect([outcome.code, outcome.stdout.trim()]).toEqual([0, `Composed 5 subgraphs into ${path.join(dataDir, 'supergraph.graphql')}`]);
    for (const dir of [path.join(tmp, 'fresh'), dataDir]) expect([dir, (fs.statSync(dir).mode & 0o777).toString(8)]).toEqual([dir, '700']);
  });

  it('says a bad setting in one line naming it, exits 1 and makes nothing', async () => {
    const dataDir = path.join(tmp, 'data');
    const outcome = await compose({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_GATEWAY_PORT: 'abc' });
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toBe('compose: ONESOURCE_GATEWAY_PORT must be a whole number written in digits (0-9), not "abc"\n');
    expect(outcome.stdout).toBe('');
    expect(fs.existsSync(dataDir)).toBe(false);
  });
});
