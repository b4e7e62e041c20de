import knex, { Knex } from 'knex';
import pino from 'pino';
import { readConfig } from '../../shared/config';
import { DEPARTMENTS } from '../../shared/departments';
import { usage } from '../migrations/004_usage';
import { gatewaySubgraphSources } from '../prepare';
import { composeSupergraph } from '../supergraph';
import { FieldOwners } from '../usage/owners';
import { UsageRecorder } from '../usage/recorder';
import { usageReport } from '../usage/report';

/** Zombie candidates from the usage rows of a real (in-memory) store, at an hour of China's night. */
describe('zombie candidates', () => {
  const config = readConfig({});
  const owners = FieldOwners.fromSupergraph(composeSupergraph(gatewaySubgraphSources(config, config.gatewayPort)));
  const departments = DEPARTMENTS.map((d) => d.name);
  let db: Knex;
  beforeEach(async () => {
    db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await usage.up(db);
  });
  afterEach(async () => {
    jest.useRealTimers();
    await db.destroy();
  });

  it('are judged over the UTC days the rows count: a field read a moment ago is no zombie at 01:00 in China', async () => {
    // 17:00 UTC on 10 March is 01:00 on 11 March in Fuzhou; only the clock is faked.
    const now = Date.parse('2026-03-10T17:00:00Z');
    jest.useFakeTimers({ now, doNotFake: ['nextTick', 'setImmediate', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'hrtime', 'performance'] });
    const recorder = new UsageRecorder(db, pino({ level: 'silent' }), 1e9);
    recorder.recordRequest({ at: new Date(now), consumer: 'market-portal', latencyMs: 3, errorCodes: [], fields: [{ coordinate: 'AdministrativeDivision.name', department: 'geo', items: 1, errorCodes: [] }] });
    await recorder.flush();
    // The caller asks up to China's today, 11 March.
    const report = await usageReport(db, { from: '2026-03-10', to: '2026-03-11', unusedForDays: 1, owners, departments });
    expect(report.fields.map((f) => f.key)).toContain('AdministrativeDivision.name');
    expect(report.zombieCandidates.map((z) => z.name)).not.toContain('AdministrativeDivision.name');
    expect(report.zombieCandidates.map((z) => z.name)).toContain('AdministrativeDivision.fullName');
  });

  it("name to a department's operator only the resources it owns, not those it adds a field to", async () => {
    const report = await usageReport(db, { from: '2026-03-01', to: '2026-03-10', unusedForDays: 10, owners, departments, department: 'credit' });
    const resources = report.zombieCandidates.filter((z) => z.kind === 'RESOURCE');
    expect(resources.map((z) => z.name)).not.toContain('NaturalPerson');
    expect(resources.map((z) => z.name)).not.toContain('LegalPerson');
    expect(resources.every((z) => z.department === 'credit')).toBe(true);
    // Its own fields on others' resources are still its to retire.
    expect(report.zombieCandidates).toContainEqual(expect.objectContaining({ name: 'NaturalPerson.credit', kind: 'FIELD', department: 'credit' }));
  });
});
