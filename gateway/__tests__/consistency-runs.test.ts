import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { readConfig } from '../../shared/config';
import { openGatewayStore } from '../store';
import { checkConsistency } from '../quality/consistency';
import { consistencyRuns, STALE_AFTER_MS } from '../quality/runs';

/**
 * Several gateway processes share one store (replicas, cluster workers). One that starts must
 * fail only the consistency runs whose gateway has stopped, not a run another one is doing.
 */
describe('consistency runs left behind by a stopped gateway', () => {
  let dir: string;
  let db: Knex;
  const logger = pino({ level: 'silent' });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-runs-'));
    db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir }));
  });
  afterAll(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const row = (heartbeat: string | null) => ({ requested_by: 'data-quality', status: 'RUNNING', started_at: new Date().toISOString(), heartbeat_at: heartbeat, progress: 'persons page 3' });
  const status = async (id: number) => (await db('consistency_runs').where({ id }).first()) as { status: string; error: string | null };

  it('fails the runs whose gateway went silent, and only those', async () => {
    const now = Date.now();
    const [silent] = await db('consistency_runs').insert(row(new Date(now - STALE_AFTER_MS - 10_000).toISOString()));
    const [beforeHeartbeats] = await db('consistency_runs').insert(row(null));
    const [alive] = await db('consistency_runs').insert(row(new Date(now - 2_000).toISOString()));

    await consistencyRuns(db, async () => ({}), logger).recover(now);

    expect(await status(silent)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/interrupted/) });
    expect(await status(beforeHeartbeats)).toMatchObject({ status: 'FAILED' });
    expect(await status(alive)).toMatchObject({ status: 'RUNNING', error: null });
  });

  it('a run in progress in one gateway survives another gateway starting, and is failed once it falls silent', async () => {
    let release!: (e: Error) => void;
    const hanging = new Promise<never>((_resolve, reject) => (release = reject));
    const worker = consistencyRuns(db, () => hanging, logger);
    const run = await worker.start('data-quality');
    expect(run.status).toBe('RUNNING');

    const another = consistencyRuns(db, async () => ({}), logger);
    await another.recover();
    expect((await another.get(run.id))!.status).toBe('RUNNING');

    // Seen from a minute later, with no heartbeat since: its gateway is taken to have stopped.
    await another.recover(Date.now() + 60_000);
    expect(await another.get(run.id)).toMatchObject({ status: 'FAILED', error: expect.stringMatching(/interrupted/) });

    release(new Error('stopped'));
  });

  it('starts one run for requests arriving together: the second joins the first while its row is written', async () => {
    let release!: (e: Error) => void;
    const hanging = new Promise<never>((_resolve, reject) => (release = reject));
    const runs = consistencyRuns(db, () => hanging, logger);
    const before = Number((await db('consistency_runs').count({ n: '*' }).first())!.n);
    const [first, second] = await Promise.all([runs.start('auditor'), runs.start('dept-geo')]);
    expect(second.id).toBe(first.id);
    expect(Number((await db('consistency_runs').count({ n: '*' }).first())!.n)).toBe(before + 1);
    release(new Error('stopped'));
  });
});

/**
 * A record one department names and its owner does not hold comes back from the gateway as its key
 * with null fields (a parcel with `landUse: null, division: null`, an applicant with `status: null`):
 * the run goes on, no rule about a record's fields counts it as the defect it looks for, and
 * `project-names-unregistered-record` counts the project that names it.
 */
