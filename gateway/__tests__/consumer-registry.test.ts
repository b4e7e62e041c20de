import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { readConfig } from '../../shared/config';
import { checkNewConsumer, ConsumerRegistryError, createConsumerRegistry, SEED_CONSUMERS } from '../consumers';
import { ShareRules } from '../policy/share-rules';
import { gatewaySubgraphSources, prepareGateway } from '../prepare';
import { prepareConsumerRegistry, REGISTER_COMMAND } from '../sharing/seed';
import { openGatewayStore } from '../store';
import { composeSupergraph } from '../supergraph';

/**
 * The consumer registry on SQLite: what it accepts, and what start-up does with it. Seeding the
 * development consumers (and the grants decided for them) happens only when the settings ask for
 * it; otherwise start-up writes nothing and says once if nobody can call. The command that writes
 * the registry, and the same on MySQL, are in tests/consumers-command.test.ts.
 */

/** A pino logger whose lines are kept, to see what start-up said. */
function listeningLogger() {
  const lines: { level: number; msg: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40).map((l) => l.msg), infos: () => lines.filter((l) => l.level === 30).map((l) => l.msg) };
}

const resources = ShareRules.fromSupergraph(composeSupergraph(gatewaySubgraphSources(readConfig({}), 4000))).resources();
const counts = async (db: Knex) => Object.fromEntries(await Promise.all(
  ['consumers', 'access_applications', 'access_grants', 'access_events'].map(async (table) => [table, Number((await db(table).count({ n: '*' }))[0].n)]),
));
const nothing = { consumers: 0, access_applications: 0, access_grants: 0, access_events: 0 };

