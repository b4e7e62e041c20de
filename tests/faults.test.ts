import { PROJECT_REVIEW } from './support/operations';
import { Mode, standIn, StandIn } from './support/stand-in';
import { waitUntilAnswering } from '../scripts/processes';
import { scaledPlan } from '../shared/seed/population';
import { GraphQLAnswer, Stack, startStack } from './support/stack';
import { parsePrometheus, valueOf } from './support/prometheus';
import { RESILIENCE_DEFAULTS } from '../shared/config';

/**
 * Departments that fail, with real processes: the credit subgraph is killed and started again;
 * the geo subgraph is reached through a stand-in that can hang or answer garbage. Each costs only
 * its own fields: null with SUBGRAPH_UNAVAILABLE naming it at their paths, the rest whole.
 */

const GEO_TIMEOUT_MS = 1_500;

function unavailable(answer: GraphQLAnswer, department: string) {
  return (answer.errors ?? []).filter((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' && e.extensions?.department === department);
}

/** Nothing of a process's insides reaches the caller: no addresses, paths, stack frames or bodies. */
function expectNoInternals(answer: GraphQLAnswer) {
  const text = JSON.stringify(answer.errors ?? []);
  expect(text).not.toMatch(/127\.0\.0\.1|ECONN|\/srv\/|nginx|<html|at Object|TCPConnectWrap|Unexpected (end|token)|_entities|stack/i);
  for (const e of answer.errors ?? []) expect(Object.keys(e.extensions ?? {}).sort()).toEqual(expect.arrayContaining(['code']));
}

/** Polls until `check` passes: recovery is awaited by observing it, never by sleeping a guess. */
async function eventually<T>(attempt: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  do {
    last = await attempt();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  return last;
}

describe('a department that fails costs only its own fields [sqlite, processes]', () => {
  let stack: Stack;
  let geo: StandIn;
  let whole: any;
  let projectCode: string;
  const review = () => stack.query(PROJECT_REVIEW, { projectCode });

  beforeAll(async () => {
    geo = await standIn();
    stack = await startStack({
      store: 'sqlite',
      mode: 'processes',
      // A small province: these tests are about failures, not volume.
      plan: scaledPlan(400),
      env: {
        // Every outage below is logged by design; only errors are worth printing here.
        ONESOURCE_LOG_LEVEL: 'error',
        ONESOURCE_GEO_URL: geo.url,
        ONESOURCE_GEO_TIMEOUT_MS: String(GEO_TIMEOUT_MS),
        ONESOURCE_GEO_HALF_OPEN_MS: '200',
        ONESOURCE_CREDIT_HALF_OPEN_MS: '200',
        ONESOURCE_CREDIT_TIMEOUT_MS: '3000',
      },
    });
    geo.forwardTo(stack.config.subgraphs.geo.port);
    await waitUntilAnswering(`http://127.0.0.1:${stack.config.subgraphs.geo.port}/graphql`);
    const page = await stack.query(`{ investmentProjects(first: 20) { edges { node { projectCode parcels { parcelCode } } } } }`);
    projectCode = page.data.investmentProjects.edges.find((e: any) => e.node.parcels.length > 0).node.projectCode;
    const answer = await review();
    expect(answer.errors).toBeUndefined();
    whole = answer.data.investmentProject;
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
    await geo?.close();
  });

  it('answers every other department when credit is killed between requests, and uses credit again once it is back', async () => {
    await stack.processes.credit!.stop();
    const answer = await review();
    expect(answer.status).toBe(200);
    const project = answer.data.investmentProject;
    // Projects, geo, legal persons and persons: all there.
    expect(project).toMatchObject({
      projectCode: whole.projectCode, name: whole.name, approvals: whole.approvals, division: whole.division, parcels: whole.parcels,
      applicant: { uscc: whole.applicant.uscc, name: whole.applicant.name, division: whole.applicant.division,
        legalRepresentative: { idNumber: whole.applicant.legalRepresentative.idNumber, name: whole.applicant.legalRepresentative.name,
          householdDivision: whole.applicant.legalRepresentative.householdDivision } },
    });
    // Credit: null, at exactly its paths, naming credit.
    expect(project.applicant.credit).toBeNull();
    expect(project.applicant.legalRepresentative.credit).toBeNull();
    const errors = unavailable(answer, 'credit');
    expect(errors.map((e) => e.path).sort()).toEqual([
      ['investmentProject', 'applicant', 'credit'],
      ['investmentProject', 'applicant', 'legalRepresentative', 'credit'],
    ]);
    expect(answer.errors).toHaveLength(errors.length);
    expectNoInternals(answer);
    // The representative's audit record lists what was read of them, not the credit that never came.
    const headers = { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-credit-down' };
    expect((await stack.query(PROJECT_REVIEW, { projectCode }, headers)).data.investmentProject.applicant.legalRepresentative.credit).toBeNull();
    const log = await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { requestId fields outcome } } } }`,
      { id: whole.applicant.legalRepresentative.idNumber }, await stack.as('auditor', '投诉核查'));
    const record = log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-credit-down');
    expect(record.outcome).toBe('PARTIAL');
    expect(record.fields).toContain('NaturalPerson.name');
    expect(record.fields.filter((f: string) => f.startsWith('NaturalPerson.credit'))).toEqual([]);

    await stack.startSubgraphProcess('credit');
    const recovered = await eventually(review, (a) => !a.errors);
    expect(recovered.errors).toBeUndefined();
    expect(recovered.data.investmentProject).toEqual(whole);
  });

  it('keeps answering while credit is killed mid-request under load', async () => {
    const answers: GraphQLAnswer[] = [];
    let killed = false;
    const load = async () => {
      // Keep each client busy until the kill has happened and been seen by a few more requests.
      for (let after = 0; after < 3; ) {
        answers.push(await review());
        if (killed) after++;
      }
    };
    const clients = Array.from({ length: 8 }, load);
    // Kill once requests are in flight: wait for the first answers rather than a guessed delay.
    await eventually(async () => answers.length, (n) => n >= 8);
    stack.processes.credit!.current().kill('SIGKILL');
    await new Promise<void>((resolve) => stack.processes.credit!.current().once('exit', () => resolve()));
    killed = true;
    await Promise.all(clients);

    let sawOutage = false;
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      const project = answer.data.investmentProject;
      expect(project).toMatchObject({ projectCode: whole.projectCode, division: whole.division, parcels: whole.parcels,
        applicant: { name: whole.applicant.name, legalRepresentative: { name: whole.applicant.legalRepresentative.name } } });
      // Every error, if any, is credit's, and on a credit path.
      for (const e of answer.errors ?? []) {
        expect(e.extensions).toMatchObject({ code: 'SUBGRAPH_UNAVAILABLE', department: 'credit' });
        expect(e.path?.[e.path.length - 1]).toBe('credit');
      }
      if (answer.errors) sawOutage = true;
      expectNoInternals(answer);
    }
    expect(sawOutage).toBe(true);

    await stack.startSubgraphProcess('credit');
    const recovered = await eventually(review, (a) => !a.errors);
    expect(recovered.data.investmentProject).toEqual(whole);
  });

  it('answers within the timeout when a department hangs', async () => {
    geo.set('hang');
    try {
      const started = Date.now();
      const answer = await review();
      const took = Date.now() - started;
      expect(answer.status).toBe(200);
      // The budget covers the one geo fetch; every other department answers in far less.
      expect(took).toBeLessThan(GEO_TIMEOUT_MS + 2_000);
      const project = answer.data.investmentProject;
      expect(project.name).toBe(whole.name);
      expect(project.applicant.credit).toEqual(whole.applicant.credit);
      // Geo's parcel items are null; the keys other departments hold for them remain.
      expect(project.parcels[0]).toMatchObject({ parcelCode: whole.parcels[0].parcelCode, landUse: null, areaSquareMetres: null });
      // Divisions geo lets the gateway keep (@cacheControl) come from the earlier answer: no call, no wait.
      expect(project.division).toEqual(whole.division);
      expect(project.applicant.division).toEqual(whole.applicant.division);
      const paths = unavailable(answer, 'geo').map((e) => e.path!.join('.'));
      expect(paths).toEqual(expect.arrayContaining(['investmentProject.parcels.0.landUse']));
      expect(paths.some((p) => p.endsWith('division.name'))).toBe(false);
      expect(answer.errors!.every((e) => e.extensions?.department === 'geo')).toBe(true);
      expectNoInternals(answer);
    } finally {
      geo.set('forward');
    }
    const recovered = await eventually(review, (a) => !a.errors);
    expect(recovered.data.investmentProject).toEqual(whole);
  });

  /** The gateway's calls to geo so far, answered and failed, as /metrics counts them. */
  const geoCalls = async () => {
    const metrics = parsePrometheus(await (await fetch(`${stack.gatewayUrl.replace(/\/graphql$/, '')}/metrics`)).text());
    return { ok: valueOf(metrics, 'onesource_subgraph_requests_total', { subgraph: 'geo', outcome: 'ok' }), failed: valueOf(metrics, 'onesource_subgraph_requests_total', { subgraph: 'geo', outcome: 'failed' }) };
  };

  it('counts a call the department did not answer as failed, in /metrics and in the usage statistics', async () => {
    const failed = async () => (await geoCalls()).failed;
    const USAGE = `query($d: Date!) { usageReport(from: $d, to: $d) { departments { key calls failedCalls } } }`;
    const today = new Date().toISOString().slice(0, 10);
    const geoUsage = async () => (await stack.query(USAGE, { d: today }, await stack.as('dept-geo'))).data.usageReport.departments.find((d: any) => d.key === 'geo');
    const before = { metrics: await failed(), usage: (await geoUsage())?.failedCalls ?? 0 };
    geo.set('status-500');
    try {
      expect(unavailable(await review(), 'geo').length).toBeGreaterThan(0);
    } finally {
      geo.set('forward');
    }
    expect(await failed()).toBe(before.metrics + 1);
    // The usage statistics are written behind (every few seconds).
    const usage = await eventually(geoUsage, (u) => (u?.failedCalls ?? 0) > before.usage, 15_000);
    expect(usage.failedCalls).toBe(before.usage + 1);
  });

  it('answers a field the department does not serve yet (its schema and the gateway\'s differ) as unavailable, and does not shut the department for others', async () => {
    const { breakerFailures } = RESILIENCE_DEFAULTS;
    const before = await geoCalls();
    geo.set('schema-skew');
    try {
      for (let i = 0; i <= breakerFailures; i++) {
        const answer = await review();
        const errors = unavailable(answer, 'geo');
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0].message).toMatch(/the schema it runs differs from the gateway's/);
        expectNoInternals(answer);
      }
    } finally {
      geo.set('forward');
    }
    // geo answered every call (it refused what it does not serve yet): none is a failed call in 联通率.
    const after = await geoCalls();
    expect(after.failed).toBe(before.failed);
    expect(after.ok).toBeGreaterThanOrEqual(before.ok + breakerFailures + 1);
    // The circuit stayed closed: the very next review is whole again.
    const next = await review();
    expect(next.errors).toBeUndefined();
    expect(next.data.investmentProject).toEqual(whole);
  });

  it('keeps what a department did answer when one of its fields failed, naming the department at that field, and counts the call as failed', async () => {
    const before = await geoCalls();
    geo.set('one-field-fails');
    try {
      const answer = await review();
      const parcel = answer.data.investmentProject.parcels[0];
      expect(parcel.landUse).toBeNull();
      expect(parcel).toMatchObject({ parcelCode: whole.parcels[0].parcelCode, landUseCode: whole.parcels[0].landUseCode, areaSquareMetres: whole.parcels[0].areaSquareMetres });
      expect(answer.errors).toEqual([expect.objectContaining({
        message: expect.stringMatching(/^The geo subgraph \(.*\) could not answer$/),
        path: ['investmentProject', 'parcels', 0, 'landUse'],
        extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE', department: 'geo' }),
      })]);
    } finally {
      geo.set('forward');
    }
    // The consumer was told geo could not answer there: in 联通率 that call failed, though geo was up.
    expect((await geoCalls()).failed).toBe(before.failed + 1);
  });

  it('says a department answered values not of their type, at the fields that came back null, instead of a bare null', async () => {
    geo.set('wrong-types');
    try {
      const answer = await review();
      const project = answer.data.investmentProject;
      expect(project).toMatchObject({ name: whole.name, applicant: { name: whole.applicant.name, credit: whole.applicant.credit } });
      // The parcel's key is the projects department's; the values geo answered are null, each named as geo's failure.
      expect(project.parcels[0]).toMatchObject({ parcelCode: whole.parcels[0].parcelCode, landUse: null, landUseCode: null });
      const failures = unavailable(answer, 'geo');
      expect(failures.map((e) => e.path)).toEqual(expect.arrayContaining([['investmentProject', 'parcels', 0, 'landUse'], ['investmentProject', 'parcels', 0, 'landUseCode']]));
      expect(failures.every((e) => e.extensions?.reason === 'INVALID_VALUE' && /^The geo subgraph \(.*\) answered a value that is not of its type$/.test(e.message))).toBe(true);
      expect(answer.extensions?.valueCompletion).toBeUndefined();
      expectNoInternals(answer);
    } finally {
      geo.set('forward');
    }
  });

  it('says so too when another department failed in the same answer (Apollo Gateway alone drops them then)', async () => {
    geo.set('wrong-types');
    await stack.processes.credit!.stop();
    try {
      const answer = await review();
      const project = answer.data.investmentProject;
      expect(project.parcels[0]).toMatchObject({ parcelCode: whole.parcels[0].parcelCode, landUse: null, landUseCode: null });
      const failures = unavailable(answer, 'geo');
      expect(failures.map((e) => e.path)).toEqual(expect.arrayContaining([['investmentProject', 'parcels', 0, 'landUse'], ['investmentProject', 'parcels', 0, 'landUseCode']]));
      expect(failures.every((e) => e.extensions?.reason === 'INVALID_VALUE')).toBe(true);
      // Credit's own failures, once each; the nulls they left are not told again as values of the wrong type.
      expect(unavailable(answer, 'credit').map((e) => e.path).sort()).toEqual([
        ['investmentProject', 'applicant', 'credit'],
        ['investmentProject', 'applicant', 'legalRepresentative', 'credit'],
      ]);
      expect(answer.errors).toHaveLength(failures.length + 2);
      expect(answer.extensions?.valueCompletion).toBeUndefined();
      expectNoInternals(answer);
    } finally {
      geo.set('forward');
      await stack.startSubgraphProcess('credit');
    }
    expect((await eventually(review, (a) => !a.errors)).data.investmentProject).toEqual(whole);
  });

  it.each<Mode>(['html', 'invalid-json', 'not-graphql', 'short-list', 'status-500', 'null-data', 'internal-error'])('turns a department answering garbage (%s) into SUBGRAPH_UNAVAILABLE', async (mode) => {
    geo.set(mode);
    try {
      const answer = await review();
      expect(answer.status).toBe(200);
      const project = answer.data.investmentProject;
      expect(project).toMatchObject({ name: whole.name, applicant: { name: whole.applicant.name, credit: whole.applicant.credit } });
      expect(unavailable(answer, 'geo').length).toBeGreaterThan(0);
      expect(answer.errors!.every((e) => e.extensions?.code === 'SUBGRAPH_UNAVAILABLE' && e.extensions?.department === 'geo' && e.path)).toBe(true);
      // The nulls its failure left in non-null fields (a parcel's landUse) are that failure, not values of the wrong type.
      expect(answer.errors!.filter((e) => e.extensions?.reason === 'INVALID_VALUE')).toEqual([]);
      expectNoInternals(answer);
    } finally {
      geo.set('forward');
    }
    const recovered = await eventually(review, (a) => !a.errors);
    expect(recovered.data.investmentProject).toEqual(whole);
  });
});
