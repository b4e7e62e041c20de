import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../scripts/processes';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, envName } from '../shared/departments';
import { projectPath } from '../shared/project-root';
import { openGatewayStore } from '../gateway/store';
import { openDepartmentStore } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { Outcome, runScript as runScriptIn, snapshot, sqliteEnvironment } from './support/scripts';

/**
 * The command-line scripts refuse bad input before they change anything: each bad value exits
 * non-zero naming the option and what it accepts, and the data directory is byte for byte as it
 * was. SQLite only, each suite in its own ONESOURCE_DATA_DIR; no stack is started.
 */

function runScript(script: string, args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return runScriptIn(script, args, { ...sqliteEnvironment(dataDir), ...env });
}

async function personCount(dataDir: string): Promise<number> {
  const db = await openDepartmentStore(readConfig(sqliteEnvironment(dataDir)), departments.persons);
  try {
    const [{ n }] = await db('natural_persons').count({ n: '*' });
    return Number(n);
  } finally {
    await db.destroy();
  }
}

const tempDir = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `onesource-${name}-`));

describe('npm run seed: every option is checked before any store is touched', () => {
  let dataDir: string;
  let before: Record<string, string>;

  beforeAll(async () => {
    dataDir = tempDir('seed');
    const seeded = await runScript('seed.ts', ['--only', 'persons'], dataDir);
    expect(seeded).toMatchObject({ code: 0 });
    expect(await personCount(dataDir)).toBe(10_000);
    before = snapshot(dataDir);
  }, 180_000);
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  /** Runs seed with `args`, expects it refused with `message`, and the persons store as it was. */
  async function refused(args: string[], message: RegExp): Promise<void> {
    const outcome = await runScript('seed.ts', args, dataDir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toMatch(message);
    expect(outcome.stdout).not.toMatch(/Seeded|Seeding/);
    expect(snapshot(dataDir)).toEqual(before);
    expect(await personCount(dataDir)).toBe(10_000);
  }

  it('refuses a seed number that is not a whole number, before --reset drops the store', async () => {
    await refused(['--seed', 'xyz', '--only', 'persons', '--reset'], /option '--seed <number>' argument 'xyz' is invalid\. a whole number from 0 to 4,294,967,295/);
    await refused(['--seed', '-1', '--only', 'persons', '--reset'], /'--seed <number>' argument '-1' is invalid/);
    await refused(['--seed', '4294967296', '--only', 'persons', '--reset'], /'--seed <number>' argument '4294967296' is invalid/);
  });

  it.each([['abc'], ['0'], ['-5'], ['1.5'], ['2000001']])('refuses --scale %s instead of seeding 10,000 or nothing', async (scale) => {
    await refused(['--scale', scale, '--only', 'persons', '--reset'], new RegExp(`option '--scale <persons>' argument '${scale.replace('.', '\\.')}' is invalid\\. a whole number of persons from 1 to 2,000,000`));
  });

  it('refuses a scale and seed the seed cannot build, before --reset drops the store', async () => {
    // Seed 42 at 100 persons has no living person off the blacklist to represent a company.
    await refused(['--scale', '100', '--seed', '42', '--only', 'persons', '--reset'], /--scale 100 with --seed 42 cannot be seeded \(.*\): nothing was changed; choose a larger --scale or another --seed/);
  });

  it('refuses an unknown department, an unknown option and extra arguments', async () => {
    await refused(['--only', 'persons,people', '--reset'], /option '--only <departments>' argument 'persons,people' is invalid\. unknown department "people": comma-separated names from persons, legal-persons, geo, projects, credit/);
    await refused(['--only', 'persons', '--reset', '--bogus'], /unknown option '--bogus'/);
    await refused(['persons', '--reset'], /too many arguments/);
  });

  it('still seeds what it is asked: --scale 300 --seed 7 gives 300 persons, a department named twice seeded once', async () => {
    const other = tempDir('seed-scaled');
    try {
      const outcome = await runScript('seed.ts', ['--scale', '300', '--seed', '7', '--only', 'persons,persons'], other);
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/Seeding persons \(seed 7: 300 persons/);
      expect(await personCount(other)).toBe(300);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('npm run audit:verify and npm run report: only on an existing gateway store', () => {
  let empty: string;
  let withStore: string;

  beforeAll(async () => {
    empty = tempDir('no-store');
    withStore = tempDir('gateway-store');
    const db = await openGatewayStore(readConfig(sqliteEnvironment(withStore)));
    await db.destroy();
  });
  afterAll(() => {
    fs.rmSync(empty, { recursive: true, force: true });
    fs.rmSync(withStore, { recursive: true, force: true });
  });

  it('audit:verify says there is no gateway store, exits 2 and creates none', async () => {
    const outcome = await runScript('audit-verify.ts', [], empty);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`there is no gateway store in ${empty} (no ${path.join(empty, 'gateway.sqlite')})`);
    expect(outcome.stdout).not.toMatch(/intact/);
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('audit:verify refuses unknown options and arguments, even where a store is', async () => {
    const before = snapshot(withStore);
    const intact = await runScript('audit-verify.ts', [], withStore);
    expect(intact).toMatchObject({ code: 0, stdout: expect.stringContaining('Audit trail intact: 0 records') });
    for (const [args, message] of [[['--bogus'], /unknown option '--bogus'/], [['extra'], /too many arguments/]] as const) {
      const outcome = await runScript('audit-verify.ts', [...args], withStore);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toMatch(message);
      expect(outcome.stdout).not.toMatch(/intact/);
    }
    expect(Object.keys(snapshot(withStore))).toEqual(Object.keys(before));
  });

  it('report says there is no gateway store, exits 1 and creates none', async () => {
    const outcome = await runScript('report.ts', [], empty);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toContain(`report: there is no gateway store in ${empty}`);
    expect(outcome.stdout).toBe('');
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it('report refuses a bad --year or --unused-days naming it, and reports on a store that exists', async () => {
    const year = await runScript('report.ts', ['--year', '20x6'], empty);
    expect(year.code).toBe(2);
    expect(year.stderr).toMatch(/option '--year <yyyy>' argument '20x6' is invalid\. a year like 2026, from 2000 to 9999/);
    // The longest look back the usage report takes: ten years.
    for (const unused of ['0', '5000']) {
      const days = await runScript('report.ts', ['--unused-days', unused], empty);
      expect(days.code).toBe(2);
      expect(days.stderr).toMatch(new RegExp(`option '--unused-days <n>' argument '${unused}' is invalid\\. a whole number of days from 1 to 3,660`));
    }
    expect(fs.readdirSync(empty)).toEqual([]);

    const report = await runScript('report.ts', ['--year', '2026', '--json'], withStore);
    expect(report.code).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ year: 2026, unusedForDays: 90 });
  });
});

describe('npm run consistency, check and token: bad values are named before anything runs', () => {
  let dataDir: string;

  beforeEach(() => {
    dataDir = tempDir('commands');
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('consistency refuses --samples that is not a whole number', async () => {
    for (const samples of ['abc', '-1', '2.5', '21']) {
      const outcome = await runScript('consistency.ts', ['--samples', samples, '--gateway', 'http://127.0.0.1:9/graphql'], dataDir);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toContain(`option '--samples <n>' argument '${samples}' is invalid. a whole number of samples from 0 to 20`);
      expect(outcome.stderr).not.toMatch(/does not answer/);
    }
    // Not even a development key was made for the token it would have sent.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('consistency says a --gateway that is not a URL is not a URL', async () => {
    const outcome = await runScript('consistency.ts', ['--gateway', 'notaurl'], dataDir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`option '--gateway <url>' argument 'notaurl' is invalid. not a URL: give the gateway's GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql`);
    expect(outcome.stderr).not.toMatch(/does not answer|npm start/);
    const ftp = await runScript('consistency.ts', ['--gateway', 'ftp://gateway/graphql'], dataDir);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toMatch(/'--gateway <url>' argument 'ftp:\/\/gateway\/graphql' is invalid\. not an http:\/\/ or https:\/\/ URL/);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('check says a directory is a directory and a file is expected', async () => {
    const directory = tempDir('check-dir');
    try {
      const outcome = await runScript('check.ts', ['persons', `${directory}/`], dataDir);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toContain(`${directory} is a directory: give the proposed SDL file (a .graphql file such as ${path.join(directory, 'schema.graphql')})`);
      expect(outcome.stderr).not.toMatch(/EISDIR/);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  });

  it('check says there is no gateway store to check against, exits 2 and creates none', async () => {
    // A proposal of its own (the working copy is the very file the gateway composes from: refused first).
    const proposal = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-proposal-')), 'schema.graphql');
    fs.copyFileSync(projectPath('subgraphs', 'persons', 'schema.graphql'), proposal);
    const outcome = await runScript('check.ts', ['persons', proposal], dataDir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(`there is no gateway store in ${dataDir}`);
    expect(outcome.stdout).not.toMatch(/recorded operation/);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('check refuses a gateway store no consumer operation is in, unless told there are none yet', async () => {
    // As a gateway started just for the check leaves it: migrated, nothing recorded.
    const store = tempDir('check-empty-store');
    await (await openGatewayStore(readConfig({ ...sqliteEnvironment(store) }))).destroy();
    const proposal = path.join(tempDir('check-proposal'), 'schema.graphql');
    fs.copyFileSync(projectPath('subgraphs', 'persons', 'schema.graphql'), proposal);
    try {
      const refused = await runScript('check.ts', ['persons', proposal], store);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`holds no operation any consumer has sent: this check could not tell which consumers a change breaks, and would pass any change.`);
      expect(refused.stderr).toContain('--without-consumers');
      expect(refused.stdout).not.toMatch(/still validate/);
      const alone = await runScript('check.ts', ['persons', proposal, '--without-consumers'], store);
      expect(alone.code).toBe(0);
      expect(alone.stdout).toMatch(/recorded operation\(s\) of consumers still validate/);
    } finally {
      fs.rmSync(store, { recursive: true, force: true });
      fs.rmSync(path.dirname(proposal), { recursive: true, force: true });
    }
  });

  it('compose refuses a file instead of passing it unread, pointing to check; alone, it composes', async () => {
    const proposal = path.join(tempDir('compose-proposal'), 'schema.graphql');
    fs.writeFileSync(proposal, 'type Query { broken: }');
    const outcome = await runScript('compose.ts', [proposal], dataDir);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('too many arguments');
    expect(outcome.stderr).toContain('npm run check -- <subgraph> <file>');
    expect(outcome.stdout).not.toMatch(/Composed/);
    expect(fs.readdirSync(dataDir)).toEqual([]);
    const composed = await runScript('compose.ts', [], dataDir);
    expect([composed.code, composed.stdout.trim()]).toEqual([0, `Composed 5 subgraphs into ${path.join(dataDir, 'supergraph.graphql')}`]);
  });

  it('subgraph says what it runs and which settings it reads, and names the departments for an unknown one', async () => {
    const help = await runScript('subgraph.ts', ['--help'], dataDir);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ONESOURCE_LEGAL_PERSONS_PORT');
    expect(help.stdout).toContain('ONESOURCE_GATEWAY_JWKS_URL');
    const unknown = await runScript('subgraph.ts', ['registry'], dataDir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('one of persons, legal-persons, geo, projects, credit');
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('gateway, start and build answer --help and refuse what they do not take, without starting or building anything', async () => {
    for (const script of ['gateway.ts', 'start-all.ts', 'build-server.ts']) {
      const help = await runScript(script, ['--help'], dataDir);
      expect([script, help.code]).toEqual([script, 0]);
      expect(help.stdout).toContain('ONESOURCE_* environment variables');
      const bogus = await runScript(script, ['--bogus'], dataDir);
      expect([script, bogus.code]).toEqual([script, 2]);
      expect(bogus.stderr).toContain("unknown option '--bogus'");
    }
    // The gateway made no store and no key.
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('token names --lifetime and the durations it accepts', async () => {
    for (const lifetime of ['abc', '0h', '-1h', '3600', '0.4s']) {
      const outcome = await runScript('token.ts', ['drc-approval', '--lifetime', lifetime], dataDir);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr).toContain(`option '--lifetime <duration>' argument '${lifetime}' is invalid. a positive duration of at least a second: a number and a unit (s, m, h, d, w, y), e.g. 90s, 15m, 1h, 7d`);
      expect(outcome.stdout).toBe('');
    }
    expect(fs.readdirSync(dataDir)).toEqual([]);

    const issued = await runScript('token.ts', ['drc-approval', '--lifetime', '15m'], dataDir);
    expect(issued.code).toBe(0);
    const claims = JSON.parse(Buffer.from(issued.stdout.trim().split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'drc-approval' });
    expect(claims.exp - claims.iat).toBe(15 * 60);
    // The first token made a development key in this data directory, and said so; the next does not.
    expect(issued.stderr).toContain(`note: ${dataDir} held no development identity-provider key, so a new one was made there: only a gateway started with this same ONESOURCE_DATA_DIR accepts the token`);
    const again = await runScript('token.ts', ['drc-approval'], dataDir);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });

  it('token exits 2 on wrong usage: no consumer, an invalid --citizen idNumber, or both a consumer and a citizen', async () => {
    const none = await runScript('token.ts', [], dataDir);
    expect(none).toMatchObject({ code: 2, stdout: '' });
    expect(none.stderr).toContain('name a consumer: drc-approval');
    const badCitizen = await runScript('token.ts', ['--citizen', '123'], dataDir);
    expect(badCitizen).toMatchObject({ code: 2, stdout: '' });
    expect(badCitizen.stderr).toContain("option '--citizen <idNumber>' argument '123' is invalid. an idNumber has 18 characters");
    const both = await runScript('token.ts', ['drc-approval', '--citizen', '11010519491231002X'], dataDir);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toContain('give drc-approval or --citizen, not both');
    const citizen = await runScript('token.ts', ['--citizen', '11010519491231002x'], dataDir);
    expect(citizen.code).toBe(0);
    expect(JSON.parse(Buffer.from(citizen.stdout.trim().split('.')[1], 'base64url').toString())).toMatchObject({ sub: '11010519491231002X' });
  });
});

describe('npm run consistency: a --gateway that is not the GraphQL endpoint', () => {
  /**
   * A stand-in gateway: GraphQL at /graphql (a run that is done at once), and elsewhere what
   * express answers the real one's root: 404 with an HTML page.
   */
  let server: http.Server;
  let base: string;
  const asked: string[] = [];
  let dataDir: string;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => (body += chunk));
      req.on('end', () => {
        asked.push(`${req.method} ${req.url}`);
        if (req.method !== 'POST' || req.url !== '/graphql') {
          res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(`<!DOCTYPE html>\n<html lang="en"><body><pre>Cannot ${req.method} ${req.url}</pre></body></html>`);
          return;
        }
        const run = { id: '7', status: 'DONE', progress: 'done', error: null, startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', rules: [], departments: [] };
        const data = JSON.parse(body).query.includes('runConsistencyChecks') ? { runConsistencyChecks: { id: '7' } } : { consistencyReport: run };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    dataDir = tempDir('consistency');
    asked.length = 0;
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('takes the gateway\'s base URL (no path, or /) as its /graphql endpoint', async () => {
    for (const gateway of [base, `${base}/`]) {
      asked.length = 0;
      const outcome = await runScript('consistency.ts', ['--gateway', gateway, '--token', 'a-token', '--json'], dataDir);
      expect(outcome).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(outcome.stdout)).toMatchObject({ id: '7', status: 'DONE' });
      // The run started, its progress read until it is done, then its report with the samples asked for.
      expect(asked).toEqual(['POST /graphql', 'POST /graphql', 'POST /graphql']);
    }
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('says a URL that answers something other than GraphQL is not the endpoint: the URL, status and content type, and /graphql', async () => {
    const outcome = await runScript('consistency.ts', ['--gateway', `${base}/api`, '--token', 'a-token'], dataDir);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.trim()).toBe(
      `consistency: the gateway at ${base}/api did not answer GraphQL (HTTP 404 Not Found, text/html; charset=utf-8): ` +
        `give --gateway the gateway's GraphQL endpoint, which ends in /graphql, e.g. http://127.0.0.1:4000/graphql`,
    );
    expect(outcome.stderr).not.toMatch(/Unexpected token|not valid JSON/);
    expect(asked).toEqual(['POST /api']);
  });
});

describe('npm start: ports taken by something else are named before anything starts', () => {
  it('exits 1 naming the port and its variable, and neither seeds nor starts anything', async () => {
    const dataDir = tempDir('start');
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const ports: NodeJS.ProcessEnv = { ONESOURCE_GATEWAY_PORT: String(await freePort()) };
      for (const { name } of DEPARTMENTS) ports[`ONESOURCE_${envName(name)}_PORT`] = String(await freePort());
      const busy = (taken.address() as net.AddressInfo).port;
      ports.ONESOURCE_CREDIT_PORT = String(busy);
      const outcome = await runScript('start-all.ts', [], dataDir, ports);
      expect(outcome.code).toBe(1);
      expect(outcome.stderr).toContain(`start failed: port ${busy} (ONESOURCE_CREDIT_PORT) on 127.0.0.1 is in use: is OneSource already running?`);
      expect(outcome.stdout).not.toMatch(/OneSource is up/);
      expect(fs.readdirSync(dataDir)).toEqual([]);
    } finally {
      taken.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
