import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import { readConfig } from '../../shared/config';
import { asksForAny, EntityCache, entityCacheAges, perRequestFields, withEntityCache } from '../entity-cache';
import { readSubgraphSources } from '../supergraph';

const DIVISIONS = 'query($representations:[_Any!]!){_entities(representations:$representations){...on AdministrativeDivision{name}}}';
const division = (code: string) => ({ __typename: 'AdministrativeDivision', code });
const answer = (...names: (string | null)[]) => ({ data: { _entities: names.map((name) => (name ? { name } : null)) } }) as GatewayGraphQLResponse;

describe('the entity cache', () => {
  it('keeps what a department marks @cacheControl in its own SDL, and nothing else', () => {
    const ages = entityCacheAges(readSubgraphSources(readConfig({})));
    expect([...ages.keys()]).toEqual(['geo']);
    expect(ages.get('geo')).toEqual(new Map([['AdministrativeDivision', 3_600_000]]));
    // A field marked maxAge 0 is served per request: geo's boundary.
    expect(perRequestFields(readSubgraphSources(readConfig({})))).toEqual(new Map([['geo', new Set(['boundary'])]]));
  });

  it('tells fetches apart by their other variables, and keeps no fetch asking for a field served per request', () => {
    const cache = new EntityCache(() => new Map([['AdministrativeDivision', 60_000]]), undefined, asksForAny(() => new Set(['boundary'])));
    const withSource = 'query($representations:[_Any!]!,$b:Boolean!){_entities(representations:$representations){...on AdministrativeDivision{name boundarySource@include(if:$b)}}}';
    const representations = [division('350102')];
    cache.remember(withSource, { representations, b: false }, answer('鼓楼区'));
    expect(cache.answer(withSource, { representations, b: false })).toEqual(answer('鼓楼区'));
    // Asked with the condition true, the kept answer lacks boundarySource: another fetch.
    expect(cache.answer(withSource, { representations, b: true })).toBeUndefined();
    const boundaries = DIVISIONS.replace('{name}', '{name boundary}');
    cache.remember(boundaries, { representations }, answer('鼓楼区'));
    expect(cache.answer(boundaries, { representations })).toBeUndefined();
  });

  describe('one department’s cache', () => {
    let now = 1_000_000;
    const cache = new EntityCache(() => new Map([['AdministrativeDivision', 60_000]]), () => now);

    it('answers a fetch only when every entity it asks for is kept and fresh', () => {
      const vars = { representations: [division('350102'), division('350203')] };
      expect(cache.answer(DIVISIONS, vars)).toBeUndefined();
      cache.remember(DIVISIONS, vars, answer('鼓楼区', '思明区'));
      expect(cache.answer(DIVISIONS, vars)).toEqual(answer('鼓楼区', '思明区'));
      expect(cache.answer(DIVISIONS, { representations: [division('350203'), division('350102')] })).toEqual(answer('思明区', '鼓楼区'));
      expect(cache.answer(DIVISIONS, { representations: [division('350102'), division('350104')] })).toBeUndefined();
      // Other fields are another fetch.
      expect(cache.answer(DIVISIONS.replace('{name}', '{name level}'), vars)).toBeUndefined();
      now += 60_000;
      expect(cache.answer(DIVISIONS, vars)).toBeUndefined();
    });

    it('keeps no answer with errors, no missing entity and no type the department did not mark', () => {
      const vars = { representations: [division('350181')] };
      cache.remember(DIVISIONS, vars, { ...answer('福清市'), errors: [{ message: 'partly failed' }] } as GatewayGraphQLResponse);
      expect(cache.answer(DIVISIONS, vars)).toBeUndefined();
      cache.remember(DIVISIONS, vars, answer(null));
      expect(cache.answer(DIVISIONS, vars)).toBeUndefined();
      const parcels = { representations: [{ __typename: 'LandParcel', parcelCode: '350102001001GB00001W00000000' }] };
      cache.remember(DIVISIONS, parcels, answer('x'));
      expect(cache.answer(DIVISIONS, parcels)).toBeUndefined();
      expect(cache.answer('{ administrativeDivision(code: "350102") { name } }', undefined)).toBeUndefined();
    });

    it('keeps no entity that is not an object of the type asked for', () => {
      const vars = { representations: [division('350182')] };
      for (const wrong of ['长乐区', 42, ['长乐区'], { __typename: 'LandParcel', name: '长乐区' }]) {
        cache.remember(DIVISIONS, vars, { data: { _entities: [wrong] } } as GatewayGraphQLResponse);
        expect(cache.answer(DIVISIONS, vars)).toBeUndefined();
      }
      const right = { data: { _entities: [{ __typename: 'AdministrativeDivision', name: '长乐区' }] } } as GatewayGraphQLResponse;
      cache.remember(DIVISIONS, vars, right);
      expect(cache.answer(DIVISIONS, vars)).toEqual(right);
    });
  });

  it('calls the department only for what it does not hold', async () => {
    const calls: unknown[] = [];
    const source: GraphQLDataSource = {
      process: async ({ request }) => {
        calls.push(request.variables);
        return answer(...(request.variables!.representations as { code: string }[]).map((r) => `division ${r.code}`));
      },
    };
    const cached = withEntityCache(source, new EntityCache(() => new Map([['AdministrativeDivision', 60_000]])));
    const ask = (...codes: string[]) => cached.process({ request: { query: DIVISIONS, variables: { representations: codes.map(division) } } } as never);
    expect(await ask('350102')).toEqual(answer('division 350102'));
    expect(await ask('350102')).toEqual(answer('division 350102'));
    expect(calls).toHaveLength(1);
    await ask('350102', '350203');
    expect(calls).toHaveLength(2);
  });
});
