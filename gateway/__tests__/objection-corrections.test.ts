import { GraphQLError } from 'graphql';
import { freePort } from '../../scripts/processes';
import { createLogger } from '../../shared/logger';
import type { Catalog } from '../catalog/build';
import { departmentAsker } from '../quality/ask-department';
import { correctionCheck } from '../quality/objection-corrections';
import type { Objection } from '../quality/objections';

const accepted: Objection = {
  id: 7, entityType: 'NaturalPerson', entityKey: '11010519491231002X', field: 'name', owner: 'persons', believedValue: '张三',
  evidence: '户口簿', raisedBy: 'drc-approval', status: 'ACCEPTED', raisedAt: '2026-11-01T08:00:00.000Z', updatedAt: '2026-11-02T08:00:00.000Z',
};
const caller = { consumer: 'dept-persons', kind: 'SYSTEM' as const, roles: ['DEPARTMENT'], department: 'persons', purpose: '处理数据异议' };
const catalog = () => ({ resources: [{ owner: 'persons', ownerDepartment: 'Public Security 公安' }] }) as unknown as Catalog;

/** Closing an objection asks its owner for the correction; the answers other than "here it is". */
describe('closing an objection: the correction check', () => {
  it('refuses as SUBGRAPH_UNAVAILABLE, naming the owner, while the owner cannot be asked: never closed unchecked', async () => {
    const port = await freePort(); // nothing listens there: the connection is refused
    const ask = departmentAsker({ sign: async () => 'token', subgraphUrl: () => `http://127.0.0.1:${port}/graphql`, timeoutMs: () => 2_000 });
    const check = correctionCheck({ ask, logger: createLogger('test', 'fatal'), catalog });
    const refusal = await check(accepted, caller).then(() => undefined, (e: unknown) => e);
    expect(refusal).toBeInstanceOf(GraphQLError);
    expect((refusal as GraphQLError).extensions).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', department: 'persons' });
    expect((refusal as GraphQLError).message).toBe(
      'The persons subgraph (Public Security 公安) did not answer whether it corrected the natural person 11010519491231002X for objection 7: the objection stays ACCEPTED. Try again shortly',
    );
  });

  /** An owner whose change log holds these corrections naming the objection. */
  const owning = (...corrections: { idNumber: string; fields: string[] }[]) =>
    correctionCheck({ ask: (async () => ({ status: 200, data: { naturalPersonChanges: corrections } })) as never, logger: createLogger('test', 'fatal'), catalog });

  it('closes only once a correction naming it changed the disputed field: another field corrected is not that', async () => {
    const refusal = await owning({ idNumber: accepted.entityKey, fields: ['status', 'deceasedOn'] })(accepted, caller).then(() => undefined, (e: unknown) => e);
    expect((refusal as GraphQLError).extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'id' });
    expect((refusal as GraphQLError).message).toBe(
      'objection 7 disputes the natural person 11010519491231002X\'s name, and is closed once that is corrected naming it: '
        + 'correctNaturalPerson(idNumber: "11010519491231002X", …, objectionId: "7") correcting name logs that (the corrections naming it changed only status, deceasedOn); '
        + 'if the record was right after all, reject the objection with the reason',
    );
    await expect(owning({ idNumber: accepted.entityKey, fields: ['status'] }, { idNumber: accepted.entityKey, fields: ['name'] })(accepted, caller)).resolves.toBeUndefined();
    // The same field of another record is not this record's correction.
    await expect(owning({ idNumber: '110105194912310021', fields: ['name'] })(accepted, caller)).rejects.toThrow(/disputes the natural person 11010519491231002X's name/);
  });

  it('asks nothing of an owner that keeps no change log: the resolution says what was done', async () => {
    const ask = jest.fn();
    const check = correctionCheck({ ask, logger: createLogger('test', 'fatal'), catalog });
    await expect(check({ ...accepted, entityType: 'LandParcel', entityKey: '350102001001GB00001', owner: 'geo' }, caller)).resolves.toBeUndefined();
    expect(ask).not.toHaveBeenCalled();
  });
});