describe('the consumer registry', () => {
  let dir: string;
  let db: Knex;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-registry-'));
    db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }));
  });
  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('with seeding off, start-up writes nothing and warns once that nobody is registered, naming the command', async () => {
    const { logger, warnings } = listeningLogger();
    await prepareConsumerRegistry(db, resources, { seed: false, logger });
    expect(await counts(db)).toEqual(nothing);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain(REGISTER_COMMAND);
    expect(REGISTER_COMMAND).toMatch(/^npm run consumers -- add /);
  });

  it('with seeding off, a registry that holds a consumer is left as it is, without a warning', async () => {
    await createConsumerRegistry(db).register({ id: 'housing-permit', name: '工程建设项目审批管理系统', organisation: '福建省住房和城乡建设厅', roles: [], department: null });
    const before = await counts(db);
    const { logger, warnings } = listeningLogger();
    await prepareConsumerRegistry(db, resources, { seed: false, logger });
    expect(await counts(db)).toEqual(before);
    expect(warnings()).toEqual([]);
  });

  it('with seeding on, registers the development consumers and their grants, once', async () => {
    const { logger, warnings, infos } = listeningLogger();
    await prepareConsumerRegistry(db, resources, { seed: true, logger });
    const registry = createConsumerRegistry(db);
    expect((await registry.all()).map((c) => c.id).sort()).toEqual(SEED_CONSUMERS.map((c) => c.id).sort());
    expect((await registry.all()).every((c) => c.status === 'ACTIVE')).toBe(true);
    expect(await registry.byId('dept-geo')).toMatchObject({ roles: ['DEPARTMENT'], department: 'geo' });
    const drcGrants = await db('access_grants').where('consumer_id', 'drc-approval').count({ n: '*' });
    expect(Number(drcGrants[0].n)).toBeGreaterThan(0);
    expect(warnings()).toEqual([]);
    expect(infos()).toEqual(['seeded the consumer registry and its grants']);
    const seeded = await counts(db);
    await prepareConsumerRegistry(db, resources, { seed: true, logger });
    expect(await counts(db)).toEqual(seeded);
  });

  it('a production gateway\'s preparation (the node:cluster primary\'s) seeds nothing', async () => {
    const { logger, warnings } = listeningLogger();
    await prepareGateway({ config: readConfig({ NODE_ENV: 'production', ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }), logger });
    expect(await counts(db)).toEqual(nothing);
    expect(warnings()).toEqual([expect.stringContaining(REGISTER_COMMAND)]);
  });

  it('registers a consumer ACTIVE with no grant, and suspends and reactivates it', async () => {
    const registry = createConsumerRegistry(db);
    const added = await registry.register({ id: 'dept-credit', name: '信用库运维', organisation: '福建省公共信用信息中心', roles: ['department', 'DEPARTMENT'], department: 'credit' });
    expect(added).toEqual({ id: 'dept-credit', name: '信用库运维', organisation: '福建省公共信用信息中心', roles: ['DEPARTMENT'], department: 'credit', status: 'ACTIVE' });
    expect(await registry.byId('dept-credit')).toEqual(added);
    expect(await counts(db)).toEqual({ ...nothing, consumers: 1 });
    expect(await registry.setStatus('dept-credit', 'SUSPENDED')).toEqual({ consumer: { ...added, status: 'SUSPENDED' }, was: 'ACTIVE' });
    expect(await registry.byId('dept-credit')).toMatchObject({ status: 'SUSPENDED' });
    expect(await registry.setStatus('dept-credit', 'ACTIVE')).toMatchObject({ was: 'SUSPENDED' });
    expect(await registry.byId('dept-credit')).toMatchObject({ status: 'ACTIVE' });
  });

  it('refuses a duplicate id and an unknown one, changing nothing', async () => {
    const registry = createConsumerRegistry(db);
    await registry.register({ id: 'tax-service', name: '金税征管系统', organisation: '国家税务总局福建省税务局', roles: [], department: null });
    const before = await registry.all();
    await expect(registry.register({ id: 'tax-service', name: '另一个', organisation: '某单位', roles: [], department: null })).rejects.toThrow('"tax-service" is already registered (金税征管系统, 国家税务总局福建省税务局)');
    await expect(registry.setStatus('tax', 'SUSPENDED')).rejects.toThrow('"tax" is not a registered consumer');
    expect(await registry.all()).toEqual(before);
  });

  it.each([
    ['an id with a space', { id: 'drc approval' }, /"drc approval" is not a plain identifier/],
    ['an id with a comma (it would split a per-consumer setting)', { id: 'a,b' }, /not a plain identifier/],
    ['an id with an "="', { id: 'a=1' }, /not a plain identifier/],
    ['an id starting with "-" (it would read as an option)', { id: '-lead' }, /not a plain identifier/],
    ['an id longer than 64 characters', { id: 'x'.repeat(65) }, /not a plain identifier.*at most 64/],
    ['an empty id', { id: '' }, /not a plain identifier/],
    ['"citizen", the name every citizen is counted under in usage figures', { id: 'citizen' }, /"citizen" is a name the gateway gives its own callers \(citizen, gateway-readiness, onesource-gateway\): choose another id/],
    ['the readiness probe\'s name, in any case', { id: 'Gateway-Readiness' }, /is a name the gateway gives its own callers/],
    ['a blank name', { name: '   ' }, /the name is empty/],
    ['an organisation longer than 100 characters', { organisation: '单'.repeat(101) }, /the organisation is longer than 100 characters/],
    ['an unknown role', { roles: ['ADMIN'] }, /"ADMIN" is not a role: the roles are AUDITOR and DEPARTMENT/],
    ['the DEPARTMENT role without a department', { roles: ['DEPARTMENT'] }, /the DEPARTMENT role needs the department it operates \(one of persons, legal-persons, geo, projects, credit\)/],
    ['an unknown department', { roles: ['DEPARTMENT'], department: 'people' }, /"people" is not a department: the departments are persons, legal-persons, geo, projects, credit/],
    ['a department without the DEPARTMENT role', { department: 'geo' }, /a department is named for the DEPARTMENT role only/],
  ])('refuses %s', (_case, change, message) => {
    const consumer = { id: 'market-portal', name: '企业开办一网通办门户', organisation: '福建省市场监督管理局', roles: [] as string[], department: null as string | null, ...change };
    expect(() => checkNewConsumer(consumer)).toThrow(ConsumerRegistryError);
    expect(() => checkNewConsumer(consumer)).toThrow(message);
  });

  it('takes ids as identity providers write them, and trims names', () => {
    for (const id of ['drc-approval', 'dept_geo', 'FJ.Housing.Permit', '91350100M000100Y43', 'x'.repeat(64)]) {
      expect(checkNewConsumer({ id, name: ' 名 ', organisation: '单位', roles: [], department: null })).toEqual({ id, name: '名', organisation: '单位', roles: [], department: null });
    }
  });
});
