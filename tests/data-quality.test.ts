import path from 'node:path';
import { importFile } from '../shared/importing';
import { companyDefect, PLANTED_DEFECTS } from '../shared/seed/defects';
import { projectImport } from '../subgraphs/projects/import';
import { legalPersonFacts, parcelFacts, personFacts, projectFacts, scaledPlan } from '../shared/seed/population';
import type { SeedPlan } from '../shared/subgraph-server';
import { REASON_WITHHELD } from '../gateway/quality/change-notices';
import { NOTE_WITHHELD, VALUE_WITHHELD } from '../gateway/quality/resolvers';
import { openGatewayStore } from '../gateway/store';
import { createConsumerRegistry } from '../gateway/consumers';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';
import { Mode, standIn, StandIn } from './support/stand-in';

/**
 * Data quality across departments: the consistency checks find exactly the defects the seed
 * planted; an objection flags its item in every answer until the owner corrects and closes it;
 * a consumer that read a record learns of its change. The geo department is reached through a
 * stand-in, so that it can fail while an objection about one of its parcels is raised.
 */

const PLAN: SeedPlan = scaledPlan(1_000);
/** Projects whose applicants and parcels are not in this province's seed (the import tests' fixture). */
const UNREGISTERED_REFERENCES = path.join(__dirname, 'fixtures', 'import', 'projects.jsonl');

const RUN = `mutation { runConsistencyChecks { id status } }`;
const REPORT = `query($id: ID) { consistencyReport(id: $id) {
  id status error progress
  rules { rule departments checked count samples { entity key detail } }
  departments { department count }
} }`;
const PERSON = `query($id: ID!) { naturalPerson(idNumber: $id) { idNumber name status } }`;
const COMPANY = `query($uscc: ID!) { legalPerson(uscc: $uscc) { uscc name status legalRepresentative { idNumber name } } }`;
const RAISE = `mutation($entity: String!, $key: ID!, $field: String!, $believed: String!, $evidence: String!) {
  raiseObjection(entity: $entity, key: $key, field: $field, believedValue: $believed, evidence: $evidence) { id status open owner raisedBy }
}`;
const STEP = (action: 'acceptObjection' | 'rejectObjection') => `mutation($id: ID!, $note: String!) { ${action}(id: $id, reason: $note) { id status open } }`;
const CLOSE = `mutation($id: ID!, $note: String!) { closeObjection(id: $id, resolution: $note) { id status open } }`;
const OBJECTION = `query($id: ID!) { objection(id: $id) { id status history { action actor note } } }`;
const QUEUE = `query { objections { id entity key field status } }`;
const LOG = `query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { consumer purpose requestId fields } } } }`;
const CHANGES = `query($since: String!) { changesSince(since: $since) { entity key fields reason objection lastReadAt } }`;

const codes = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) => (answer.errors ?? []).map((e) => e.extensions?.code);
/** Short, so that a hung geo costs the test seconds; still ample for the consistency checks' geo fetches. */
const GEO_TIMEOUT_MS = 3_000;

