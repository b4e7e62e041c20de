import { DEFAULT_PLAN, personFacts } from '../shared/seed/population';
import { MAX_BOUNDARIES_PER_REQUEST } from '../subgraphs/geo/resolvers';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';

/**
 * Geo serves a request at most 10 county boundaries (up to a megabyte each), however many calls
 * the gateway makes to it for the request, and marks `boundary`
 * `@cacheControl(maxAge: 0)`: the gateway's entity cache does not keep it, or a request could be
 * served any number from memory. (That such fetches are not merged with other requests' either is
 * gateway/__tests__/fetch-merging.test.ts's.)
 */
function defineBoundariesSuite(store: StoreKind) {
  describeWithStore(store, 'county boundaries, served per request', () => {
    let stack: Stack;
    // Fifteen persons in fifteen counties: their household divisions are fetched from geo as entities.
    const persons = Array.from({ length: 15 }, (_, i) => personFacts(DEFAULT_PLAN, i));
    const BOUNDARIES = `query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { householdDivision { code boundary } } }`;
    const tooMany = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) =>
      (answer.errors ?? []).filter((e) => e.extensions?.limit === 'maxBoundaries').length;

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'in-process' });
    }, 300_000);
    afterAll(() => stack?.stop());

    it('are not served from the entity cache past the limit: fifteen asked at once get ten, however many were asked before', async () => {
      expect(new Set(persons.map((p) => p.countyCode)).size).toBe(15);
      const ask = async (from: number, to: number) => stack.query(BOUNDARIES, { ids: persons.slice(from, to).map((p) => p.idNumber) });
      expect(tooMany(await ask(0, 10))).toBe(0);
      expect(tooMany(await ask(10, 15))).toBe(0);
      const all = await ask(0, 15);
      expect(all.data.naturalPersons.filter((p: any) => p.householdDivision.boundary).length).toBe(MAX_BOUNDARIES_PER_REQUEST);
      expect(tooMany(all)).toBe(15 - MAX_BOUNDARIES_PER_REQUEST);
    });

    it('are counted across the calls a request makes to geo: divisions reached at two plan steps get ten in all, not ten each', async () => {
      const TWO_STEPS = `{ investmentProjects(first: 12) { edges { node { division { boundary } applicant { division { boundary } } } } } }`;
      const answer = await stack.query(TWO_STEPS, {});
      const nodes = answer.data.investmentProjects.edges.map((e: any) => e.node);
      expect(nodes).toHaveLength(12);
      const served = nodes.flatMap((n: any) => [n.division?.boundary, n.applicant?.division?.boundary]).filter((b: unknown) => b != null);
      expect(served).toHaveLength(MAX_BOUNDARIES_PER_REQUEST);
      expect(tooMany(answer)).toBe(24 - MAX_BOUNDARIES_PER_REQUEST);
      // The next request has its own ten.
      expect(tooMany(await stack.query(TWO_STEPS, {}))).toBe(24 - MAX_BOUNDARIES_PER_REQUEST);
    });
  });
}

defineBoundariesSuite('sqlite');
defineBoundariesSuite('mysql');
