import { execFile } from 'node:child_process';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { dropStore } from '../shared/db';
import { DEPARTMENTS } from '../shared/departments';
import { scaledPlan } from '../shared/seed/population';
import { REGISTRY_CACHE_MS } from '../gateway/auth/consumer-token';
import { Consumer, createConsumerRegistry, SEED_CONSUMERS } from '../gateway/consumers';
import { startGateway } from '../gateway/server';
import { REGISTER_COMMAND } from '../gateway/sharing/seed';
import { openGatewayStore } from '../gateway/store';
import { describeWithStore, freePort, post, Stack, startStack, StoreKind } from './support/stack';

/**
 * `npm run consumers` against a gateway started as production starts it, without the development
 * seed (ONESOURCE_SEED_EMPTY_STORES=false): the registry starts empty, the command registers,
 * lists, suspends and reactivates consumers in the gateway's own store, and the gateway serves
 * and refuses them accordingly. Runs on SQLite, and on MySQL when ONESOURCE_MYSQL_URL is set
 * (databases `onesource_test_consumers_*`).
 */

const ROOT = path.join(__dirname, '..');
const PREFIX = 'onesource_test_consumers_';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

const PROJECT_PEOPLE = `{ investmentProjects(first: 1) { edges { node { projectCode applicant { name legalRepresentative { idNumber name householdAddress } } } } } }`;

