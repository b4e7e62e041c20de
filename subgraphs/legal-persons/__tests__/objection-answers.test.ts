import type { Knex } from 'knex';
import { organizationCodeCheckCharacter, usccCheckCharacter } from '../../../shared/identifiers';
import { legalPersons } from '..';
import { departmentOperator, temporaryDepartmentStore } from '../../../tests/support/department-store';

const OPERATOR = departmentOperator(legalPersons);
const FIRST17 = `91110105MA2XY012${organizationCodeCheckCharacter('MA2XY012')}`;
const USCC = `${FIRST17}${usccCheckCharacter(FIRST17)}`;
const SINCE = '2000-01-01T00:00:00Z';
/** The department's own mutations, called as the subgraph calls them (no gateway: the department's rule alone). */
const MUTATION = legalPersons.resolvers.Mutation as Record<string, (parent: unknown, args: unknown, context: unknown) => Promise<unknown>>;

describe("a legal person's correction answering a data objection", () => {
  let store: Awaited<ReturnType<typeof temporaryDepartmentStore>>;
  let db: Knex;
  const correct = (correction: Record<string, unknown>, objectionId: string | null) =>
    MUTATION.correctLegalPerson(undefined, { uscc: USCC, correction, reason: '依登记档案更正', objectionId }, legalPersons.createContext(db, OPERATOR));
  const log = async () => (await legalPersons.createContext(db, OPERATOR).store.changesSince({ since: SINCE, afterId: null, first: 100, objectionId: null, key: null }))
    .map((c) => ({ fields: c.fields, objectionId: c.objectionId }));

  beforeAll(async () => {
    store = await temporaryDepartmentStore(legalPersons);
    db = store.db;
    await db('legal_persons').insert({
      uscc: USCC, name: '北京某某科技有限公司', status: 'ACTIVE', established_on: '2015-06-01', enterprise_type: '有限责任公司', registered_capital: 100,
      business_scope: '技术开发', registered_address: '北京市朝阳区某路1号', representative_id_number: '11010519491231002X', division_code: '110105',
    });
  });
  afterAll(() => store.remove());

  it('is refused when it sets an item to the value the record has: the objection may dispute that item, and the log would name it beside the other change', async () => {
    // An objection to the registered address, "answered" with the address as it is and a new capital.
    await expect(correct({ registeredAddress: '北京市朝阳区某路1号', registeredCapital: 200 }, '12')).rejects.toMatchObject({
      message: 'Invalid correction: registeredAddress already has the value given, and a correction answering objection 12 sets only items it changes ' +
        '(the log names the objection beside what changed); leave registeredAddress out, or correct it to another value',
      extensions: { code: 'BAD_USER_INPUT', argument: 'correction.registeredAddress' },
    });
    // The representative is named under the correction's own name, and compared under the record's.
    await expect(correct({ legalRepresentativeIdNumber: '11010519491231002X', name: '北京某某信息技术有限公司' }, '12'))
      .rejects.toMatchObject({ message: expect.stringMatching(/^Invalid correction: legalRepresentativeIdNumber already has the value given, /) });
    expect(await log()).toEqual([]);
  });

  it('is taken when every item it sets changes, and logged naming the objection', async () => {
    await correct({ registeredAddress: '北京市朝阳区某路2号', registeredCapital: 200 }, '12');
    expect(await log()).toEqual([{ fields: ['registeredCapital', 'registeredAddress'], objectionId: '12' }]);
  });
});
