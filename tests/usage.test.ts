import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { buildCatalog } from '../gateway/catalog/build';
import { openGatewayStore } from '../gateway/store';
import { composeSupergraph, readSubgraphSources } from '../gateway/supergraph';
import { scaledPlan } from '../shared/seed/population';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';
import { standIn, StandIn } from './support/stand-in';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..');

const DIVISION = `query Division($code: ID!) { administrativeDivision(code: $code) { code name children { code } } }`;
const PAGE = `query Page { investmentProjects(first: 3) { edges { node { projectCode name } } } }`;
const PERSON = `query Person($id: ID!) { naturalPerson(idNumber: $id) { name householdAddress } }`;
const REPORT = `query Usage($from: Date!, $to: Date!, $days: Int) {
  usageReport(from: $from, to: $to, unusedForDays: $days) {
    consumers { key requests items errors errorsByCode { code count } averageLatencyMs maxLatencyMs }
    departments { key department requests items errors calls failedCalls averageCallMs }
    resources { key department requests items errors }
    fields { key department requests items errors errorsByCode { code count } }
    fieldReaders { key consumer department requests items errors }
    days { key requests errors }
    unusedForDays
    zombieCandidates { name department kind promised }
  }
}`;

const byKey = (rows: any[]): Record<string, any> => Object.fromEntries(rows.map((r) => [r.key, r]));