describe('consistency checks over records their owning department does not hold', () => {
  const page = (nodes: unknown[]) => ({ edges: nodes.map((node) => ({ node })), pageInfo: { hasNextPage: false, endCursor: null } });
  const representative = { idNumber: '350102199001011234', credit: { onBlacklist: false } };
  const active = { uscc: '91350100000000001A', status: 'ACTIVE', legalRepresentative: representative };
  const revoked = { uscc: '91350100000000002A', status: 'REVOKED', legalRepresentative: { ...representative, credit: null } };
  const county = { code: '350102', level: 'COUNTY' };
  const project = (projectCode: string, applicant: unknown, parcels: unknown[] = []) => ({ projectCode, status: 'APPROVED', division: county, applicant, parcels });
  const run = (companies: unknown[], projects: unknown[]) => checkConsistency(async (document: string) => {
    if (/allLegalPersons/.test(document)) return { allLegalPersons: page(companies) };
    if (/naturalPersons\(/.test(document)) return { naturalPersons: [{ idNumber: representative.idNumber, status: 'ALIVE' }] };
    if (/investmentProjects/.test(document)) return { investmentProjects: page(projects) };
    if (/allNaturalPersons/.test(document)) return { allNaturalPersons: page([]) };
    throw new Error(`unexpected operation ${document}`);
  });
  const rule = (result: Awaited<ReturnType<typeof checkConsistency>>, name: string) => result.rules.find((r) => r.rule === name)!;

  it('completes with a parcel geo does not hold, and compares only the parcels it holds', async () => {
    const result = await run([active], [
      project('P-UNHELD', { uscc: active.uscc, status: 'ACTIVE' }, [
        { parcelCode: '350102001001GB00001W00000000', landUse: '工业用地', division: { code: '350102' } },
        { parcelCode: '350102999999GB99999W99999999', landUse: null, division: null },
      ]),
      project('P-OUTSIDE', { uscc: active.uscc, status: 'ACTIVE' }, [
        { parcelCode: '350103001001GB00001W00000000', landUse: '工业用地', division: { code: '350103' } },
        { parcelCode: '350103999999GB99999W99999999', landUse: null, division: null },
      ]),
      project('P-HELD', { uscc: active.uscc, status: 'ACTIVE' }, [{ parcelCode: '350102001001GB00002W00000000', landUse: '工业用地', division: { code: '350102' } }]),
    ]);
    expect(rule(result, 'project-names-unregistered-record')).toMatchObject({
      checked: 3, count: 2, samples: [
        { entity: 'InvestmentProject', key: 'P-UNHELD', detail: 'parcel 350102999999GB99999W99999999 is not held by geo' },
        { entity: 'InvestmentProject', key: 'P-OUTSIDE', detail: 'parcel 350103999999GB99999W99999999 is not held by geo' },
      ],
    });
    expect(rule(result, 'parcel-outside-project-division')).toMatchObject({
      checked: 3, count: 1, samples: [{ entity: 'InvestmentProject', key: 'P-OUTSIDE', detail: 'recorded in 350102; 350103001001GB00001W00000000 lies in 350103' }],
    });
  });

  it('counts a deceased representative of an active company only: a revoked company acts for no one any more', async () => {
    const deceased = { idNumber: '350102199001011234', status: 'DECEASED' };
    const result = await checkConsistency(async (document: string) => {
      if (/allLegalPersons/.test(document)) return { allLegalPersons: page([active, revoked]) };
      if (/naturalPersons\(/.test(document)) return { naturalPersons: [deceased] };
      if (/investmentProjects/.test(document)) return { investmentProjects: page([]) };
      if (/allNaturalPersons/.test(document)) return { allNaturalPersons: page([]) };
      throw new Error(`unexpected operation ${document}`);
    });
    expect(rule(result, 'legal-representative-unknown-or-deceased')).toMatchObject({
      checked: 2, count: 1, samples: [{ entity: 'LegalPerson', key: active.uscc, detail: `legal representative ${deceased.idNumber} is registered as deceased` }],
    });
  });

  it('does not count an applicant missing from the legal-persons register as a revoked or cancelled company', async () => {
    const result = await run([active, revoked], [
      project('P-UNREGISTERED', { uscc: '91350100000000009X', status: null }),
      project('P-NOBODY', null),
      project('P-REVOKED', { uscc: revoked.uscc, status: 'REVOKED' }),
      project('P-REVOKED-TOO', { uscc: revoked.uscc, status: 'REVOKED' }),
      project('P-ACTIVE', { uscc: active.uscc, status: 'ACTIVE' }),
    ]);
    // Two companies checked, one in breach, whatever the number of projects each applied for.
    expect(rule(result, 'inactive-company-with-active-project')).toMatchObject({
      checked: 2, count: 1, samples: [{ entity: 'LegalPerson', key: revoked.uscc, detail: 'not active, yet the applicant of P-REVOKED (APPROVED), P-REVOKED-TOO (APPROVED)' }],
    });
    expect(rule(result, 'project-names-unregistered-record')).toMatchObject({
      checked: 5, count: 1, samples: [{ entity: 'InvestmentProject', key: 'P-UNREGISTERED', detail: 'applicant 91350100000000009X is not in the legal-persons register' }],
    });
  });

  it('completes with a company whose record names no legal representative, checking the others', async () => {
    const result = await run([active, { uscc: '91350100000000003A', status: 'ACTIVE', legalRepresentative: null }], []);
    expect(rule(result, 'legal-representative-unknown-or-deceased')).toMatchObject({ checked: 1, count: 0 });
    expect(rule(result, 'blacklisted-representative-of-active-company')).toMatchObject({ checked: 1, count: 0 });
  });
});