function defineDataQualitySuite(store: StoreKind) {
  describeWithStore(store, 'data quality across departments', () => {
    let stack: Stack;
    let geo: StandIn;

    beforeAll(async () => {
      geo = await standIn();
      stack = await startStack({ store, mode: 'in-process', plan: PLAN, env: { ONESOURCE_GEO_URL: geo.url, ONESOURCE_GEO_TIMEOUT_MS: String(GEO_TIMEOUT_MS) } });
      geo.forwardTo(stack.config.subgraphs.geo.port);
    }, 300_000);
    afterAll(async () => {
      await stack?.stop();
      await geo?.close();
    });

    describe('consistency checks (共享校核)', () => {
      let report: any;

      beforeAll(async () => {
        // Two projects as the projects department might load them, naming an applicant company
        // (each) and land parcels (the first) that their owners do not hold: one defect more each.
        const imported = await importFile(stack.stores.projects!, projectImport, UNREGISTERED_REFERENCES);
        expect(imported.outcome).toEqual({ kind: 'complete' });
        const started = await stack.query(RUN, {}, await stack.as('auditor', '投诉核查'));
        expect(started.errors).toBeUndefined();
        const deadline = Date.now() + 120_000;
        do {
          await new Promise((r) => setTimeout(r, 300));
          report = (await stack.query(REPORT, { id: started.data.runConsistencyChecks.id }, await stack.as('auditor', '投诉核查'))).data.consistencyReport;
        } while (report.status === 'RUNNING' && Date.now() < deadline);
      }, 180_000);

      const rule = (name: string) => report.rules.find((r: any) => r.rule === name);

      it('finds exactly the planted defects, rule by rule, having checked every record', () => {
        expect(report.status).toBe('DONE');
        expect(report.error).toBeNull();
        expect(Object.fromEntries(report.rules.map((r: any) => [r.rule, r.count]))).toEqual({
          'legal-representative-unknown-or-deceased': PLANTED_DEFECTS.representativeUnknown + PLANTED_DEFECTS.representativeDeceased,
          'inactive-company-with-active-project': PLANTED_DEFECTS.inactiveCompanyWithActiveProject,
          'parcel-outside-project-division': PLANTED_DEFECTS.parcelOutsideDivision,
          'project-names-unregistered-record': 2,
          'person-record-disagrees-with-number': PLANTED_DEFECTS.genderDisagreesWithNumber + PLANTED_DEFECTS.birthDateDisagreesWithNumber,
          'blacklisted-representative-of-active-company': PLANTED_DEFECTS.blacklistedRepresentative,
        });
        expect(rule('legal-representative-unknown-or-deceased').checked).toBe(PLAN.legalPersons);
        expect(rule('parcel-outside-project-division').checked).toBe(PLAN.projects + 2);
        expect(rule('project-names-unregistered-record').checked).toBe(PLAN.projects + 2);
        expect(rule('person-record-disagrees-with-number').checked).toBe(PLAN.persons);
      });

      it('names the very records the seed planted', () => {
        const planted = (kinds: string[]) =>
          Array.from({ length: PLAN.legalPersons }, (_, j) => j).filter((j) => kinds.includes(companyDefect(PLAN, j)?.kind ?? '')).map((j) => legalPersonFacts(PLAN, j).uscc).sort();
        const found = (name: string) => rule(name).samples.map((s: any) => s.key).sort();
        expect(found('legal-representative-unknown-or-deceased')).toEqual(planted(['representativeUnknown', 'representativeDeceased']));
        expect(found('inactive-company-with-active-project')).toEqual(planted(['inactiveCompanyWithActiveProject']));
        expect(found('blacklisted-representative-of-active-company')).toEqual(planted(['blacklistedRepresentative']));
        const wrongPersons = Array.from({ length: PLAN.persons }, (_, i) => personFacts(PLAN, i)).filter((p) => p.recordedWrong).map((p) => p.idNumber).sort();
        expect(found('person-record-disagrees-with-number')).toEqual(wrongPersons);
        const outside = Array.from({ length: PLAN.projects }, (_, m) => projectFacts(PLAN, m))
          .filter((p) => p.parcelCodes.some((c) => c.slice(0, 6) !== p.countyCode)).map((p) => p.projectCode).sort();
        expect(found('parcel-outside-project-division')).toEqual(outside);
        expect(rule('project-names-unregistered-record').samples).toEqual([
          {
            entity: 'InvestmentProject', key: '2024-350102-44-01-900002',
            detail: 'applicant 91350102MALD00023A is not in the legal-persons register',
          },
          {
            entity: 'InvestmentProject', key: '2025-350102-54-03-900001',
            detail: 'applicant 91350102MALD00015F is not in the legal-persons register; parcel 350102001001GB90001W00000000 is not held by geo; parcel 350102001001GB90002W00000000 is not held by geo',
          },
        ]);
        expect(rule('person-record-disagrees-with-number').samples.find((s: any) => /gender/.test(s.detail)).detail).toMatch(/^gender (MALE|FEMALE), the number says (MALE|FEMALE)$/);
      });

      it('sums the defects per department that should correct them', () => {
        expect(report.departments).toEqual(expect.arrayContaining([
          { department: 'legal-persons', count: PLANTED_DEFECTS.representativeUnknown + PLANTED_DEFECTS.representativeDeceased + PLANTED_DEFECTS.inactiveCompanyWithActiveProject + PLANTED_DEFECTS.blacklistedRepresentative },
          { department: 'projects', count: PLANTED_DEFECTS.parcelOutsideDivision + 2 },
          { department: 'persons', count: PLANTED_DEFECTS.genderDisagreesWithNumber + PLANTED_DEFECTS.birthDateDisagreesWithNumber },
        ]));
      });

      it('refuses a run number that is none, an empty one too (only a missing number asks for the latest run)', async () => {
        for (const id of ['', 'abc', '0', '1e0', '0x2', ' 1', '01']) {
          const answer = await stack.query(REPORT, { id }, await stack.as('auditor', '投诉核查'));
          expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
          expect(answer.data?.consistencyReport ?? null).toBeNull();
        }
      });

      it('shows a department operator the records of its own rules only, and the counts of all', async () => {
        const all = (await stack.query(REPORT, {}, await stack.as('auditor', '投诉核查'))).data.consistencyReport.rules;
        const geo = (await stack.query(REPORT, {}, await stack.as('dept-geo'))).data.consistencyReport.rules;
        expect(geo.map((r: any) => [r.rule, r.count])).toEqual(all.map((r: any) => [r.rule, r.count]));
        for (const rule of geo) {
          const full = all.find((r: any) => r.rule === rule.rule);
          expect(rule.samples).toEqual(rule.departments.includes('geo') ? full.samples : []);
        }
        expect(geo.some((r: any) => !r.departments.includes('geo') && r.count > 0)).toBe(true);
      });

      it('records who read the persons its samples name, with the reader\'s purpose and request', async () => {
        const named = rule('legal-representative-unknown-or-deceased').samples[0].detail.match(/legal representative (\S+) /)[1];
        const mismatched = rule('person-record-disagrees-with-number').samples[0].key;
        await stack.query(REPORT, {}, { ...(await stack.as('dept-persons', '核对法定代表人状态')), 'x-request-id': 'req-samples-1' });
        for (const subject of [named, mismatched]) {
          const log = await stack.query(LOG, { id: subject }, await stack.as('auditor', '投诉核查'));
          expect(log.data.accessLog.edges.map((e: any) => e.node)).toContainEqual(expect.objectContaining({
            consumer: 'dept-persons', purpose: '核对法定代表人状态', requestId: 'req-samples-1', fields: ['ConsistencySample.detail', 'ConsistencySample.entity', 'ConsistencySample.key'],
          }));
        }
        // One look at the report is one record, however many of its rules name persons.
        const db = await openGatewayStore(stack.config);
        try {
          const records = await db('audit_trail').where('request_id', 'req-samples-1').count({ n: '*' }).first();
          expect(Number(records?.n)).toBe(1);
        } finally {
          await db.destroy();
        }
        // dept-geo sees no samples of the persons rules, so reads none of these persons.
        await stack.query(REPORT, {}, { ...(await stack.as('dept-geo')), 'x-request-id': 'req-samples-2' });
        const log = await stack.query(LOG, { id: named }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node.requestId)).not.toContain('req-samples-2');

        // Asked for fewer samples (npm run consistency -- --samples N), only those are read.
        const FIRST = `query($first: Int) { consistencyReport { rules { rule samples(first: $first) { key detail } } } }`;
        const one = await stack.query(FIRST, { first: 1 }, { ...(await stack.as('dept-persons', '核对法定代表人状态')), 'x-request-id': 'req-samples-3' });
        const counts = one.data.consistencyReport.rules.map((r: any) => r.samples.length);
        expect(Math.max(...counts)).toBe(1);
        const second = rule('legal-representative-unknown-or-deceased').samples[1].detail.match(/legal representative (\S+) /)[1];
        const none = await stack.query(FIRST, { first: 0 }, { ...(await stack.as('dept-persons', '核对法定代表人状态')), 'x-request-id': 'req-samples-4' });
        expect(none.data.consistencyReport.rules.every((r: any) => r.samples.length === 0)).toBe(true);
        const requests = async (id: string) => (await stack.query(LOG, { id }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node.requestId);
        expect(await requests(named)).toEqual(expect.arrayContaining(['req-samples-3']));
        expect(await requests(second)).not.toContain('req-samples-3');
        expect(await requests(named)).not.toContain('req-samples-4');
        expect(codes(await stack.query(FIRST, { first: -1 }, await stack.as('auditor', '投诉核查')))).toEqual(['BAD_USER_INPUT']);
      });

      it('is for auditors and departments, not for every consumer', async () => {
        const answer = await stack.query(RUN, {}, await stack.as('market-portal'));
        expect(codes(answer)).toEqual(['FORBIDDEN']);
      });

      it('keeps no read receipts for the records a run read: it is told of no change, and they would crowd out every consumer\'s', async () => {
        const db = await openGatewayStore(stack.config);
        try {
          // The run read every register (its audit records say so); receipts are written within 500 ms of a read.
          await new Promise((r) => setTimeout(r, 600));
          expect(Number((await db('audit_trail').where('consumer_id', 'data-quality').count({ n: '*' }).first())?.n)).toBeGreaterThan(0);
          expect(Number((await db('entity_reads').where('consumer_id', 'data-quality').count({ n: '*' }).first())?.n)).toBe(0);
        } finally {
          await db.destroy();
        }
      });

      it('reads the persons register only as the data-quality system, which holds the grant', async () => {
        const scan = `{ allNaturalPersons(first: 2) { edges { node { idNumber } } } }`;
        const refused = await stack.query(scan, {}, await stack.as('drc-approval', 'test'));
        expect(codes(refused)).toEqual(['FORBIDDEN']);
        const allowed = await stack.query(scan, {}, await stack.as('data-quality', 'test'));
        expect(allowed.errors).toBeUndefined();
        expect(allowed.data.allNaturalPersons.edges).toHaveLength(2);
      });

      it('records the persons a page names by its cursors alone: a cursor is an idNumber, encoded', async () => {
        const scan = `query($after: String) { allNaturalPersons(first: 3, after: $after) { edges { cursor } pageInfo { endCursor } } }`;
        const first = await stack.query(scan, {}, await stack.as('data-quality', 'test'));
        const page = await stack.query(scan, { after: first.data.allNaturalPersons.pageInfo.endCursor }, { ...(await stack.as('data-quality', '共享校核')), 'x-request-id': 'req-cursors' });
        const named = page.data.allNaturalPersons.edges.map((e: any) => Buffer.from(e.cursor, 'base64url').toString());
        expect(named).toHaveLength(3);
        for (const idNumber of named) {
          const log = (await stack.query(LOG, { id: idNumber }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
          expect(log).toContainEqual({ consumer: 'data-quality', purpose: '共享校核', requestId: 'req-cursors', fields: ['NaturalPerson.idNumber'] });
        }
        // A page asked for nothing that names anyone still read them: one edge after a cursor, or a
        // next page, tells that an idNumber is registered.
        for (const [requestId, selection] of [['req-page-typename', 'edges { __typename }'], ['req-page-info', 'pageInfo { hasNextPage }']]) {
          const bare = await stack.query(`query($after: String) { allNaturalPersons(first: 3, after: $after) { ${selection} } }`,
            { after: first.data.allNaturalPersons.pageInfo.endCursor }, { ...(await stack.as('data-quality', '共享校核')), 'x-request-id': requestId });
          expect(bare.errors).toBeUndefined();
          expect(Object.keys(bare.data.allNaturalPersons)).toEqual([selection.split(' ')[0]]);
          for (const idNumber of named) {
            const log = (await stack.query(LOG, { id: idNumber }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
            expect(log).toContainEqual({ consumer: 'data-quality', purpose: '共享校核', requestId, fields: ['allNaturalPersons'] });
          }
        }
      });

      it('does not run while the data-quality consumer is suspended: its reads skip the token, not the suspension', async () => {
        const db = await openGatewayStore(stack.config);
        try {
          await createConsumerRegistry(db).setStatus('data-quality', 'SUSPENDED');
          const started = await stack.query(RUN, {}, await stack.as('auditor', '投诉核查'));
          expect(started.errors).toBeUndefined();
          let run: any;
          const deadline = Date.now() + 30_000;
          do {
            await new Promise((r) => setTimeout(r, 200));
            run = (await stack.query(REPORT, { id: started.data.runConsistencyChecks.id }, await stack.as('auditor', '投诉核查'))).data.consistencyReport;
          } while (run.status === 'RUNNING' && Date.now() < deadline);
          expect(run).toMatchObject({ status: 'FAILED', error: 'the data-quality consumer is suspended (npm run consumers -- activate data-quality)' });
        } finally {
          await createConsumerRegistry(db).setStatus('data-quality', 'ACTIVE');
          await db.destroy();
        }
      });
    });

    describe('records a department names and their owner does not hold', () => {
      const COMPANY = `query($u: ID!) { legalPerson(uscc: $u) { name legalRepresentative { idNumber name birthDate } } }`;
      const companyWith = (kind: string) => {
        const j = Array.from({ length: PLAN.legalPersons }, (_, n) => n).find((n) => companyDefect(PLAN, n)?.kind === kind)!;
        return legalPersonFacts(PLAN, j).uscc;
      };

      it('says so in the dataQuality extension instead of answering bare nulls, and records only what was delivered', async () => {
        const answer = await stack.query(COMPANY, { u: companyWith('representativeUnknown') }, { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-not-held' });
        expect(answer.errors).toBeUndefined();
        const { idNumber, name, birthDate } = answer.data.legalPerson.legalRepresentative;
        expect({ name, birthDate }).toEqual({ name: null, birthDate: null });
        expect(answer.extensions?.dataQuality).toEqual([{
          entity: 'NaturalPerson', key: idNumber, department: 'persons', problem: 'NOT_IN_REGISTER',
          message: `The persons department (Public Security 公安) holds no NaturalPerson ${idNumber}, though another department's record names it: its fields here are null. A data-quality defect: raise an objection.`,
        }]);
        // The idNumber the company's record names was read; the name and birth date nobody holds were not.
        const log = (await stack.query(LOG, { id: idNumber }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log.find((r: any) => r.requestId === 'req-not-held').fields).toEqual(['NaturalPerson.idNumber']);
      });

      it('says nothing where the record is held, or where nothing of it was asked of its owner', async () => {
        const held = await stack.query(COMPANY, { u: companyWith('representativeDeceased') }, await stack.as('drc-approval', '并联审批'));
        expect(held.data.legalPerson.legalRepresentative.name).toEqual(expect.any(String));
        expect(held.extensions?.dataQuality).toBeUndefined();
        const keyOnly = await stack.query(`query($u: ID!) { legalPerson(uscc: $u) { legalRepresentative { idNumber } } }`, { u: companyWith('representativeUnknown') }, await stack.as('drc-approval'));
        expect(keyOnly.extensions?.dataQuality).toBeUndefined();
      });

      it('does not hand out the idNumber of a person not held when the answer does not carry it', async () => {
        const answer = await stack.query(`query($u: ID!) { legalPerson(uscc: $u) { name legalRepresentative { name } } }`, { u: companyWith('representativeUnknown') }, await stack.as('market-portal'));
        expect(answer.data.legalPerson.legalRepresentative).toEqual({ name: null });
        expect(answer.extensions?.dataQuality).toEqual([{
          entity: 'NaturalPerson', department: 'persons', problem: 'NOT_IN_REGISTER',
          message: "The persons department (Public Security 公安) holds no NaturalPerson, though another department's record names it: its fields here are null. A data-quality defect: raise an objection.",
        }]);
      });
    });

    describe('objections (数据异议) and change notices', () => {
      // A representative of an ordinary active company, read by drc-approval during a review.
      const company = legalPersonFacts(PLAN, Array.from({ length: PLAN.legalPersons }, (_, j) => j).find((j) => !companyDefect(PLAN, j) && legalPersonFacts(PLAN, j).status === 'ACTIVE')!);
      const person = company.representativeIdNumber;
      let since: string;
      let objectionId: string;
      let originalName: string;

      beforeAll(async () => {
        since = new Date(Date.now() - 1_000).toISOString();
        const read = await stack.query(COMPANY, { uscc: company.uscc });
        originalName = read.data.legalPerson.legalRepresentative.name;
        expect(read.extensions?.dataQuality).toBeUndefined();
      });

      it('refuses an objection that names no real item, saying why', async () => {
        const asDrc = await stack.as('drc-approval');
        const badKey = await stack.query(RAISE, { entity: 'NaturalPerson', key: '110105194912310021', field: 'name', believed: 'x', evidence: 'the applicant showed an ID card' }, asDrc);
        expect(codes(badKey)).toEqual(['BAD_USER_INPUT']);
        expect(badKey.errors![0].message).toMatch(/key/);
        const badField = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field: 'shoeSize', believed: '42', evidence: 'the applicant showed an ID card' }, asDrc);
        expect(codes(badField)).toEqual(['BAD_USER_INPUT']);
        expect(badField.errors![0].message).toMatch(/NaturalPerson has no shared field "shoeSize"/);
        // The key names the record and no correction changes it: such an objection could only be closed unchecked.
        for (const [entity, key, field] of [['NaturalPerson', person, 'idNumber'], ['LegalPerson', company.uscc, 'uscc']]) {
          const onKey = await stack.query(RAISE, { entity, key, field, believed: key, evidence: 'the applicant showed an ID card' }, asDrc);
          expect(codes(onKey)).toEqual(['BAD_USER_INPUT']);
          expect(onKey.errors![0].message).toBe(`${field} is the ${entity}'s key, which names the record and is never corrected: object to the fields that are wrong`);
        }
        // Nor a value that follows from the key: a project's kind is its code's.
        const project = projectFacts(PLAN, 0).projectCode;
        const onKind = await stack.query(RAISE, { entity: 'InvestmentProject', key: project, field: 'kind', believed: 'FILING', evidence: '备案证明' }, asDrc);
        expect(codes(onKind)).toEqual(['BAD_USER_INPUT']);
        expect(onKind.errors![0].message).toBe('InvestmentProject.kind is never corrected by its owner (projects): it follows from the record\'s key, projectCode. Object to the fields that are wrong');
        // Nor a link another department adds, which follows from its own records: the company names its
        // representative, the project its applicant; an objection to the link could only be closed unchecked.
        for (const [entity, key, field, owner] of [['NaturalPerson', person, 'legalRepresentativeOf', 'legal-persons'], ['LegalPerson', company.uscc, 'investmentProjects', 'projects']]) {
          const onLink = await stack.query(RAISE, { entity, key, field, believed: '无', evidence: '营业执照' }, asDrc);
          expect(codes(onLink)).toEqual(['BAD_USER_INPUT']);
          expect(onLink.errors![0].message).toBe(`${entity}.${field} follows from the ${owner} department's records that name this ${entity}, and no correction changes it: object to the field of the record it follows from`);
        }
        // A person-valued item is disputed by the idNumber of the person believed.
        const freeText = await stack.query(RAISE, { entity: 'LegalPerson', key: company.uscc, field: 'legalRepresentative', believed: `法定代表人应为${person}`, evidence: '营业执照' }, asDrc);
        expect(codes(freeText)).toEqual(['BAD_USER_INPUT']);
        expect(freeText.errors![0].message).toMatch(/^believedValue names the person believed to be the legalRepresentative by idNumber: /);
        const queue = await stack.query(`query($key: ID) { objections(key: $key) { field } }`, { key: person }, await stack.as('dept-persons'));
        expect(queue.data.objections).toEqual([]);
        expect((await stack.query(`query($key: ID) { objections(key: $key) { field } }`, { key: company.uscc }, await stack.as('auditor', '异议处理监督'))).data.objections).toEqual([]);
      });

      it('is refused when its record does not exist at the owning department, and nothing is stored', async () => {
        // Valid keys, past the end of each register: numbers nobody holds.
        const nobody = [
          { entity: 'NaturalPerson', key: personFacts(PLAN, PLAN.persons + 500).idNumber, field: 'name', words: 'natural person' },
          { entity: 'LegalPerson', key: legalPersonFacts(PLAN, PLAN.legalPersons + 500).uscc, field: 'name', words: 'legal person' },
          { entity: 'LandParcel', key: parcelFacts(PLAN, PLAN.parcels + 500).parcelCode, field: 'landUse', words: 'land parcel' },
        ];
        for (const { entity, key, field, words } of nobody) {
          const refused = await stack.query(RAISE, { entity, key, field, believed: '某某', evidence: '申请人提交的证明材料' }, await stack.as('drc-approval', '并联审批'));
          expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
          expect(refused.errors![0].message).toBe(`there is no ${words} ${key}`);
          const onFile = await stack.query(`query($key: ID) { objections(key: $key) { id } }`, { key }, await stack.as('auditor', '投诉核查'));
          expect(onFile.data.objections).toEqual([]);
        }
        // Nobody's data was read, so nothing was recorded about the number asked.
        const log = await stack.query(LOG, { id: nobody[0].key }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges).toEqual([]);
      });

      it('records of its check of the record nothing beyond the objection its raiser reads back', async () => {
        const someone = [11, 12].map((i) => personFacts(PLAN, i).idNumber).find((id) => id !== person)!;
        const raised = await stack.query(
          RAISE, { entity: 'NaturalPerson', key: someone, field: 'birthDate', believed: '1980-01-01', evidence: '出生医学证明' },
          { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-raise-existing' },
        );
        expect(raised.errors).toBeUndefined();
        expect(raised.data.raiseObjection).toMatchObject({ status: 'RAISED', owner: 'persons', raisedBy: 'drc-approval' });
        // The consistency checks read every person earlier in this suite: only this request's records matter here.
        const log = (await stack.query(LOG, { id: someone }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log.filter((r: any) => r.requestId === 'req-raise-existing')).toEqual([{ consumer: 'drc-approval', purpose: '并联审批', requestId: 'req-raise-existing', fields: ['Objection.id', 'Objection.open', 'Objection.owner', 'Objection.raisedBy', 'Objection.status'] }]);
      });

      it('is refused as SUBGRAPH_UNAVAILABLE, not accepted unchecked, while the owning department cannot answer', async () => {
        const parcel = parcelFacts(PLAN, 3).parcelCode;
        const objection = { entity: 'LandParcel', key: parcel, field: 'landUse', believed: '工业用地', evidence: '不动产权证书记载为工业用地' };
        const queue = async () => (await stack.query(`query($key: ID) { objections(key: $key) { id owner } }`, { key: parcel }, await stack.as('dept-geo'))).data.objections;
        try {
          for (const mode of ['hang', 'status-500', 'html', 'internal-error'] as Mode[]) {
            geo.set(mode);
            const refused = await stack.query(RAISE, objection, await stack.as('drc-approval', '并联审批'));
            expect([mode, codes(refused)]).toEqual([mode, ['SUBGRAPH_UNAVAILABLE']]);
            expect(refused.errors![0].extensions?.department).toBe('geo');
            expect(refused.errors![0].message).toBe(
              `The geo subgraph (Natural Resources 自然资源) did not answer whether it holds the land parcel ${parcel}: an objection that cannot be checked is not raised. Try again shortly`,
            );
            expect(await queue()).toEqual([]);
          }
        } finally {
          geo.set('forward');
        }
        // Once geo answers again, the same objection is raised and reaches it.
        const raised = await stack.query(RAISE, objection, await stack.as('drc-approval', '并联审批'));
        expect(raised.errors).toBeUndefined();
        expect(await queue()).toEqual([{ id: raised.data.raiseObjection.id, owner: 'geo' }]);
      }, 60_000);

      it('is flagged only where the answer carries its item: not where its department failed to deliver it', async () => {
        // The objection on this parcel's landUse raised just above.
        const parcel = parcelFacts(PLAN, 3).parcelCode;
        const project = Array.from({ length: PLAN.projects }, (_, m) => projectFacts(PLAN, m)).find((p) => p.parcelCodes.includes(parcel))!;
        const PARCELS = `query($code: ID!) { investmentProject(projectCode: $code) { parcels { parcelCode landUse } } }`;
        const headers = await stack.as('drc-approval', '并联审批');
        const carried = await stack.query(PARCELS, { code: project.projectCode }, headers);
        expect(carried.extensions?.dataQuality).toEqual([expect.objectContaining({ entity: 'LandParcel', key: parcel, field: 'landUse' })]);
        geo.set('status-500');
        try {
          const failed = await stack.query(PARCELS, { code: project.projectCode }, headers);
          expect(codes(failed)).toContain('SUBGRAPH_UNAVAILABLE');
          expect(failed.extensions?.dataQuality).toBeUndefined();
        } finally {
          geo.set('forward');
        }
      });

      it('is raised only on a value the consumer may read', async () => {
        const refused = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field: 'mobilePhone', believed: '13800000000', evidence: '申请人现场提供的联系电话' }, await stack.as('market-portal'));
        expect(codes(refused)).toEqual(['FORBIDDEN']);
        expect(refused.errors![0].message).toMatch(/NaturalPerson\.mobilePhone is conditionally shared: consumer market-portal holds no grant for persons\.contact-details/);
        expect(refused.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', missing: 'GRANT', resource: 'persons.contact-details' });
        const queue = await stack.query(`query($key: ID) { objections(key: $key) { field } }`, { key: person }, await stack.as('dept-persons'));
        expect(queue.data.objections).toEqual([]);
      });

      it('is raised by a consumer and flags the item in every answer while open', async () => {
        const raised = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field: 'name', believed: `${originalName}（曾用名）`, evidence: '申请人出示的户口簿姓名与库中不一致' }, await stack.as('drc-approval'));
        expect(raised.errors).toBeUndefined();
        expect(raised.data.raiseObjection).toMatchObject({ status: 'RAISED', open: true, owner: 'persons', raisedBy: 'drc-approval' });
        objectionId = raised.data.raiseObjection.id;
        // The same consumer raising it again while it is open adds nothing but noise to the owner's queue.
        const again = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field: 'name', believed: `${originalName}（曾用名）`, evidence: '户口簿' }, await stack.as('drc-approval'));
        expect(codes(again)).toEqual(['BAD_USER_INPUT']);
        expect(again.errors![0].message).toBe(`drc-approval already has objection ${objectionId} open on this NaturalPerson's name (RAISED)`);

        // Flagged wherever the person appears, for any consumer, without blocking the answer.
        for (const [query, variables, consumer] of [[PERSON, { id: person }, 'market-portal'], [COMPANY, { uscc: company.uscc }, 'drc-approval']] as const) {
          const answer = await stack.query(query, variables, await stack.as(consumer, 'test'));
          expect(answer.errors).toBeUndefined();
          expect(answer.extensions?.dataQuality).toEqual([expect.objectContaining({ entity: 'NaturalPerson', key: person, field: 'name', objection: objectionId, status: 'RAISED' })]);
        }
        // Not where the disputed item is not in the answer: the person read, their name not asked.
        const nameless = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { idNumber status } }`, { id: person }, await stack.as('market-portal'));
        expect(nameless.data.naturalPerson.status).toEqual(expect.any(String));
        expect(nameless.extensions?.dataQuality).toBeUndefined();
      });

      it("flags each record by the fields asked of it, tells the key only where it was asked, and records the flag as a read of the objection", async () => {
        const other = personFacts(PLAN, 7).idNumber === person ? personFacts(PLAN, 8).idNumber : personFacts(PLAN, 7).idNumber;
        const as = async (requestId: string) => ({ ...(await stack.as('market-portal', '开户核验')), 'x-request-id': requestId });
        // The disputed person's status and another person's name: no item of this answer is disputed.
        const pair = await stack.query(`query($p: ID!, $q: ID!) { x: naturalPerson(idNumber: $p) { status } y: naturalPerson(idNumber: $q) { name } }`, { p: person, q: other }, await as('req-flag-1'));
        expect(pair.errors).toBeUndefined();
        expect(pair.extensions?.dataQuality).toBeUndefined();
        // The disputed name, its idNumber not asked: flagged, without handing out the idNumber.
        const named = await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name } }`, { id: person }, await as('req-flag-2'));
        expect(named.extensions?.dataQuality).toEqual([{ entity: 'NaturalPerson', field: 'name', objection: objectionId, status: 'RAISED', raisedAt: expect.any(String) }]);
        const log = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log).toContainEqual({ consumer: 'market-portal', purpose: '开户核验', requestId: 'req-flag-1', fields: ['NaturalPerson.status'] });
        expect(log).toContainEqual({
          consumer: 'market-portal', purpose: '开户核验', requestId: 'req-flag-2',
          fields: ['NaturalPerson.name', 'Objection.field', 'Objection.id', 'Objection.raisedAt', 'Objection.status'],
        });
      });

      it('is raised by a citizen about their own record only, and shows them the objections about them, nobody else\'s (个人信息保护法 第四十六条)', async () => {
        const citizen = personFacts(PLAN, 11).idNumber;
        const neighbour = personFacts(PLAN, 12).idNumber;
        const asCitizen = await stack.asCitizen(citizen);
        const own = await stack.query(RAISE, { entity: 'NaturalPerson', key: citizen, field: 'name', believed: '林某某', evidence: '本人户口簿' }, asCitizen);
        expect(own.errors).toBeUndefined();
        expect(own.data.raiseObjection).toMatchObject({ status: 'RAISED', open: true, owner: 'persons', raisedBy: `citizen:${citizen}` });
        const id = own.data.raiseObjection.id;

        for (const [entity, key] of [['NaturalPerson', neighbour], ['LegalPerson', company.uscc]]) {
          const refused = await stack.query(RAISE, { entity, key, field: 'name', believed: '某某', evidence: '听说' }, asCitizen);
          expect(codes(refused)).toEqual(['FORBIDDEN']);
          expect(refused.errors![0].message).toBe('A citizen raises objections about their own record only: entity NaturalPerson, key their own idNumber');
        }
        // Followed like any raiser's: theirs, and whatever else is raised about them, nobody else's.
        const mine = await stack.query(`query { objections { id key field status raisedBy } }`, {}, asCitizen);
        expect(mine.data.objections).toContainEqual({ id, key: citizen, field: 'name', status: 'RAISED', raisedBy: `citizen:${citizen}` });
        expect(mine.data.objections.every((o: { key: string }) => o.key === citizen)).toBe(true);
        expect((await stack.query(OBJECTION, { id }, asCitizen)).data.objection).toMatchObject({ id, status: 'RAISED' });
        expect((await stack.query(OBJECTION, { id }, await stack.asCitizen(neighbour))).data.objection).toBeNull();
        const theirs = await stack.query(`query($key: ID) { objections(key: $key) { id } }`, { key: neighbour }, asCitizen);
        expect(codes(theirs)).toEqual(['FORBIDDEN']);
        // Their own department decides it as any other.
        expect((await stack.query(QUEUE, {}, await stack.as('dept-persons'))).data.objections).toContainEqual({ id, entity: 'NaturalPerson', key: citizen, field: 'name', status: 'RAISED' });
        // Their looking at their own objections is no read of them by anyone else.
        const log = (await stack.query(LOG, { id: citizen }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node.consumer);
        expect(log.filter((consumer: string) => consumer.startsWith('citizen'))).toEqual([]);
        // Other root fields stay closed to citizens.
        const person = await stack.query(PERSON, { id: citizen }, asCitizen);
        expect(codes(person)).toEqual(['FORBIDDEN']);
      });

      it('is found by its key as any answer writes it (a lower-case x, spaces), and a bad key is refused, not "none"', async () => {
        const asked = `query($key: ID) { objections(key: $key) { id key } }`;
        const loose = ` ${person.toLowerCase()} `;
        const found = await stack.query(asked, { key: loose }, await stack.as('dept-persons'));
        expect(found.errors).toBeUndefined();
        expect(found.data.objections).toEqual(expect.arrayContaining([{ id: objectionId, key: person }]));
        const bad = await stack.query(asked, { key: 'bad' }, await stack.as('dept-persons'));
        expect(codes(bad)).toEqual(['BAD_USER_INPUT']);
        expect(bad.errors![0].message).toMatch(/key must be an idNumber, uscc, projectCode or parcelCode/);
      });

      it('is personal data: whoever reads an objection on a person is recorded, with the fields they asked', async () => {
        await stack.query(OBJECTION, { id: objectionId }, { ...(await stack.as('dept-persons', '处理数据异议')), 'x-request-id': 'req-objection-1' });
        await stack.query(`query ObjectionQueue { objections(entity: "NaturalPerson") { key believedValue evidence } }`, {}, { ...(await stack.as('auditor', '异议处理监督')), 'x-request-id': 'req-objection-2' });
        const records = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(records).toContainEqual({ consumer: 'dept-persons', purpose: '处理数据异议', requestId: 'req-objection-1', fields: ['Objection.history', 'Objection.id', 'Objection.status'] });
        expect(records).toContainEqual({ consumer: 'auditor', purpose: '异议处理监督', requestId: 'req-objection-2', fields: ['Objection.believedValue', 'Objection.evidence', 'Objection.key'] });
        // The person sees it too.
        const own = await stack.query(LOG, { id: person }, await stack.asCitizen(person));
        expect(own.data.accessLog.edges.map((e: any) => e.node.requestId)).toEqual(expect.arrayContaining(['req-objection-1', 'req-objection-2']));
        // Under the client's operation name, not the name of the query plan's step.
        const named = await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId operationName } } } }`, { id: person }, await stack.asCitizen(person));
        expect(named.data.accessLog.edges.map((e: any) => e.node)).toContainEqual({ requestId: 'req-objection-2', operationName: 'ObjectionQueue' });
      });

      it('records a read of objections that asks none of their fields: the answer still says they are there', async () => {
        const bare = await stack.query(`query($key: ID) { objections(key: $key) { __typename } }`, { key: person }, { ...(await stack.as('auditor', '异议处理监督')), 'x-request-id': 'req-objection-bare' });
        expect(bare.data.objections).toEqual([{ __typename: 'Objection' }]);
        const records = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(records).toContainEqual({ consumer: 'auditor', purpose: '异议处理监督', requestId: 'req-objection-bare', fields: ['objections'] });
      });

      it('reaches the owning department, who alone decides', async () => {
        const queue = await stack.query(QUEUE, {}, await stack.as('dept-persons'));
        expect(queue.data.objections).toEqual(expect.arrayContaining([{ id: objectionId, entity: 'NaturalPerson', key: person, field: 'name', status: 'RAISED' }]));
        expect((await stack.query(QUEUE, {}, await stack.as('dept-credit'))).data.objections).toEqual([]);
        const notOwner = await stack.query(STEP('acceptObjection'), { id: objectionId, note: '核实中' }, await stack.as('dept-legal-persons'));
        // Another department does not see it, so to it there is no such objection (nor an owner to name).
        expect(codes(notOwner)).toEqual(['BAD_USER_INPUT']);
        expect(notOwner.errors![0].message).toBe(`there is no objection ${objectionId}`);
        const raiser = await stack.query(STEP('acceptObjection'), { id: objectionId, note: '核实中' }, await stack.as('drc-approval'));
        expect(codes(raiser)).toEqual(['FORBIDDEN']);
        const early = await stack.query(CLOSE, { id: objectionId, note: '已更正' }, await stack.as('dept-persons'));
        expect(codes(early)).toEqual(['BAD_USER_INPUT']);
        expect(early.errors![0].message).toMatch(/RAISED/);
        const tooEarly = await stack.query(
          `mutation($id: ID!, $objection: ID) { correctNaturalPerson(idNumber: $id, correction: { name: "某某" }, reason: "更正", objectionId: $objection) { idNumber } }`,
          { id: person, objection: objectionId }, await stack.as('dept-persons', '数据异议处理'),
        );
        expect(tooEarly.errors![0].message).toMatch(new RegExp(`objection ${objectionId} is RAISED: a correction answers an objection its owner accepted`));
        const accepted = await stack.query(STEP('acceptObjection'), { id: objectionId, note: '受理，核查户籍档案' }, { ...(await stack.as('dept-persons', '处理数据异议')), 'x-request-id': 'req-accept-1' });
        expect(accepted.data.acceptObjection).toEqual({ id: objectionId, status: 'ACCEPTED', open: true });
        // The step's answer is a read of the objection like any other.
        const log = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log).toContainEqual({ consumer: 'dept-persons', purpose: '处理数据异议', requestId: 'req-accept-1', fields: ['Objection.id', 'Objection.open', 'Objection.status'] });
        const stillFlagged = await stack.query(PERSON, { id: person });
        expect(stillFlagged.extensions?.dataQuality).toEqual([expect.objectContaining({ objection: objectionId, status: 'ACCEPTED' })]);
      });

      it('is answered only by a correction of its own record, once accepted', async () => {
        const CORRECT = `mutation($id: ID!, $objection: ID) { correctNaturalPerson(idNumber: $id, correction: { name: "某某" }, reason: "更正", objectionId: $objection) { idNumber } }`;
        const asOwner = await stack.as('dept-persons', '数据异议处理');
        const other = personFacts(PLAN, 7).idNumber === person ? personFacts(PLAN, 8).idNumber : personFacts(PLAN, 7).idNumber;
        const cases: [Record<string, unknown>, RegExp][] = [
          [{ id: person, objection: '999999' }, /objectionId "999999" names no data objection/],
          // Written otherwise, the department would log "01", and closing objection 1 would never find it.
          ...['0' + objectionId, `${objectionId}.0`, ` ${objectionId}`].map((o): [Record<string, unknown>, RegExp] => [
            { id: person, objection: o }, new RegExp(`objectionId "${o.replace('.', '\\.')}" names no data objection: write the objection's number as its id gives it`),
          ]),
          [{ id: other, objection: objectionId }, new RegExp(`objection ${objectionId} is not about this NaturalPerson`)],
        ];
        for (const [variables, reason] of cases) {
          const refused = await stack.query(CORRECT, variables, asOwner);
          expect(codes(refused)).toEqual(['BAD_USER_INPUT']);
          expect(refused.errors![0].message).toMatch(reason);
        }
        // Nor by another department's change of the same person: its log would say it answered a name objection.
        const byCredit = await stack.query(
          `mutation($id: ID!, $objection: ID) { withdrawNaturalPersonCreditEntry(idNumber: $id, kind: BLACKLIST, documentNumber: "(2026)闽01执1号", reason: "信用修复", objectionId: $objection) { idNumber } }`,
          { id: person, objection: objectionId }, await stack.as('dept-credit', '信用修复'),
        );
        expect(codes(byCredit)).toEqual(['BAD_USER_INPUT']);
        expect(byCredit.errors![0].message).toBe(`objection ${objectionId} disputes NaturalPerson.name, which the persons department decides: this withdrawNaturalPersonCreditEntry does not change it`);
        // Nor by the owner's correction of another item: the log would say a phone change answered a name objection.
        const otherItem = await stack.query(
          `mutation($id: ID!, $objection: ID) { correctNaturalPerson(idNumber: $id, correction: { mobilePhone: "13900000000" }, reason: "更正", objectionId: $objection) { idNumber } }`,
          { id: person, objection: objectionId }, asOwner,
        );
        expect(codes(otherItem)).toEqual(['BAD_USER_INPUT']);
        expect(otherItem.errors![0].message).toBe(`objection ${objectionId} disputes NaturalPerson.name, which the persons department decides: this correctNaturalPerson does not change it`);
        // Nothing was changed: the other person's name is as it was.
        const untouched = await stack.query(PERSON, { id: other });
        expect(untouched.data.naturalPerson.name).not.toBe('某某');
        // Nor can the objection be closed: no correction names it in the persons change log.
        const uncorrected = await stack.query(CLOSE, { id: objectionId, note: '已更正' }, await stack.as('dept-persons'));
        expect(codes(uncorrected)).toEqual(['BAD_USER_INPUT']);
        expect(uncorrected.errors![0].message).toBe(
          `objection ${objectionId} disputes the natural person ${person}'s name, and is closed once that is corrected naming it: `
            + `correctNaturalPerson(idNumber: "${person}", …, objectionId: "${objectionId}") correcting name logs that; if the record was right after all, reject the objection with the reason`,
        );
        const still = await stack.query(OBJECTION, { id: objectionId }, await stack.as('dept-persons'));
        expect(still.data.objection.status).toBe('ACCEPTED');
      });

      it('is corrected by the owner in its own store and closed: the flag goes, the history stays', async () => {
        // The correction in a variable left to its default: the gateway judges what the operation runs with.
        const corrected = await stack.query(
          `mutation($id: ID!, $correction: NaturalPersonCorrection = { name: ${JSON.stringify(`${originalName}（曾用名）`)} }, $objection: ID) {
            correctNaturalPerson(idNumber: $id, correction: $correction, reason: "依户籍档案更正姓名", objectionId: $objection) { idNumber name } }`,
          { id: person, objection: objectionId },
          await stack.as('dept-persons', '数据异议处理'),
        );
        expect(corrected.errors).toBeUndefined();
        const closed = await stack.query(CLOSE, { id: objectionId, note: '已依户籍档案更正姓名' }, await stack.as('dept-persons'));
        expect(closed.data.closeObjection).toEqual({ id: objectionId, status: 'CLOSED', open: false });

        const after = await stack.query(PERSON, { id: person });
        expect(after.data.naturalPerson.name).toBe(`${originalName}（曾用名）`);
        expect(after.extensions?.dataQuality).toBeUndefined();
        const history = (await stack.query(OBJECTION, { id: objectionId }, await stack.as('drc-approval'))).data.objection.history;
        expect(history.map((h: any) => [h.action, h.actor])).toEqual([['RAISED', 'drc-approval'], ['ACCEPTED', 'dept-persons'], ['CLOSED', 'dept-persons']]);
        expect(history[2].note).toBe('已依户籍档案更正姓名');
      });

      it('is rejected once accepted when the owner finds its record right, and cannot be closed without a correction', async () => {
        const raised = await stack.query(RAISE, { entity: 'LegalPerson', key: company.uscc, field: 'name', believed: "某某科技有限公司", evidence: '营业执照副本' }, await stack.as('drc-approval', '并联审批'));
        expect(raised.errors).toBeUndefined();
        const id = raised.data.raiseObjection.id;
        const owner = await stack.as('dept-legal-persons', '处理数据异议');
        expect((await stack.query(STEP('acceptObjection'), { id, note: '受理，核查登记档案' }, owner)).data.acceptObjection.status).toBe('ACCEPTED');
        const unfounded = await stack.query(CLOSE, { id, note: '已核实' }, owner);
        expect(codes(unfounded)).toEqual(['BAD_USER_INPUT']);
        expect(unfounded.errors![0].message).toMatch(new RegExp(`correctLegalPerson\\(uscc: "${company.uscc}", …, objectionId: "${id}"\\) correcting name`));
        const rejected = await stack.query(STEP('rejectObjection'), { id, note: '经核查登记档案，名称无误' }, owner);
        expect(rejected.data.rejectObjection).toEqual({ id, status: 'REJECTED', open: false });
        const read = await stack.query(COMPANY, { uscc: company.uscc });
        expect(read.extensions?.dataQuality).toBeUndefined();
      });

      it("tells the raiser the owner's notes only while it may read the disputed item in full, with a purpose", async () => {
        // drc-approval reads contact details in full, housing-permit masked.
        const owner = await stack.as('dept-persons', '处理数据异议');
        const raise = async (consumer: string, field: string) => {
          const raised = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field, believed: '以申请人现场提供的为准', evidence: '申请人现场提供的材料' }, await stack.as(consumer, '并联审批'));
          expect(raised.errors).toBeUndefined();
          const id = raised.data.raiseObjection.id;
          const note = field === 'mobilePhone' ? '受理：库中手机号码为13900000000' : '受理：库中户籍地址为福州市鼓楼区东街1号';
          expect((await stack.query(STEP('acceptObjection'), { id, note }, owner)).data.acceptObjection.status).toBe('ACCEPTED');
          return { id, note };
        };
        const notesOf = async (id: string, headers: Record<string, string>) => (await stack.query(OBJECTION, { id }, headers)).data.objection.history.map((h: any) => h.note);
        const evidence = '申请人现场提供的材料';

        const full = await raise('drc-approval', 'householdAddress');
        expect(await notesOf(full.id, await stack.as('drc-approval', '并联审批'))).toEqual([evidence, full.note]);
        // Without a purpose the address could not be read, nor the note that says it.
        expect(await notesOf(full.id, await stack.as('drc-approval'))).toEqual([evidence, NOTE_WITHHELD]);
        const masked = await raise('housing-permit', 'mobilePhone');
        expect(await notesOf(masked.id, await stack.as('housing-permit', '施工许可'))).toEqual([evidence, NOTE_WITHHELD]);
        // The owner and an auditor read every note.
        expect(await notesOf(masked.id, owner)).toEqual([evidence, masked.note]);
        expect(await notesOf(masked.id, await stack.as('auditor', '投诉核查'))).toEqual([evidence, masked.note]);
        // But of a conditionally shared item, for a stated purpose only, as every read of it: without
        // one, neither what is believed nor why, nor the owner's own note that says what it holds.
        const WORDS = `query($id: ID!) { objection(id: $id) { believedValue evidence history { note } } }`;
        for (const who of ['dept-persons', 'auditor']) {
          for (const query of [WORDS, `query { objections(entity: "NaturalPerson") { id believedValue evidence history { note } } }`]) {
            const answer = await stack.query(query, { id: full.id }, await stack.as(who));
            expect(answer.errors).toBeUndefined();
            const objection = answer.data.objection ?? answer.data.objections.find((o: any) => o.id === full.id);
            expect(objection).toMatchObject({ believedValue: VALUE_WITHHELD, evidence: VALUE_WITHHELD, history: [{ note: VALUE_WITHHELD }, { note: VALUE_WITHHELD }] });
          }
          expect((await stack.query(WORDS, { id: full.id }, await stack.as(who, '投诉核查'))).data.objection).toEqual({
            believedValue: '以申请人现场提供的为准', evidence, history: [{ note: evidence }, { note: full.note }],
          });
        }
        // The raiser is told its own words whatever it may read.
        expect((await stack.query(WORDS, { id: full.id }, await stack.as('drc-approval'))).data.objection).toEqual({
          believedValue: '以申请人现场提供的为准', evidence, history: [{ note: evidence }, { note: NOTE_WITHHELD }],
        });
        for (const { id } of [full, masked]) {
          expect((await stack.query(STEP('rejectObjection'), { id, note: '经核查，库中记录无误' }, owner)).data.rejectObjection.status).toBe('REJECTED');
        }
      });

      it("tells the words of an objection to a person's credit as its entries would be told: they may name one", async () => {
        const evidence = '已履行生效法律文书，申请信用修复';
        const raised = await stack.query(RAISE, { entity: 'NaturalPerson', key: person, field: 'credit', believed: '不应列为失信', evidence }, await stack.as('market-portal', '企业开办'));
        expect(raised.errors).toBeUndefined();
        const id = raised.data.raiseObjection.id;
        const note = '经核，该人有行政处罚 某罚〔2026〕77号（违规），将复核';
        expect((await stack.query(STEP('acceptObjection'), { id, note }, await stack.as('dept-credit', '异议处理'))).data.acceptObjection.status).toBe('ACCEPTED');
        const WORDS = `query($id: ID!) { objection(id: $id) { believedValue evidence history { note } } }`;
        const words = async (headers: Record<string, string>) => (await stack.query(WORDS, { id }, headers)).data.objection;
        // market-portal holds no grant for credit.records: its own words, not the owner's note about an entry.
        expect(await words(await stack.as('market-portal', '企业开办'))).toEqual({ believedValue: '不应列为失信', evidence, history: [{ note: evidence }, { note: NOTE_WITHHELD }] });
        // An auditor, for a stated purpose only, as every read of the entries.
        expect(await words(await stack.as('auditor'))).toEqual({ believedValue: VALUE_WITHHELD, evidence: VALUE_WITHHELD, history: [{ note: VALUE_WITHHELD }, { note: VALUE_WITHHELD }] });
        expect(await words(await stack.as('auditor', '投诉核查'))).toEqual({ believedValue: '不应列为失信', evidence, history: [{ note: evidence }, { note }] });
        expect((await stack.query(STEP('rejectObjection'), { id, note: '经核查，记录无误' }, await stack.as('dept-credit', '异议处理'))).data.rejectObjection.status).toBe('REJECTED');
      });

      it('tells a consumer that read the record of its change, and nobody else', async () => {
        const revoked = await stack.query(
          `mutation($uscc: ID!) { correctLegalPerson(uscc: $uscc, correction: { status: REVOKED }, reason: "吊销营业执照") { uscc status } }`,
          { uscc: company.uscc },
          await stack.as('dept-legal-persons', '登记状态变更'),
        );
        expect(revoked.errors).toBeUndefined();

        const seen = await stack.query(CHANGES, { since }, { ...(await stack.as('drc-approval', '并联审批：跟进变更')), 'x-request-id': 'req-changes-1' });
        expect(seen.errors).toBeUndefined();
        // That the person's record changed, and why, is about the person: the read is recorded.
        const log = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(log).toContainEqual({
          consumer: 'drc-approval', purpose: '并联审批：跟进变更', requestId: 'req-changes-1',
          fields: ['ChangeNotice.entity', 'ChangeNotice.fields', 'ChangeNotice.key', 'ChangeNotice.lastReadAt', 'ChangeNotice.objection', 'ChangeNotice.reason'],
        });
        expect(seen.data.changesSince).toEqual([
          expect.objectContaining({ entity: 'NaturalPerson', key: person, fields: ['name'], reason: '依户籍档案更正姓名', objection: objectionId }),
          expect.objectContaining({ entity: 'LegalPerson', key: company.uscc, fields: ['status'], reason: '吊销营业执照', objection: null }),
        ]);
        // tax-service never read either record.
        const unseen = await stack.query(CHANGES, { since }, await stack.as('tax-service'));
        expect(unseen.data.changesSince).toEqual([]);
        // market-portal read the person (above) but not the company.
        const partly = await stack.query(CHANGES, { since }, await stack.as('market-portal'));
        expect(partly.data.changesSince.map((c: any) => c.key)).toEqual([person]);
      });

      it('tells a consumer only of the fields it may read, and the reason only if it may read every one of them in full', async () => {
        // housing-permit reads contact details masked; market-portal not at all; drc-approval in full. All three read the person.
        expect((await stack.query(PERSON, { id: person }, await stack.as('housing-permit', '施工许可'))).errors).toBeUndefined();
        expect((await stack.query(PERSON, { id: person }, await stack.as('dept-persons', '户籍核查'))).errors).toBeUndefined();
        await new Promise((r) => setTimeout(r, 5));
        const from = new Date().toISOString();
        const CORRECT = `mutation($id: ID!, $c: NaturalPersonCorrection!, $why: String!) { correctNaturalPerson(idNumber: $id, correction: $c, reason: $why) { idNumber } }`;
        const owner = await stack.as('dept-persons', '户籍登记');
        const phone = await stack.query(CORRECT, { id: person, c: { mobilePhone: '13912345678' }, why: '本人申请变更手机号码为13912345678' }, owner);
        expect(phone.errors).toBeUndefined();
        await new Promise((r) => setTimeout(r, 5));
        const moved = await stack.query(CORRECT, { id: person, c: { name: `${originalName}新`, householdAddress: '福建省福州市鼓楼区东街2号' }, why: '户籍迁入福州市鼓楼区东街2号，并更正姓名' }, owner);
        expect(moved.errors).toBeUndefined();

        const notices = async (consumer: string, purpose = '变更跟进') =>
          (await stack.query(`query($since: String!) { changesSince(since: $since) { key fields reason } }`, { since: from }, await stack.as(consumer, purpose)))
            .data.changesSince.map((n: { key: string; fields: string[]; reason: string }) => ({ ...n, fields: [...n.fields].sort() }));
        expect(await notices('drc-approval')).toEqual([
          { key: person, fields: ['mobilePhone'], reason: '本人申请变更手机号码为13912345678' },
          { key: person, fields: ['householdAddress', 'name'], reason: '户籍迁入福州市鼓楼区东街2号，并更正姓名' },
        ]);
        // Masked contact details: told that they changed, not the reason that spells them out.
        expect(await notices('housing-permit')).toEqual([
          { key: person, fields: ['mobilePhone'], reason: REASON_WITHHELD },
          { key: person, fields: ['householdAddress', 'name'], reason: REASON_WITHHELD },
        ]);
        // No contact details: nothing of the phone, and of the move only that the name changed.
        expect(await notices('market-portal')).toEqual([{ key: person, fields: ['name'], reason: REASON_WITHHELD }]);
        // Contact details are read only for a stated purpose: without one, drc-approval is told as if it held no grant.
        expect(await notices('drc-approval', '')).toEqual([{ key: person, fields: ['name'], reason: REASON_WITHHELD }]);
        // The owner's own operators read its contact details without a grant, but not without a purpose, as the guard rules.
        expect(await notices('dept-persons')).toEqual(await notices('drc-approval'));
        expect(await notices('dept-persons', '')).toEqual([{ key: person, fields: ['name'], reason: REASON_WITHHELD }]);

        // Told that contact details changed, under the grant for them, as a read of them is recorded;
        // told only of the name, under none.
        const told = async (consumer: string, purpose: string, requestId: string) =>
          stack.query(`query($since: String!) { changesSince(since: $since) { key fields } }`, { since: from }, { ...(await stack.as(consumer, purpose)), 'x-request-id': requestId });
        await told('drc-approval', '变更跟进', 'req-notice-grant');
        await told('market-portal', '变更跟进', 'req-notice-none');
        const log = (await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId grantsUsed { resource } } } } }`, { id: person }, await stack.as('auditor', '投诉核查')))
          .data.accessLog.edges.map((e: any) => e.node);
        expect(log.find((r: any) => r.requestId === 'req-notice-grant').grantsUsed).toEqual([{ resource: 'persons.contact-details' }]);
        expect(log.find((r: any) => r.requestId === 'req-notice-none').grantsUsed).toEqual([]);

        // An auditor holding the grant for contact details reads their former values under it.
        const auditor = await stack.as('auditor', '投诉核查');
        const applied = await stack.query(`mutation { applyForAccess(resource: "persons.contact-details", purpose: "投诉核查：核对联系方式变更") { id } }`, {}, auditor);
        const decided = await stack.query(`mutation($id: ID!) { decideAccessApplication(id: $id, approve: true, reason: "审计所需，同意") { status } }`, { id: applied.data.applyForAccess.id }, owner);
        expect(decided.data.decideAccessApplication.status).toBe('APPROVED');
        const history = await stack.query(`query($id: ID!) { recordChanges(entity: "NaturalPerson", key: $id) { previous { field } } }`, { id: person }, { ...auditor, 'x-request-id': 'req-history-grant' });
        expect(history.data.recordChanges[0].previous).toEqual(expect.arrayContaining([{ field: 'householdAddress' }]));
        const audited = (await stack.query(`query($id: ID!) { accessLog(idNumber: $id, first: 50) { edges { node { requestId grantsUsed { resource } } } } }`, { id: person }, auditor))
          .data.accessLog.edges.map((e: any) => e.node);
        expect(audited.find((r: any) => r.requestId === 'req-history-grant').grantsUsed).toEqual([{ resource: 'persons.contact-details' }]);
        const grants = await stack.query(`{ accessGrants { id consumer resource active } }`, {}, auditor);
        const grant = grants.data.accessGrants.find((g: any) => g.consumer === 'auditor' && g.resource === 'persons.contact-details' && g.active);
        expect((await stack.query(`mutation($id: ID!) { revokeAccessGrant(id: $id, reason: "核查完毕") { active } }`, { id: grant.id }, owner)).data.revokeAccessGrant.active).toBe(false);
      });

      it("records the person an objection to a company's legal representative names as the one believed, whoever reads it", async () => {
        const believed = personFacts(PLAN, 11).idNumber;
        const raised = await stack.query(
          `mutation($key: ID!, $believed: String!) { raiseObjection(entity: "LegalPerson", key: $key, field: "legalRepresentative", believedValue: $believed, evidence: "营业执照载明的法定代表人") { id believedValue } }`,
          { key: company.uscc, believed }, { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-believed-1' },
        );
        expect(raised.errors).toBeUndefined();
        await stack.query(`query { objections(entity: "LegalPerson") { key believedValue } }`, {}, { ...(await stack.as('dept-legal-persons', '处理数据异议')), 'x-request-id': 'req-believed-2' });
        // Asked without its believedValue, an objection on a company names no person.
        await stack.query(`query { objections(entity: "LegalPerson") { key field } }`, {}, { ...(await stack.as('dept-legal-persons', '处理数据异议')), 'x-request-id': 'req-believed-3' });
        const records = (await stack.query(LOG, { id: believed }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(records).toContainEqual({ consumer: 'drc-approval', purpose: '并联审批', requestId: 'req-believed-1', fields: ['Objection.believedValue', 'Objection.id'] });
        expect(records).toContainEqual({ consumer: 'dept-legal-persons', purpose: '处理数据异议', requestId: 'req-believed-2', fields: ['Objection.believedValue', 'Objection.key'] });
        expect(records.map((r: { requestId: string }) => r.requestId)).not.toContain('req-believed-3');

        // The owner's note names another person by idNumber (with a lower-case x as typed, or not): reading the history reads them.
        const named = personFacts(PLAN, 13).idNumber;
        const accepted = await stack.query(`mutation($id: ID!, $note: String!) { acceptObjection(id: $id, reason: $note) { id } }`,
          { id: raised.data.raiseObjection.id, note: `受理，现登记法定代表人为${named.toLowerCase()}，核查中` }, await stack.as('dept-legal-persons', '处理数据异议'));
        expect(accepted.errors).toBeUndefined();
        await stack.query(`query($id: ID!) { objection(id: $id) { history { note } } }`, { id: raised.data.raiseObjection.id }, { ...(await stack.as('auditor', '异议处理监督')), 'x-request-id': 'req-history-1' });
        await stack.query(`query($id: ID!) { objection(id: $id) { status } }`, { id: raised.data.raiseObjection.id }, { ...(await stack.as('auditor', '异议处理监督')), 'x-request-id': 'req-history-2' });
        const readOfNamed = (await stack.query(LOG, { id: named }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(readOfNamed).toContainEqual({ consumer: 'auditor', purpose: '异议处理监督', requestId: 'req-history-1', fields: ['Objection.history'] });
        expect(readOfNamed.map((r: { requestId: string }) => r.requestId)).not.toContain('req-history-2');
      });

      it("records the persons an owner's reason for a change names by idNumber, for whoever is told the reason", async () => {
        const j = Array.from({ length: PLAN.legalPersons }, (_, k) => k).find((k) => k > 40 && !companyDefect(PLAN, k) && legalPersonFacts(PLAN, k).status === 'ACTIVE')!;
        const changed = legalPersonFacts(PLAN, j);
        const former = changed.representativeIdNumber;
        const next = Array.from({ length: PLAN.persons }, (_, i) => personFacts(PLAN, i)).find((p, i) => i > 30 && !p.deceasedOn && !p.onBlacklist && !p.recordedWrong && p.idNumber !== former)!.idNumber;
        expect((await stack.query(COMPANY, { uscc: changed.uscc }, await stack.as('drc-approval', '并联审批'))).errors).toBeUndefined();
        const since = new Date().toISOString();
        const corrected = await stack.query(
          `mutation($uscc: ID!, $next: ID!, $why: String!) { correctLegalPerson(uscc: $uscc, correction: { legalRepresentativeIdNumber: $next }, reason: $why) { uscc } }`,
          { uscc: changed.uscc, next, why: `法定代表人由${former}变更为${next}` }, await stack.as('dept-legal-persons', '变更登记'),
        );
        expect(corrected.errors).toBeUndefined();
        const as = async (consumer: string, purpose: string, requestId: string) => ({ ...(await stack.as(consumer, purpose)), 'x-request-id': requestId });
        const told = await stack.query(`query($since: String!) { changesSince(since: $since) { key reason } }`, { since }, await as('drc-approval', '跟进变更', 'req-reason-1'));
        expect(told.data.changesSince).toContainEqual({ key: changed.uscc, reason: `法定代表人由${former}变更为${next}` });
        await stack.query(`query($since: String!) { changesSince(since: $since) { key fields } }`, { since }, await as('drc-approval', '跟进变更', 'req-reason-2'));
        const history = await stack.query(`query($key: ID!) { recordChanges(entity: "LegalPerson", key: $key) { reason } }`, { key: changed.uscc }, await as('auditor', '变更核查', 'req-reason-3'));
        expect(history.errors).toBeUndefined();
        for (const person of [former, next]) {
          const records = (await stack.query(LOG, { id: person }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
          // Recorded as reading the reason that names them, not the rest of a company's notice.
          expect(records).toContainEqual({ consumer: 'drc-approval', purpose: '跟进变更', requestId: 'req-reason-1', fields: ['ChangeNotice.reason'] });
          expect(records).toContainEqual({ consumer: 'auditor', purpose: '变更核查', requestId: 'req-reason-3', fields: ['RecordChange.reason'] });
          // Told without the reason, nobody is named.
          expect(records.map((r: { requestId: string }) => r.requestId)).not.toContain('req-reason-2');
        }
      });

      it("records no read of a stranger whose idNumber a raiser wrote into its evidence, and names the citizen who read another person", async () => {
        const citizen = personFacts(PLAN, 17).idNumber;
        const stranger = personFacts(PLAN, 18).idNumber;
        const named = personFacts(PLAN, 19).idNumber;
        const asCitizen = { ...(await stack.asCitizen(citizen)), 'x-request-id': 'req-evidence-1' };
        const raised = await stack.query(
          `mutation($key: ID!, $evidence: String!) { raiseObjection(entity: "NaturalPerson", key: $key, field: "householdAddress", believedValue: "福建省福州市鼓楼区温泉路38号", evidence: $evidence) { id history { note } } }`,
          { key: citizen, evidence: `户口本第2页；同户人${stranger}可证明` }, asCitizen,
        );
        expect(raised.errors).toBeUndefined();
        await stack.query(`{ objections { history { note } } }`, {}, { ...(await stack.asCitizen(citizen)), 'x-request-id': 'req-evidence-2' });
        await stack.query(`{ objections(status: RAISED) { history { note } } }`, {}, { ...(await stack.as('dept-persons', '异议受理')), 'x-request-id': 'req-evidence-3' });
        const strangerLog = (await stack.query(LOG, { id: stranger }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node.requestId);
        expect(strangerLog.filter((id: string) => id.startsWith('req-evidence'))).toEqual([]);

        // The owner's reason for a change of the citizen's record names another person: the citizen
        // reading it is recorded in that person's log as the citizen they are, not as "citizen".
        const corrected = await stack.query(
          `mutation($id: ID!, $why: String!) { correctNaturalPerson(idNumber: $id, correction: { householdAddress: "福建省福州市鼓楼区温泉路38号" }, reason: $why) { idNumber } }`,
          { id: citizen, why: `经同户人${named}核实，迁入温泉路38号` }, await stack.as('dept-persons', '户籍变更'),
        );
        expect(corrected.errors).toBeUndefined();
        // Asked more than the reason: only the reason is about the person it names.
        await stack.query(`query($key: ID!) { recordChanges(entity: "NaturalPerson", key: $key) { fields reason previous { field value } } }`, { key: citizen }, { ...(await stack.asCitizen(citizen)), 'x-request-id': 'req-citizen-reads' });
        const namedLog = (await stack.query(LOG, { id: named }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(namedLog).toContainEqual(expect.objectContaining({ consumer: `citizen:${citizen}`, requestId: 'req-citizen-reads', fields: ['RecordChange.reason'] }));
        // The person named, reading their own log, learns that a citizen read them, not which: the
        // idNumber would tell them the reader's birth date, sex and county.
        const ownLog = (await stack.query(LOG, { id: named }, await stack.asCitizen(named))).data.accessLog.edges.map((e: any) => e.node);
        expect(ownLog).toContainEqual(expect.objectContaining({ consumer: 'citizen', requestId: 'req-citizen-reads', fields: ['RecordChange.reason'] }));
        expect(JSON.stringify(ownLog)).not.toContain(citizen);
      });

      it('records a raise that asks nothing back: its answer still says the person is registered', async () => {
        const someone = personFacts(PLAN, 12).idNumber;
        const bare = await stack.query(
          `mutation($key: ID!) { raiseObjection(entity: "NaturalPerson", key: $key, field: "householdAddress", believedValue: "福建省福州市鼓楼区东街3号", evidence: "户口簿") { __typename } }`,
          { key: someone }, { ...(await stack.as('drc-approval', '并联审批')), 'x-request-id': 'req-raise-bare' },
        );
        expect(bare.errors).toBeUndefined();
        expect(bare.data.raiseObjection).toEqual({ __typename: 'Objection' });
        const records = (await stack.query(LOG, { id: someone }, await stack.as('auditor', '投诉核查'))).data.accessLog.edges.map((e: any) => e.node);
        expect(records).toContainEqual({ consumer: 'drc-approval', purpose: '并联审批', requestId: 'req-raise-bare', fields: ['Mutation.raiseObjection'] });
      });
    });
  });
}

defineDataQualitySuite('sqlite');
defineDataQualitySuite('mysql');