/** Usage statistics: counted from the gateway's own records, exactly, per consumer, department, field and day. */
function defineUsageSuite(store: StoreKind) {
  describeWithStore(store, 'usage statistics', () => {
    let stack: Stack;
    let gatewayDb: Knex;
    // Credit is reached through a stand-in, which forwards every call until a test takes credit down.
    let credit: StandIn;
    let children: number;
    let report: any;
    const today = new Date().toISOString().slice(0, 10);
    const usage = async (consumer: string, variables: Record<string, unknown> = { from: today, to: today }) =>
      stack.query(REPORT, variables, await stack.as(consumer));

    beforeAll(async () => {
      // A small province: the counts are of this suite's requests, not of the data's volume.
      credit = await standIn();
      stack = await startStack({ store, mode: 'in-process', plan: scaledPlan(500), env: { ONESOURCE_CREDIT_URL: credit.url } });
      credit.forwardTo(stack.config.subgraphs.credit.port);
      gatewayDb = await openGatewayStore(stack.config);
      const person = (await stack.stores.persons!('natural_persons').first('id_number')).id_number as string;

      // What this suite asks, and nothing else before the first report: the counts below are exact.
      const portal = await stack.as('market-portal');
      const first = await stack.query(DIVISION, { code: '350100' }, portal);
      await stack.query(DIVISION, { code: '350100' }, portal);
      children = first.data.administrativeDivision.children.length;
      expect(children).toBeGreaterThan(1);
      const page = await stack.query(PAGE);
      expect(page.data.investmentProjects.edges).toHaveLength(3);
      const refused = await stack.query(PERSON, { id: person }, portal);
      expect(refused.data.naturalPerson.name).toEqual(expect.any(String));
      expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);

      const answer = await usage('auditor');
      expect(answer.errors).toBeUndefined();
      report = answer.data.usageReport;
    }, 300_000);
    afterAll(async () => {
      await gatewayDb?.destroy();
      await stack?.stop();
      await credit?.close();
    });

    it('counts requests, errors by code and latency per consumer', () => {
      const consumers = byKey(report.consumers);
      expect(Object.keys(consumers).sort()).toEqual(['drc-approval', 'market-portal']);
      // items: every value the answers carried (see the fields below)
      expect(consumers['market-portal']).toMatchObject({ requests: 3, items: 2 * (3 + 2 * children) + 2, errors: 1, errorsByCode: [{ code: 'FORBIDDEN', count: 1 }] });
      expect(consumers['drc-approval']).toMatchObject({ requests: 1, items: 13, errors: 0, errorsByCode: [] });
      expect(consumers['market-portal'].averageLatencyMs).toBeGreaterThan(0);
      expect(consumers['market-portal'].maxLatencyMs).toBeGreaterThanOrEqual(consumers['market-portal'].averageLatencyMs);
      expect(report.days).toEqual([{ key: today, requests: 4, errors: 1 }]);
    });

    it('counts the items each field served, under the department that owns it', () => {
      const fields = byKey(report.fields);
      expect(fields['Query.administrativeDivision']).toMatchObject({ department: 'geo', requests: 2, items: 2 });
      // code is read at the division and at each of its children
      expect(fields['AdministrativeDivision.code']).toMatchObject({ department: 'geo', requests: 2, items: 2 * (1 + children) });
      expect(fields['AdministrativeDivision.children']).toMatchObject({ department: 'geo', requests: 2, items: 2 * children });
      expect(fields['Query.investmentProjects']).toMatchObject({ department: 'projects', requests: 1, items: 1 });
      expect(fields['InvestmentProjectConnection.edges']).toMatchObject({ department: 'projects', requests: 1, items: 3 });
      expect(fields['InvestmentProject.name']).toMatchObject({ department: 'projects', requests: 1, items: 3 });
      expect(fields['NaturalPerson.name']).toMatchObject({ department: 'persons', requests: 1, items: 1, errors: 0 });
      // Refused, so not read: its error is counted, but no request used it.
      expect(fields['NaturalPerson.householdAddress']).toMatchObject({
        department: 'persons', requests: 0, items: 0, errors: 1, errorsByCode: [{ code: 'FORBIDDEN', count: 1 }],
      });
      expect(Object.keys(fields)).not.toContain('LandParcel.rightType');

      // Who read each: the drc-approval's page of projects, the market-portal's divisions and person.
      const readers = report.fieldReaders.map((r: any) => [r.key, r.consumer, r.requests, r.items]);
      expect(readers).toEqual(expect.arrayContaining([
        ['InvestmentProject.name', 'drc-approval', 1, 3],
        ['AdministrativeDivision.children', 'market-portal', 2, 2 * children],
        ['NaturalPerson.name', 'market-portal', 1, 1],
      ]));
      expect(readers.filter((r: any[]) => r[0] === 'InvestmentProject.name')).toHaveLength(1);

      const resources = byKey(report.resources);
      expect(resources.AdministrativeDivision).toMatchObject({ department: 'geo', requests: 2, items: 2 * (1 + children) + 2 + 2 * children });
    });

    it('counts per department: requests that used it, items served, and the calls the gateway made to it', () => {
      const departments = byKey(report.departments);
      expect(Object.keys(departments).sort()).toEqual(['geo', 'persons', 'projects']);
      expect(departments.geo).toMatchObject({ requests: 2, items: 2 + 2 * (1 + children) + 2 + 2 * children, errors: 0, failedCalls: 0 });
      expect(departments.geo.calls).toBeGreaterThanOrEqual(2);
      expect(departments.geo.averageCallMs).toBeGreaterThan(0);
      expect(departments.projects).toMatchObject({ requests: 1, items: 1 + 3 + 3 + 3 + 3, errors: 0 });
      expect(departments.persons).toMatchObject({ requests: 1, errors: 1 });
    });

    it('writes its counts to the gateway store, roll-ups included', async () => {
      const rows = await gatewayDb('usage_daily').where({ day: today, consumer_id: 'market-portal' }).select('department', 'coordinate', 'requests', 'items');
      const row = (department: string, coordinate: string) => rows.find((r: any) => r.department === department && r.coordinate === coordinate);
      expect(Number(row('*', '*').requests)).toBe(3);
      expect(Number(row('geo', '*').requests)).toBe(2);
      expect(Number(row('geo', 'AdministrativeDivision.children').items)).toBe(2 * children);
      const errors = await gatewayDb('usage_errors').where({ day: today, consumer_id: 'market-portal', coordinate: 'NaturalPerson.householdAddress' });
      expect(errors.map((e: any) => [e.code, Number(e.errors)])).toEqual([['FORBIDDEN', 1]]);
    });

    it('lists as zombie candidates the shared fields and resources nobody used', () => {
      const zombies = report.zombieCandidates.map((z: any) => `${z.kind} ${z.name} ${z.department}`);
      expect(report.unusedForDays).toBe(90);
      expect(zombies).toEqual(expect.arrayContaining(['FIELD LandParcel.rightType geo', 'FIELD NaturalPerson.gender persons', 'RESOURCE LandParcel geo', 'RESOURCE LegalPerson legal-persons']));
      // Asked for, but only ever refused: nobody has used it.
      expect(zombies).toContain('FIELD NaturalPerson.householdAddress persons');
      for (const used of ['FIELD AdministrativeDivision.code geo', 'FIELD InvestmentProject.name projects', 'RESOURCE AdministrativeDivision geo', 'RESOURCE NaturalPerson persons']) {
        expect(zombies).not.toContain(used);
      }
      // Not shared (@inaccessible) fields are not candidates: they are not offered at all.
      expect(zombies.some((z: string) => z.includes('householdDivisionCode'))).toBe(false);
      // The gateway's own sharing records are not departmental data.
      expect(report.zombieCandidates.every((z: any) => z.department !== 'sharing')).toBe(true);
      // What the public contract names stays, however little it is read: said, so nobody retires it.
      const promised = Object.fromEntries(report.zombieCandidates.map((z: any) => [z.name, z.promised]));
      expect(promised).toMatchObject({
        'NaturalPerson.gender': true, 'NaturalPerson.householdAddress': true, LegalPerson: true, LandParcel: true, 'LandParcel.rightType': false,
      });
    });

    it('finds nothing used in a window before any request', async () => {
      const past = (await usage('auditor', { from: '2020-01-01', to: '2020-01-31', days: 31 })).data.usageReport;
      expect(past.consumers).toEqual([]);
      expect(past.fields).toEqual([]);
      expect(past.zombieCandidates.map((z: any) => z.name)).toEqual(expect.arrayContaining(['AdministrativeDivision.code', 'AdministrativeDivision']));
    });

    it('shows a department operator its own rows only, and refuses other consumers', async () => {
      const refused = await usage('market-portal');
      expect(refused.data?.usageReport ?? null).toBeNull();
      expect(refused.errors?.[0]).toMatchObject({ path: ['usageReport'], extensions: { code: 'FORBIDDEN' } });

      const geo = (await usage('dept-geo')).data.usageReport;
      expect(geo.departments.map((d: any) => d.key)).toEqual(['geo']);
      expect(geo.fields.length).toBeGreaterThan(0);
      expect(geo.fields.every((f: any) => f.department === 'geo')).toBe(true);
      // Consumers as seen from geo: those who read geo's data, with the requests that used it.
      expect(geo.consumers.map((c: any) => [c.key, c.requests])).toEqual([['market-portal', 2]]);
      expect(geo.zombieCandidates.length).toBeGreaterThan(0);
      expect(geo.zombieCandidates.every((z: any) => z.department === 'geo')).toBe(true);

      const persons = (await usage('dept-persons')).data.usageReport;
      expect(persons.fields.map((f: any) => f.key).sort()).toEqual(['NaturalPerson.householdAddress', 'NaturalPerson.name', 'Query.naturalPerson']);
      expect(persons.consumers.map((c: any) => [c.key, c.requests, c.errors])).toEqual([['market-portal', 1, 1]]);
      // Who reads which of its items: what a department asks before changing or retiring one.
      expect(persons.fieldReaders.map((r: any) => [r.key, r.consumer, r.department, r.requests, r.errors])).toEqual([
        ['NaturalPerson.householdAddress', 'market-portal', 'persons', 0, 1],
        ['NaturalPerson.name', 'market-portal', 'persons', 1, 0],
        ['Query.naturalPerson', 'market-portal', 'persons', 1, 0],
      ]);
    });

    it('counts its own report requests too, once answered', async () => {
      const consumers = byKey((await usage('auditor')).data.usageReport.consumers);
      // The first report, the past window, and this suite's department operators' and refused reports.
      expect(consumers.auditor.requests).toBe(2);
      expect(consumers['market-portal']).toMatchObject({ requests: 4, errorsByCode: [{ code: 'FORBIDDEN', count: 2 }] });
      expect(consumers['dept-geo'].requests).toBe(1);
    });

    it('npm run report prints the 三数一率 figures for the year', async () => {
      const year = today.slice(0, 4);
      const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'report.ts'), '--year', year], {
        cwd: ROOT, env: stack.env, timeout: 120_000,
      });
      expect(stdout).toContain(`OneSource ${year}`);
      // market-portal, drc-approval, auditor, dept-geo, dept-persons of the eleven seeded consumers
      expect(stdout).toMatch(/Systems connected\s+接入系统数\s+5 of 12 registered consumer systems made requests/);
      // Exactly what the catalogue publishes: no Relay plumbing (connections, edges, PageInfo), no mutations.
      const catalog = buildCatalog(composeSupergraph(readSubgraphSources(stack.config)));
      const items = catalog.resources.flatMap((r) => r.items);
      const conditional = items.filter((i) => i.shareType === 'CONDITIONAL').length;
      expect(stdout).toMatch(new RegExp(`Items shared\\s+共享数据项\\s+${items.length} data items in ${catalog.resources.length} resources \\(${items.length - conditional} unconditional, ${conditional} conditional\\)`));
      expect(stdout).not.toMatch(/^\s+(field|resource)\s+\S*(Connection|Edge|PageInfo|Mutation\.|Query\.)/m);
      expect(stdout).toMatch(/Applications served\s+应用服务数\s+\d+ requests served; \d+ of \d+ access applications decided were approved/);
      expect(stdout).toMatch(/Connectivity rate\s+联通率\s+100\.0% \(5 of 5 departments answering now\); 100\.0% of \d+ calls to departments answered/);
      expect(stdout).toMatch(/^geo\s+\d+\s+\d+\s+\d+/m);
      expect(stdout).toMatch(/resource LandParcel\s+geo  \(the contract promises it: keep\)\n/);
      expect(stdout).toMatch(/field {4}LandParcel\.rightType\s+geo\n/);
    }, 120_000);

    it('counts a request refused whole (invalid, or over a limit) with its error, and none of its fields as used', async () => {
      const before = byKey((await usage('auditor')).data.usageReport.consumers)['dept-credit'];
      expect(before).toBeUndefined();
      const credit = await stack.as('dept-credit');
      const invalid = await stack.query(`{ administrativeDivision(code: "350100") { name notAField } }`, {}, credit);
      expect(invalid.errors?.map((e) => e.extensions?.code)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
      const tooDeep = await stack.query(`{ administrativeDivision(code: "350100") { ${'parent { '.repeat(10)}name${' }'.repeat(10)} } }`, {}, credit);
      expect(tooDeep.errors?.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_COMPLEX']);

      const after = (await usage('auditor')).data.usageReport;
      expect(byKey(after.consumers)['dept-credit']).toMatchObject({
        requests: 2, items: 0, errors: 2,
        errorsByCode: expect.arrayContaining([{ code: 'GRAPHQL_VALIDATION_FAILED', count: 1 }, { code: 'QUERY_TOO_COMPLEX', count: 1 }]),
      });
      expect(after.fieldReaders.filter((r: any) => r.consumer === 'dept-credit')).toEqual([]);
    });

    it('keeps no row for the fields under a refused one: nothing there was read, nothing failed', async () => {
      const person = (await stack.stores.persons!('natural_persons').first('id_number')).id_number as string;
      const asked = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name credit { entries { kind reason } } } }`, { id: person }, await stack.as('housing-permit', '住房保障资格审核'));
      expect(asked.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['FORBIDDEN', 'naturalPerson.credit.entries']]);
      const readers = (await usage('auditor')).data.usageReport.fieldReaders.filter((r: any) => r.consumer === 'housing-permit');
      expect(readers.map((r: any) => [r.key, r.requests, r.errors]).sort()).toEqual([
        ['CreditProfile.entries', 0, 1],
        ['NaturalPerson.credit', 1, 0],
        ['NaturalPerson.name', 1, 0],
        ['Query.naturalPerson', 1, 0],
      ]);
    });

    it('counts nothing as read under a mutation its department refused: the refusal is its error', async () => {
      const company = (await stack.stores['legal-persons']!('legal_persons').first('uscc')).uscc as string;
      const refused = await stack.query(`mutation($u: ID!) { correctLegalPerson(uscc: $u, correction: { status: REVOKED }, reason: "吊销") { uscc status legalRepresentative { name } } }`,
        { u: company }, await stack.as('dept-projects', '登记核查'));
      expect(refused.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['FORBIDDEN', 'correctLegalPerson']]);
      const readers = (await usage('auditor')).data.usageReport.fieldReaders.filter((r: any) => r.consumer === 'dept-projects');
      expect(readers.map((r: any) => [r.key, r.requests, r.items, r.errors])).toEqual([['Mutation.correctLegalPerson', 0, 0, 1]]);

      // What the legal-persons operator sees: a refusal, not a read of its companies' status or representative.
      const own = (await usage('dept-legal-persons')).data.usageReport;
      expect(own.fieldReaders.filter((r: any) => r.consumer === 'dept-projects').map((r: any) => [r.key, r.requests, r.errors])).toEqual([
        ['Mutation.correctLegalPerson', 0, 1],
      ]);
      expect(byKey(own.fields)['Mutation.correctLegalPerson']).toMatchObject({ requests: 0, items: 0, errors: 1, errorsByCode: [{ code: 'FORBIDDEN', count: 1 }] });
      expect(byKey(own.consumers)['dept-projects']).toMatchObject({ requests: 0, items: 0, errors: 1, errorsByCode: [{ code: 'FORBIDDEN', count: 1 }] });
      expect(own.zombieCandidates.map((z: any) => z.name)).toEqual(expect.arrayContaining(['LegalPerson.status', 'LegalPerson.legalRepresentative']));
    });

    it('counts nothing as read under a department that did not answer: the failure is counted where it struck', async () => {
      const company = (await stack.stores['legal-persons']!('legal_persons').first('uscc')).uscc as string;
      credit.set('status-500');
      let answer;
      try {
        answer = await stack.query(`query($u: ID!) { legalPerson(uscc: $u) { name credit { onBlacklist rating } } }`, { u: company }, await stack.as('tax-service', '纳税信用评价'));
      } finally {
        credit.set('forward');
      }
      expect(answer.data.legalPerson).toEqual({ name: expect.any(String), credit: null });
      expect(answer.errors?.map((e) => [e.extensions?.code, e.path?.join('.')])).toEqual([['SUBGRAPH_UNAVAILABLE', 'legalPerson.credit']]);

      // What the credit operator sees of this consumer: one failure at the field credit serves, and no
      // read of the profile's items, which never left credit.
      const own = (await usage('dept-credit')).data.usageReport;
      expect(own.fieldReaders.filter((r: any) => r.consumer === 'tax-service').map((r: any) => [r.key, r.requests, r.items, r.errors])).toEqual([
        ['LegalPerson.credit', 0, 0, 1],
      ]);
      expect(byKey(own.consumers)['tax-service']).toMatchObject({ requests: 0, items: 0, errors: 1, errorsByCode: [{ code: 'SUBGRAPH_UNAVAILABLE', count: 1 }] });
      expect(byKey(own.fields)['CreditProfile.onBlacklist']).toBeUndefined();
      expect(own.zombieCandidates.map((z: any) => z.name)).toEqual(expect.arrayContaining(['CreditProfile.onBlacklist', 'CreditProfile.rating']));
      // What legal persons answered was read.
      const legal = (await usage('dept-legal-persons')).data.usageReport;
      expect(legal.fieldReaders.filter((r: any) => r.consumer === 'tax-service').map((r: any) => [r.key, r.requests, r.items, r.errors])).toEqual([
        ['LegalPerson.name', 1, 1, 0],
        ['Query.legalPerson', 1, 1, 0],
      ]);
    });

    it("counts what @skip and @include left in for this request, whatever the document's defaults say", async () => {
      const as = await stack.as('social-insurance');
      const left = await stack.query(`query Left($w: Boolean = true) { administrativeDivision(code: "350100") { name level @include(if: $w) } }`, { w: false }, as);
      expect(left.data.administrativeDivision).toEqual({ name: expect.any(String) });
      const kept = await stack.query(`query Kept($w: Boolean = false) { administrativeDivision(code: "350100") { name fullName @include(if: $w) } }`, { w: true }, as);
      expect(kept.data.administrativeDivision).toEqual({ name: expect.any(String), fullName: expect.any(String) });
      const readers = (await usage('auditor')).data.usageReport.fieldReaders
        .filter((r: any) => r.consumer === 'social-insurance').map((r: any) => [r.key, r.requests, r.items]);
      expect(readers).toEqual(expect.arrayContaining([['AdministrativeDivision.name', 2, 2], ['AdministrativeDivision.fullName', 1, 1]]));
      expect(readers.map((r: any[]) => r[0])).not.toContain('AdministrativeDivision.level');
    });

    it('ends the zombie window today when `to` lies ahead: days to come hold no use yet', async () => {
      const ahead = (await usage('auditor', { from: today, to: '2100-12-31' })).data.usageReport;
      const zombies = ahead.zombieCandidates.map((z: any) => z.name);
      expect(zombies).not.toContain('AdministrativeDivision.code');
      expect(zombies).toContain('LandParcel.rightType');
    });
  });
}

defineUsageSuite('sqlite');
defineUsageSuite('mysql');
