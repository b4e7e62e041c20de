import type { Knex } from 'knex';
import { persons } from '..';
import { departmentOperator, temporaryDepartmentStore } from '../../../tests/support/department-store';

const OPERATOR = departmentOperator(persons);
const ID_NUMBER = '11010519491231002X';
const SINCE = '2000-01-01T00:00:00Z';
/** The department's own mutations, called as the subgraph calls them (no gateway: the department's rule alone). */
const MUTATION = persons.resolvers.Mutation as Record<string, (parent: unknown, args: unknown, context: unknown) => Promise<unknown>>;

describe("a person's correction answering a data objection", () => {
  let store: Awaited<ReturnType<typeof temporaryDepartmentStore>>;
  let db: Knex;
  const correct = (correction: Record<string, unknown>, objectionId: string | null) =>
    MUTATION.correctNaturalPerson(undefined, { idNumber: ID_NUMBER, correction, reason: '依户籍档案更正', objectionId }, persons.createContext(db, OPERATOR));
  const log = async () => (await persons.createContext(db, OPERATOR).store.changesSince({ since: SINCE, afterId: null, first: 100, objectionId: null, key: null }))
    .map((c) => ({ fields: c.fields, objectionId: c.objectionId }));

  beforeAll(async () => {
    store = await temporaryDepartmentStore(persons);
    db = store.db;
    await db('natural_persons').insert({
      id_number: ID_NUMBER, name: '林某某', gender: 'FEMALE', birth_date: '1949-12-31', status: 'ALIVE', deceased_on: null,
      household_division_code: '110105', household_address: '北京市朝阳区某街道1号', mobile_phone: null,
    });
  });
  afterAll(() => store.remove());

  it('is refused when it sets an item to the value the record has: the objection may dispute that item, and the log would name it beside the other change', async () => {
    // An objection to the name, "answered" with the name as it is and a new address: the gateway sees only that the name is set.
    await expect(correct({ name: '林某某', householdAddress: '北京市朝阳区某街道2号' }, '7')).rejects.toMatchObject({
      message: 'Invalid correction: name already has the value given, and a correction answering objection 7 sets only items it changes ' +
        '(the log names the objection beside what changed); leave name out, or correct it to another value',
      extensions: { code: 'BAD_USER_INPUT', argument: 'correction.name' },
    });
    expect(await log()).toEqual([]);
  });

  it('is taken when every item it sets changes, and logged naming the objection; without an objection an unchanged item is only left out of the log', async () => {
    await correct({ name: '林某', householdAddress: '北京市朝阳区某街道2号' }, '7');
    await correct({ name: '林某', mobilePhone: '13800000000' }, null);
    expect(await log()).toEqual([{ fields: ['name', 'householdAddress'], objectionId: '7' }, { fields: ['mobilePhone'], objectionId: null }]);
  });
});
