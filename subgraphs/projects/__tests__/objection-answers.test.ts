import type { Knex } from 'knex';
import { organizationCodeCheckCharacter, usccCheckCharacter } from '../../../shared/identifiers';
import { projects } from '..';
import { departmentOperator, temporaryDepartmentStore } from '../../../tests/support/department-store';

const OPERATOR = departmentOperator(projects);
const PROJECT_CODE = '2019-350821-34-03-000011';
const FIRST17 = `91350100MA2XY012${organizationCodeCheckCharacter('MA2XY012')}`;
const PARCELS = ['350821001001GB00001F00010001', '350821001001GB00002F00010001'];
const SINCE = '2000-01-01T00:00:00Z';
/** The department's own mutations, called as the subgraph calls them (no gateway: the department's rule alone). */
const MUTATION = projects.resolvers.Mutation as Record<string, (parent: unknown, args: unknown, context: unknown) => Promise<unknown>>;

describe("a project's correction answering a data objection", () => {
  let store: Awaited<ReturnType<typeof temporaryDepartmentStore>>;
  let db: Knex;
  const correct = (correction: Record<string, unknown>, objectionId: string | null) =>
    MUTATION.correctInvestmentProject(undefined, { projectCode: PROJECT_CODE, correction, reason: '依备案材料更正', objectionId }, projects.createContext(db, OPERATOR));
  const log = async () => (await projects.createContext(db, OPERATOR).store.changesSince({ since: SINCE, afterId: null, first: 100, objectionId: null, key: null }))
    .map((c) => ({ fields: c.fields, objectionId: c.objectionId }));

  beforeAll(async () => {
    store = await temporaryDepartmentStore(projects);
    db = store.db;
    await db('investment_projects').insert({
      project_code: PROJECT_CODE, name: '厂房建设', total_investment: 1000, status: 'UNDER_REVIEW', kind: 'FILING', industry_code: '34',
      declared_on: '2019-09-01', applicant_uscc: `${FIRST17}${usccCheckCharacter(FIRST17)}`, division_code: '350821',
    });
    await db('project_parcels').insert(PARCELS.map((parcel_code) => ({ project_code: PROJECT_CODE, parcel_code })));
    await db('approval_steps').insert({ project_code: PROJECT_CODE, step: 1, department: '发展和改革委员会', item: '企业投资项目备案', status: 'IN_PROGRESS', decided_on: null });
  });
  afterAll(() => store.remove());

  it('is refused when it sets an item to the value the project has: the objection may dispute that item, and the log would name it beside the other change', async () => {
    // An objection to the name, "answered" with the name as it is and a new investment.
    await expect(correct({ name: '厂房建设', totalInvestment: 1200 }, '21')).rejects.toMatchObject({
      message: 'Invalid correction: name already has the value given, and a correction answering objection 21 sets only items it changes ' +
        '(the log names the objection beside what changed); leave name out, or correct it to another value',
      extensions: { code: 'BAD_USER_INPUT', argument: 'correction.name' },
    });
    // The parcels are the same list in another order: unchanged, as the log compares them.
    await expect(correct({ parcelCodes: [...PARCELS].reverse(), name: '厂房扩建' }, '21'))
      .rejects.toMatchObject({ message: expect.stringMatching(/^Invalid correction: parcelCodes already has the value given, /) });
    expect(await log()).toEqual([]);
  });

  it('is taken when every item it sets changes, and logged naming the objection', async () => {
    await correct({ name: '厂房扩建', parcelCodes: [PARCELS[0]] }, '21');
    expect(await log()).toEqual([{ fields: ['name', 'parcels'], objectionId: '21' }]);
  });
});
