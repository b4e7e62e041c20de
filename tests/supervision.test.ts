import fs from 'node:fs';
import path from 'node:path';
import { Supervised, waitUntilAnswering } from '../scripts/processes';
import { PROJECT_ROOT } from '../shared/project-root';
import { scaledPlan } from '../shared/seed/population';
import { PROJECT_REVIEW } from './support/operations';
import { standIn, StandIn } from './support/stand-in';
import { Stack, startStack } from './support/stack';

/**
 * Processes as `npm start` runs them: a crashed department is restarted by its supervisor, and
 * SIGTERM lets the gateway finish what it is answering before it exits.
 */

/** Polls until `check` passes: waits on what is observed, never on a guessed delay. */
async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const refused = async (url: string) => {
  try {
    await fetch(url);
    return false;
  } catch {
    return true;
  }
};

describe('supervised processes and graceful stops [sqlite, processes]', () => {
  let stack: Stack;
  let geo: StandIn;
  let projectCode: string;
  let whole: unknown;
  const review = () => stack.query(PROJECT_REVIEW, { projectCode });

  beforeAll(async () => {
    geo = await standIn();
    stack = await startStack({
      store: 'sqlite',
      mode: 'processes',
      plan: scaledPlan(200),
      // Not `test`, as jest sets it: libraries that behave differently under test (Apollo Server
      // installs its own signal handlers otherwise) must be seen as an operator runs them.
      env: { NODE_ENV: 'development', ONESOURCE_LOG_LEVEL: 'error', ONESOURCE_GEO_URL: geo.url, ONESOURCE_GEO_TIMEOUT_MS: '60000', ONESOURCE_CREDIT_HALF_OPEN_MS: '200' },
    });
    geo.forwardTo(stack.config.subgraphs.geo.port);
    await waitUntilAnswering(`http://127.0.0.1:${stack.config.subgraphs.geo.port}/graphql`);
    const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { projectCode } } } }`);
    projectCode = page.data.investmentProjects.edges[0].node.projectCode;
    const answer = await review();
    expect(answer.errors).toBeUndefined();
    whole = answer.data;
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await geo?.close();
  });

  it('runs every process with the heap settings (README, "Memory")', () => {
    // The command line the kernel holds, not the one we meant to give: what V8 was started with.
    const flagsOf = (p: Supervised | undefined) => fs.readFileSync(`/proc/${p!.current().pid}/cmdline`, 'utf8').split('\0');
    for (const name of ['gateway', 'persons'] as const) {
      expect(flagsOf(stack.processes[name])).toEqual(expect.arrayContaining(['--max-old-space-size=192', '--heap-growing-percent=100', '--max-semi-space-size=16']));
    }
  });

  it('runs every process from the compiled server, without a TypeScript loader on the request path', () => {
    for (const [name, entry] of [['gateway', 'gateway.js'], ['persons', 'subgraph.js']] as const) {
      const command = fs.readFileSync(`/proc/${stack.processes[name]!.current().pid}/cmdline`, 'utf8').split('\0');
      expect(command).toContain(path.join(PROJECT_ROOT, 'dist', 'scripts', entry));
      expect(command.join(' ')).not.toMatch(/tsx|\.ts\b/);
    }
  });

  it('restarts a department that crashes, and the gateway uses it again', async () => {
    const credit = await stack.startSubgraphProcess('credit', { restart: true });
    const crashed = credit.current();
    crashed.kill('SIGKILL');
    await new Promise<void>((resolve) => (crashed.exitCode !== null || crashed.signalCode !== null ? resolve() : crashed.once('exit', () => resolve())));

    await until(() => credit.current() !== crashed, 'the supervisor starts credit again');
    expect(credit.current().pid).not.toBe(crashed.pid);
    await waitUntilAnswering(`http://127.0.0.1:${stack.config.subgraphs.credit.port}/graphql`);
    const direct = await stack.querySubgraph('credit', '{ _service { sdl } }');
    expect(direct.errors).toBeUndefined();
    await until(async () => !(await review()).errors, 'the gateway answers credit again');
    expect((await review()).data).toEqual(whole);
  });

  it('drains an in-flight request on Ctrl-C before the gateway exits, though the signal comes again (relayed, then its supervisor\'s SIGTERM)', async () => {
    const gateway = stack.processes.gateway!.current();
    const exited = new Promise<number | null>((resolve) => gateway.once('exit', (code) => resolve(code)));
    geo.set('hold');
    const inFlight = review();
    await until(() => geo.holding() > 0, 'the request reaches geo');

    // Ctrl-C reaches the whole group; a launcher relays it; npm start's supervisor passes the stop on.
    gateway.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 20));
    gateway.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    gateway.kill('SIGTERM');
    // Stopped accepting: new connections are refused while the held request is still open.
    await until(() => refused(`http://127.0.0.1:${stack.config.gatewayPort}/health`), 'the gateway stops listening');
    geo.set('forward'); // lets the held call through, and the request's later geo calls

    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual(whole);
    expect(await exited).toBe(0);
  });
});
