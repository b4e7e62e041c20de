import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { scaledPlan } from '../shared/seed/population';
import { openGatewayStore } from '../gateway/store';
import { describeWithStore, mysqlUrl, Stack, startStack } from './support/stack';

/**
 * MariaDB restarted under load: the stores reconnect within seconds and every write that was
 * acknowledged (an access application, an audit record behind an answer with personal data) is
 * there afterwards. This suite stops the shared MariaDB server, so it always starts it again,
 * even when it fails.
 */

const run = promisify(execFile);
const MYSQL_ARGS = ['--protocol=tcp', '-h127.0.0.1', '-uroot'];

async function mariadbAnswers(): Promise<boolean> {
  try {
    await run('mysqladmin', [...MYSQL_ARGS, 'ping'], { timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

/** Whether a mariadbd process still exists (it stops answering before it has exited). */
async function mariadbRunning(): Promise<boolean> {
  try {
    await run('pgrep', ['-x', 'mariadbd']);
    return true;
  } catch {
    return false;
  }
}

/**
 * start-stop-daemon does nothing while an exiting mariadbd is still there (--oknodo), so the
 * start is repeated until the server answers.
 */
async function startMariadb(): Promise<void> {
  const deadline = Date.now() + 60_000;
  let lastStart = 0;
  while (!(await mariadbAnswers())) {
    if (Date.now() > deadline) throw new Error('MariaDB did not come back within 60 s');
    if (Date.now() - lastStart > 3_000 && !(await mariadbRunning())) {
      await run('start-stop-daemon', ['--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd']);
      lastStart = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `mysqladmin shutdown` returns once the server has stopped answering; wait for the process to go too. */
async function stopMariadb(): Promise<void> {
  await run('mysqladmin', [...MYSQL_ARGS, 'shutdown'], { timeout: 60_000 });
  const deadline = Date.now() + 30_000;
  while ((await mariadbAnswers()) || (await mariadbRunning())) {
    if (Date.now() > deadline) throw new Error('MariaDB did not stop within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const APPLY = `mutation($resource: ID!, $purpose: String!) { applyForAccess(resource: $resource, purpose: $purpose) { id } }`;
const PERSON = `query($id: ID!) { naturalPerson(idNumber: $id) { idNumber name } }`;

describeWithStore('mysql', 'MariaDB restarted under load', () => {
  let stack: Stack;
  let gatewayDb: Knex;
  let people: string[];

  beforeAll(async () => {
    await startMariadb();
    stack = await startStack({ store: 'mysql', mode: 'in-process', plan: scaledPlan(200), env: { ONESOURCE_LOG_LEVEL: 'fatal' } });
    const page = await stack.query(`{ investmentProjects(first: 10) { edges { node { applicant { legalRepresentative { idNumber } } } } } }`);
    people = page.data.investmentProjects.edges.map((e: any) => e.node.applicant.legalRepresentative.idNumber);
  }, 240_000);

  afterAll(async () => {
    // Whatever happened above, MariaDB is left running for the suites after this one.
    await startMariadb();
    await gatewayDb?.destroy();
    await stack?.stop();
  }, 120_000);

  it('reconnects within seconds and loses no acknowledged write', async () => {
    expect(mysqlUrl).toBeTruthy();
    const applications: string[] = []; // acknowledged application ids
    const audited: string[] = []; // request ids of acknowledged answers carrying personal data
    let restarted = false;
    let upAgainAt = 0;
    let firstWriteAfter = 0;
    let stop = false;

    // Audited reads: each acknowledged answer promises its audit record was committed.
    const reader = async (n: number) => {
      for (let i = 0; !stop; i++) {
        const requestId = `restart-${n}-${i}-${randomUUID().slice(0, 8)}`;
        const headers = { ...(await stack.as('drc-approval', 'test: 重启演练')), 'x-request-id': requestId };
        const answer = await stack.query(PERSON, { id: people[(n + i) % people.length] }, headers).catch(() => undefined);
        if (answer?.status === 200 && !answer.errors && answer.data?.naturalPerson?.name) {
          audited.push(requestId);
          if (restarted && !firstWriteAfter) firstWriteAfter = Date.now();
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Applications by different consumers: one per consumer and resource can be pending.
    const appliers = [
      ['market-portal', 'persons.contact-details'], ['market-portal', 'credit.records'],
      ['social-insurance', 'credit.records'], ['auditor', 'credit.records'], ['housing-permit', 'credit.records'],
    ];
    const applier = async ([consumer, resource]: string[]) => {
      // Bounded: an application committed whose answer was lost would be refused as pending.
      const deadline = Date.now() + 30_000;
      while (!stop && Date.now() < deadline) {
        const answer = await stack.query(APPLY, { resource, purpose: `重启演练 ${randomUUID().slice(0, 8)}` }, await stack.as(consumer)).catch(() => undefined);
        const id = answer?.data?.applyForAccess?.id;
        if (id && !answer?.errors) {
          applications.push(id);
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    const load = [...[0, 1, 2, 3].map(reader)];
    try {
      // Restart once the load is being written.
      while (audited.length < 10) await new Promise((r) => setTimeout(r, 50));
      await stopMariadb();
      const appliersRunning = appliers.map(applier); // applications asked while the server is down
      await startMariadb();
      upAgainAt = Date.now();
      restarted = true;
      await Promise.all(appliersRunning);
      const deadline = Date.now() + 30_000;
      while (audited.length < 40 + 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    } finally {
      stop = true;
      await Promise.all(load);
    }

    expect(firstWriteAfter).toBeGreaterThan(0);
    // Reconnected within seconds of MariaDB answering again.
    expect(firstWriteAfter - upAgainAt).toBeLessThan(10_000);
    expect(applications.length).toBeGreaterThan(0);

    gatewayDb = await openGatewayStore(stack.config);
    const storedApplications = await gatewayDb('access_applications').whereIn('id', applications).pluck('id');
    expect(storedApplications.map(String).sort()).toEqual(applications.map(String).sort());
    const storedAudit = new Set((await gatewayDb('audit_trail').whereIn('request_id', audited).pluck('request_id')) as string[]);
    const missing = audited.filter((id) => !storedAudit.has(id));
    expect(missing).toEqual([]);
  }, 120_000);
});