function defineConsumersCommandSuite(store: StoreKind) {
  describeWithStore(store, 'npm run consumers, on a gateway without the development seed', () => {
    let stack: Stack;
    let gatewayDb: Knex;

    /** The command, with the gateway's own settings (its data directory or MySQL databases). */
    const consumers = (...args: string[]): Promise<Outcome> => new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/consumers.ts', ...args], { cwd: ROOT, env: stack.env, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
      });
    });
    const registered = () => createConsumerRegistry(gatewayDb).all();
    const ask = async (consumer: string, query = PROJECT_PEOPLE) => post<any>(stack.gatewayUrl, { query }, await stack.as(consumer, 'test: 施工许可核验建设单位'));
    const settle = () => new Promise((resolve) => setTimeout(resolve, REGISTRY_CACHE_MS + 250));

    beforeAll(async () => {
      stack = await startStack({
        store, mode: 'in-process', plan: scaledPlan(200),
        env: { ONESOURCE_SEED_EMPTY_STORES: 'false', ...(store === 'mysql' ? { ONESOURCE_DB_PREFIX: PREFIX } : {}) },
      });
      gatewayDb = await openGatewayStore(stack.config);
    }, 300_000);
    afterAll(async () => {
      await gatewayDb?.destroy();
      await stack?.stop();
      if (store === 'mysql' && stack) for (const name of [...DEPARTMENTS.map((d) => d.name), 'gateway']) await dropStore(stack.config, name);
    });

    it('starts with no consumer and no grant, and refuses the development consumers\' tokens', async () => {
      expect(await registered()).toEqual([]);
      for (const table of ['access_applications', 'access_grants', 'access_events']) {
        expect(Number((await gatewayDb(table).count({ n: '*' }))[0].n)).toBe(0);
      }
      for (const { id } of SEED_CONSUMERS.slice(0, 3)) {
        const answer = await ask(id);
        expect(answer.status).toBe(401);
        expect(answer.errors![0]).toMatchObject({ message: `"${id}" is not a registered consumer`, extensions: { code: 'UNAUTHENTICATED' } });
      }
    });

    it('says once at start-up that the registry is empty, naming the command', async () => {
      // A second gateway on the same store, to hear what it logs when it starts.
      const lines: { level: number; msg: string }[] = [];
      const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
      const replica = await startGateway({ config: { ...stack.config, gatewayPort: await freePort() }, logger });
      await replica.stop();
      const about = lines.filter((l) => /consumer/.test(l.msg));
      expect(about).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining(REGISTER_COMMAND) })]);
      expect(await registered()).toEqual([]);
    });

    it('lists an empty registry, saying how to add a consumer', async () => {
      expect(await consumers('list')).toEqual({ code: 0, stdout: expect.stringContaining('No consumer system is registered: add one with npm run consumers -- add'), stderr: '' });
    });

    it('adds consumers, prints what it registered, and lists them', async () => {
      const housing = await consumers('add', 'housing-permit', '--name', '工程建设项目审批管理系统', '--organisation', '福建省住房和城乡建设厅');
      expect(housing).toMatchObject({ code: 0, stderr: '' });
      expect(housing.stdout).toContain('Registered housing-permit: 工程建设项目审批管理系统 (福建省住房和城乡建设厅), no role, ACTIVE.');
      expect(housing.stdout).toContain('It holds no grant');
      const operator = await consumers('add', 'dept-credit', '--name', '信用库运维', '--organisation', '福建省公共信用信息中心', '--role', 'DEPARTMENT', '--department', 'credit');
      expect(operator.stdout).toContain('Registered dept-credit: 信用库运维 (福建省公共信用信息中心), roles DEPARTMENT, department credit, ACTIVE.');
      const auditor = await consumers('add', 'audit-office', '--name', '审计厅数据审计系统', '--organisation', '福建省审计厅', '--role', 'auditor');
      expect(auditor.stdout).toContain('roles AUDITOR, ACTIVE.');

      expect(await registered()).toEqual<Consumer[]>([
        { id: 'audit-office', name: '审计厅数据审计系统', organisation: '福建省审计厅', roles: ['AUDITOR'], department: null, status: 'ACTIVE' },
        { id: 'dept-credit', name: '信用库运维', organisation: '福建省公共信用信息中心', roles: ['DEPARTMENT'], department: 'credit', status: 'ACTIVE' },
        { id: 'housing-permit', name: '工程建设项目审批管理系统', organisation: '福建省住房和城乡建设厅', roles: [], department: null, status: 'ACTIVE' },
      ]);
      expect(Number((await gatewayDb('access_grants').count({ n: '*' }))[0].n)).toBe(0);

      const list = await consumers('list');
      expect(list).toMatchObject({ code: 0, stderr: '' });
      const rows = list.stdout.trim().split('\n').map((line) => line.trim().split(/\s{2,}/));
      expect(rows).toEqual([
        ['ID', 'NAME', 'ORGANISATION', 'ROLES', 'DEPARTMENT', 'STATUS'],
        ['audit-office', '审计厅数据审计系统', '福建省审计厅', 'AUDITOR', '-', 'ACTIVE'],
        ['dept-credit', '信用库运维', '福建省公共信用信息中心', 'DEPARTMENT', 'credit', 'ACTIVE'],
        ['housing-permit', '工程建设项目审批管理系统', '福建省住房和城乡建设厅', '-', '-', 'ACTIVE'],
      ]);
    });

    it.each([
      ['a duplicate id', ['add', 'housing-permit', '--name', '另一个系统', '--organisation', '某单位'], /^consumers: "housing-permit" is already registered \(工程建设项目审批管理系统, 福建省住房和城乡建设厅\)$/, 1],
      ['an unknown role', ['add', 'portal', '--name', '门户', '--organisation', '某单位', '--role', 'ADMIN'], /^consumers: "ADMIN" is not a role: the roles are AUDITOR and DEPARTMENT$/, 1],
      ['the DEPARTMENT role without a department', ['add', 'dept-geo', '--name', '空间地理库运维', '--organisation', '福建省自然资源厅', '--role', 'DEPARTMENT'], /^consumers: the DEPARTMENT role needs the department it operates \(one of persons, legal-persons, geo, projects, credit\)$/, 1],
      ['an unknown department', ['add', 'dept-geo', '--name', '空间地理库运维', '--organisation', '福建省自然资源厅', '--role', 'DEPARTMENT', '--department', 'land'], /^consumers: "land" is not a department: the departments are persons, legal-persons, geo, projects, credit$/, 1],
      ['an id that is not a plain identifier', ['add', 'tax service', '--name', '金税征管系统', '--organisation', '国家税务总局福建省税务局'], /^consumers: "tax service" is not a plain identifier: letters, digits/, 1],
      ['an add without a name', ['add', 'portal', '--organisation', '某单位'], /^error: required option '--name <name>' not specified$/, 2],
      ['suspending an unknown id', ['suspend', 'nobody'], /^consumers: "nobody" is not a registered consumer$/, 1],
      ['activating an unknown id', ['activate', 'nobody'], /^consumers: "nobody" is not a registered consumer$/, 1],
      ['an unknown subcommand', ['remove', 'housing-permit'], /^error: unknown command 'remove'$/, 2],
    ] as [string, string[], RegExp, number][])('refuses %s: exit 1 (refused) or 2 (wrong usage), one line naming it, the registry unchanged', async (_case, args, message, code) => {
      const before = await registered();
      const outcome = await consumers(...args);
      expect(outcome.code).toBe(code);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr.trim().split('\n')).toHaveLength(1);
      expect(outcome.stderr.trim()).toMatch(message);
      expect(await registered()).toEqual(before);
    });

    it('serves a consumer the command added, with a token for it: unconditional fields only, as it holds no grant', async () => {
      const answer = await ask('housing-permit');
      expect(answer.status).toBe(200);
      const { applicant } = answer.data.investmentProjects.edges[0].node;
      expect(applicant.name).toEqual(expect.any(String));
      expect(applicant.legalRepresentative).toMatchObject({ idNumber: expect.any(String), name: expect.any(String), householdAddress: null });
      expect(answer.errors).toEqual([
        expect.objectContaining({ path: ['investmentProjects', 'edges', 0, 'node', 'applicant', 'legalRepresentative', 'householdAddress'], extensions: expect.objectContaining({ code: 'FORBIDDEN' }) }),
      ]);
    });

    it('refuses a suspended consumer (within the registry cache) and serves it again once activated', async () => {
      expect((await ask('housing-permit')).status).toBe(200);
      const suspended = await consumers('suspend', 'housing-permit');
      expect(suspended).toMatchObject({ code: 0, stderr: '' });
      expect(suspended.stdout).toMatch(/^Suspended housing-permit: .*SUSPENDED: its requests are refused within 5 s; its grants are kept\.$/m);
      expect((await consumers('suspend', 'housing-permit')).stdout).toContain('housing-permit was already SUSPENDED: nothing changed.');
      expect((await consumers('list')).stdout).toMatch(/^housing-permit\s.*\sSUSPENDED$/m);

      await settle();
      const refused = await ask('housing-permit');
      expect(refused.status).toBe(401);
      expect(refused.errors![0]).toMatchObject({ message: 'Consumer "housing-permit" is suspended', extensions: { code: 'UNAUTHENTICATED' } });
      expect(refused.data).toBeUndefined();
      // The others are not touched by it.
      expect((await ask('dept-credit', '{ me { id department } }')).data).toEqual({ me: { id: 'dept-credit', department: 'credit' } });

      const activated = await consumers('activate', 'housing-permit');
      expect(activated).toMatchObject({ code: 0, stderr: '' });
      expect(activated.stdout).toContain('Activated housing-permit: 工程建设项目审批管理系统 (福建省住房和城乡建设厅), no role, ACTIVE.');
      await settle();
      expect((await ask('housing-permit')).status).toBe(200);
    });

    it('refuses a consumer suspended before its first request at once', async () => {
      await consumers('add', 'social-insurance', '--name', '社会保险经办系统', '--organisation', '福建省人力资源和社会保障厅');
      expect((await consumers('suspend', 'social-insurance')).code).toBe(0);
      const answer = await ask('social-insurance', '{ me { id } }');
      expect(answer.status).toBe(401);
      expect(answer.errors![0].message).toBe('Consumer "social-insurance" is suspended');
      // Nor does the playground's development picker offer it a token.
      const offered = await fetch(stack.gatewayUrl.replace(/\/graphql$/, '/playground/dev-consumers'));
      const ids = ((await offered.json()) as { id: string }[]).map((c) => c.id);
      expect(ids).toContain('housing-permit');
      expect(ids).not.toContain('social-insurance');
    });
  });
}

defineConsumersCommandSuite('sqlite');
defineConsumersCommandSuite('mysql');
