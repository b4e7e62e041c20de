import { buildSchema, parse } from 'graphql';
import { operationShape } from '../policy/operation-shape';
import type { FieldOwners } from '../usage/owners';
import { servedFields } from '../usage/served';

const schema = buildSchema(`
  type Query { naturalPerson(idNumber: ID!): NaturalPerson }
  type NaturalPerson { idNumber: ID! name: String! }
`);
// Two aliases of one root field; under the first, `name` selected twice at one path (two fragments).
const document = parse(`
  query Two($a: ID!, $b: ID!) {
    p: naturalPerson(idNumber: $a) { ...Named ... on NaturalPerson { name } }
    q: naturalPerson(idNumber: $b) { name }
  }
  fragment Named on NaturalPerson { name }
`);
const shape = operationShape(schema, document, 'Two')!;
/** Who serves each coordinate: the one method servedFields asks of the supergraph's owner map. */
const ownedBy = (department: string) => ({ owner: () => department }) as unknown as FieldOwners;

const byCoordinate = (served: ReturnType<typeof servedFields>) => Object.fromEntries(served.map((f) => [f.coordinate, f]));

describe('what each field served', () => {
  it('counts values at each field’s paths once, however many fragments select them, answer by answer', () => {
    const persons = ownedBy('persons');
    const first = byCoordinate(servedFields(shape, { p: { name: '张三' }, q: null }, undefined, persons));
    expect(first['Query.naturalPerson']).toEqual({ coordinate: 'Query.naturalPerson', department: 'persons', items: 1, errorCodes: [] });
    expect(first['NaturalPerson.name']).toEqual({ coordinate: 'NaturalPerson.name', department: 'persons', items: 1, errorCodes: [] });

    // The same operation again (its plan is kept): counted from this answer alone.
    const error = { message: 'refused', path: ['q', 'name'], extensions: { code: 'FORBIDDEN' } };
    const second = byCoordinate(servedFields(shape, { p: { name: '张三' }, q: { name: '李四' } }, [error], persons));
    expect(second['Query.naturalPerson'].items).toBe(2);
    expect(second['NaturalPerson.name']).toMatchObject({ items: 2, errorCodes: ['FORBIDDEN'] });
    expect(byCoordinate(servedFields(shape, null, undefined, persons))['NaturalPerson.name']).toMatchObject({ items: 0, notRead: true });
  });

  it('marks a field not read where the guard refused it everywhere it was asked, and only then', () => {
    const persons = ownedBy('persons');
    const error = { message: 'refused', path: ['q', 'name'], extensions: { code: 'FORBIDDEN' } };
    // `name` refused under q, read under p: it was read.
    const partly = byCoordinate(servedFields(shape, { p: { name: '张三' }, q: { name: null } }, [error], persons, new Set(['q.name'])));
    expect(partly['NaturalPerson.name']).toEqual({ coordinate: 'NaturalPerson.name', department: 'persons', items: 1, errorCodes: ['FORBIDDEN'] });
    // Refused at both: not read, its errors kept.
    const wholly = byCoordinate(servedFields(shape, { p: { name: null }, q: { name: null } }, [error], persons, new Set(['p.name', 'q.name'])));
    expect(wholly['NaturalPerson.name']).toEqual({ coordinate: 'NaturalPerson.name', department: 'persons', items: 0, errorCodes: ['FORBIDDEN'], notRead: true });
    expect(wholly['Query.naturalPerson'].notRead).toBeUndefined();
  });

  it('marks a field not read where it, or a field above it, failed and served nothing, everywhere it was asked', () => {
    const persons = ownedBy('persons');
    const down = { message: 'persons did not answer', path: ['q'], extensions: { code: 'SUBGRAPH_UNAVAILABLE' } };
    // q failed, p was served: name was read (under p).
    const partly = byCoordinate(servedFields(shape, { p: { name: '张三' }, q: null }, [down], persons));
    expect(partly['NaturalPerson.name'].notRead).toBeUndefined();
    // Both failed: nothing of either left the department. The root field keeps its errors; name under it has none of its own.
    const both = byCoordinate(servedFields(shape, { p: null, q: null }, [{ ...down, path: ['p'] }, down], persons));
    expect(both['Query.naturalPerson']).toEqual({ coordinate: 'Query.naturalPerson', department: 'persons', items: 0, errorCodes: ['SUBGRAPH_UNAVAILABLE', 'SUBGRAPH_UNAVAILABLE'], notRead: true });
    expect(both['NaturalPerson.name']).toEqual({ coordinate: 'NaturalPerson.name', department: 'persons', items: 0, errorCodes: [], notRead: true });
    // Answered null without an error: the owner said "no such person", which is a read.
    expect(byCoordinate(servedFields(shape, { p: null, q: null }, undefined, persons))['Query.naturalPerson'].notRead).toBeUndefined();
  });

  it('names the department that serves a field now, after the supergraph changed owners', () => {
    servedFields(shape, { p: null, q: null }, undefined, ownedBy('persons'));
    expect(servedFields(shape, { p: null, q: null }, undefined, ownedBy('persons-v2')).every((f) => f.department === 'persons-v2')).toBe(true);
  });
});
