import { PROJECT_REVIEW } from './operations';
import { describeWithStore, Stack, startStack, StoreKind } from './stack';
import { checkIdNumber, checkUscc, idNumberFacts } from '../../shared/identifiers';
import { countyCell } from '../../subgraphs/geo/seed';
import { MAX_BOUNDARIES_PER_REQUEST } from '../../subgraphs/geo/resolvers';

/**
 * The federated graph end to end, through the gateway of real subgraph processes: the same
 * suite runs on SQLite and on MySQL.
 */
export function defineFederationSuite(store: StoreKind): void {
  describeWithStore(store, 'the federated graph', () => {
    let stack: Stack;
    let projectCodes: string[];

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'processes' });
      const page = await stack.query(`{ investmentProjects(first: 40) { edges { node { projectCode } } } }`);
      projectCodes = page.data.investmentProjects.edges.map((e: any) => e.node.projectCode);
    }, 300_000);

    afterAll(async () => {
      await stack?.stop();
    });

    it('answers the five-department project review, every item equal to its owner department\'s own answer', async () => {
      for (const projectCode of projectCodes.slice(0, 5)) {
        const answer = await stack.query(PROJECT_REVIEW, { projectCode });
        expect(answer.errors).toBeUndefined();
        const project = answer.data.investmentProject;
        const { applicant } = project;
        const representative = applicant.legalRepresentative;

        const own = await stack.querySubgraph('projects', `query($c: ID!) { investmentProject(projectCode: $c) {
          projectCode name totalInvestment status kind declaredOn approvals { department item status decidedOn }
          division { code } parcels { parcelCode } applicant { uscc } } }`, { c: projectCode });
        const ownProject = own.data.investmentProject;
        expect(project).toMatchObject({ ...ownProject, division: { code: ownProject.division.code }, parcels: ownProject.parcels, applicant: { uscc: ownProject.applicant.uscc } });

        const company = (await stack.querySubgraph('legal-persons', `query($u: ID!) { legalPerson(uscc: $u) {
          uscc name status establishedOn registeredCapital division { code } legalRepresentative { idNumber } } }`, { u: applicant.uscc })).data.legalPerson;
        expect(applicant).toMatchObject(company);

        const person = (await stack.querySubgraph('persons', `query($id: ID!) { naturalPerson(idNumber: $id) {
          idNumber name gender birthDate status householdDivision { code } } }`, { id: representative.idNumber })).data.naturalPerson;
        expect(representative).toMatchObject(person);

        for (const parcel of project.parcels) {
          const ownParcel = (await stack.querySubgraph('geo', `query($p: ID!) { landParcel(parcelCode: $p) {
            parcelCode landUse landUseCode areaSquareMetres geometry division { code name } } }`, { p: parcel.parcelCode })).data.landParcel;
          expect(parcel).toEqual(ownParcel);
          expect(parcel.division.code).toBe(project.division.code);
        }
        const division = (await stack.querySubgraph('geo', `query($c: ID!) { administrativeDivision(code: $c) {
          code name level fullName parent { code name } } }`, { c: project.division.code })).data.administrativeDivision;
        expect(project.division).toEqual(division);

        const credit = (await stack.querySubgraph('credit', `query($r: [_Any!]!) { _entities(representations: $r) {
          ... on LegalPerson { credit { onBlacklist onRedlist rating } }
          ... on NaturalPerson { credit { onBlacklist onRedlist } } } }`, {
          r: [{ __typename: 'LegalPerson', uscc: applicant.uscc }, { __typename: 'NaturalPerson', idNumber: representative.idNumber }],
        })).data._entities;
        expect(applicant.credit).toEqual(credit[0].credit);
        expect(representative.credit).toEqual(credit[1].credit);
      }
    });

    it('says whose a county boundary is (here, the seed\'s grid cell), and serves at most 10 boundaries a request', async () => {
      const cell = countyCell('350102');
      const answer = await stack.query(`query($lon: Float!, $lat: Float!) {
        administrativeDivision(code: "350102") { boundarySource boundary }
        divisionAt(longitude: $lon, latitude: $lat) { code boundarySource } }`, { lon: cell.west + 0.01, lat: cell.south + 0.01 });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.administrativeDivision.boundarySource).toBe('seed: synthetic grid cell');
      expect(answer.data.administrativeDivision.boundary).toMatchObject({ type: 'Polygon' });
      expect(answer.data.divisionAt).toEqual({ code: '350102', boundarySource: 'seed: synthetic grid cell' });

      // A city's counties with their outlines: the first ten, and QUERY_TOO_COMPLEX at each of the rest.
      const city = await stack.query(`{ administrativeDivision(code: "350100") { boundary children { code boundary } } }`);
      const counties = city.data.administrativeDivision.children;
      expect(city.data.administrativeDivision.boundary).toBeNull();
      expect(counties.length).toBeGreaterThan(MAX_BOUNDARIES_PER_REQUEST);
      expect(counties.filter((c: any) => c.boundary !== null)).toHaveLength(MAX_BOUNDARIES_PER_REQUEST);
      expect(city.errors).toHaveLength(counties.length - MAX_BOUNDARIES_PER_REQUEST);
      expect(city.errors?.[0]).toMatchObject({
        message: expect.stringMatching(/^boundary is served for at most 10 divisions a request/),
        path: ['administrativeDivision', 'children', expect.any(Number), 'boundary'],
        extensions: { code: 'QUERY_TOO_COMPLEX' },
      });
    });

    it('joins the reverse fields: a person\'s companies and a company\'s projects', async () => {
      const review = await stack.query(PROJECT_REVIEW, { projectCode: projectCodes[0] });
      const { uscc, legalRepresentative } = review.data.investmentProject.applicant;
      const answer = await stack.query(`query($id: ID!, $u: ID!) {
        naturalPerson(idNumber: $id) { name legalRepresentativeOf { uscc legalRepresentative { idNumber } } }
        legalPerson(uscc: $u) { investmentProjects { projectCode applicant { uscc } } } }`, { id: legalRepresentative.idNumber, u: uscc });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.naturalPerson.legalRepresentativeOf.map((c: any) => c.uscc)).toContain(uscc);
      for (const c of answer.data.naturalPerson.legalRepresentativeOf) expect(c.legalRepresentative.idNumber).toBe(legalRepresentative.idNumber);
      expect(answer.data.legalPerson.investmentProjects.map((p: any) => p.projectCode)).toContain(projectCodes[0]);
      for (const p of answer.data.legalPerson.investmentProjects) expect(p.applicant.uscc).toBe(uscc);
    });

    it('seeds persons whose gender and birth date match their numbers, and companies whose representatives exist', async () => {
      const page = await stack.query(`{ investmentProjects(first: 100) { edges { node { applicant { uscc legalRepresentative { idNumber name gender birthDate householdDivision { code level } } } } } } }`);
      expect(page.errors).toBeUndefined();
      for (const { node } of page.data.investmentProjects.edges) {
        expect(checkUscc(node.applicant.uscc).ok).toBe(true);
        const person = node.applicant.legalRepresentative;
        expect(checkIdNumber(person.idNumber).ok).toBe(true);
        expect(person.name).toMatch(/^[\u4e00-\u9fa5]{2,4}$/);
        const facts = idNumberFacts(person.idNumber);
        expect(person).toMatchObject({ gender: facts.gender, birthDate: facts.birthDate, householdDivision: { code: facts.regionCode, level: 'COUNTY' } });
      }
    });

    it('keeps batch lookups in the order asked, with null for unknown keys', async () => {
      const review = (await stack.query(PROJECT_REVIEW, { projectCode: projectCodes[1] })).data.investmentProject;
      const a = review.applicant.legalRepresentative.idNumber;
      const other = (await stack.query(PROJECT_REVIEW, { projectCode: projectCodes[2] })).data.investmentProject;
      const b = other.applicant.legalRepresentative.idNumber;
      const unknown = '11010519491231002X';
      const persons = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { idNumber } }`, { ids: [b, unknown, a, b] });
      expect(persons.data.naturalPersons).toEqual([{ idNumber: b }, null, { idNumber: a }, { idNumber: b }]);

      const unknownCompany = '91350100M000100Y43';
      const companies = await stack.query(`query($u: [ID!]!) { legalPersons(usccs: $u) { uscc } }`, {
        u: [other.applicant.uscc, unknownCompany, review.applicant.uscc],
      });
      expect(companies.data.legalPersons).toEqual([{ uscc: other.applicant.uscc }, null, { uscc: review.applicant.uscc }]);
    });

    it('answers null for unknown but valid keys', async () => {
      const answer = await stack.query(`{
        naturalPerson(idNumber: "11010519491231002X") { name }
        legalPerson(uscc: "91350200MA2YJ1XR9G") { name }
        administrativeDivision(code: "110105") { name }
        landParcel(parcelCode: "350102999001GB99999W00000000") { landUse }
        investmentProject(projectCode: "2024-350102-64-01-999999") { name }
        divisionAt(longitude: 122.5, latitude: 25.0) { name }
      }`);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({
        naturalPerson: null, legalPerson: null, administrativeDivision: null, landParcel: null, investmentProject: null, divisionAt: null,
      });
    });

    it.each([
      ['naturalPerson(idNumber: "110105194912310021") { name }', /idNumber.*check character is 1 but should be X/],
      ['naturalPersons(idNumbers: ["11010519491231002X", "123"]) { name }', /idNumbers\[1\].*18 characters/],
      ['verifyNaturalPerson(idNumber: "1101051949123100", name: "张三")', /idNumber/],
      ['legalPerson(uscc: "91350100M000100Y44") { name }', /uscc.*should be 3/],
      ['legalPersons(usccs: ["91350100M0001O0Y43"]) { name }', /usccs\[0\].*contains "O"/],
      ['administrativeDivision(code: "35010") { name }', /code.*6 digits/],
      ['landParcel(parcelCode: "35010200100GB00001W00000000") { landUse }', /parcelCode.*28 characters/],
      ['investmentProject(projectCode: "2024-3501-64-01-000001") { name }', /projectCode.*YYYY-RRRRRR-II-TT-NNNNNN/],
      ['investmentProject(projectCode: "2199-350102-64-01-000001") { name }', /projectCode's year must lie in \[2000, 2099\], not 2199/],
      ['investmentProjects(regionCode: "99") { totalCount }', /regionCode/],
      ['investmentProjects(after: "bm90LWEtY3Vyc29y") { totalCount }', /after is not a cursor/],
      ['investmentProjects(first: 500) { totalCount }', /first must lie in \[0, 100\]/],
      ['divisionAt(longitude: 119.3, latitude: 95) { name }', /latitude must lie in \[-90, 90\]/],
    ])('refuses %s with BAD_USER_INPUT naming the problem', async (field, reason) => {
      const answer = await stack.query(`{ ${field} }`);
      expect(answer.errors?.length).toBeGreaterThan(0);
      expect(answer.errors![0].extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.errors![0].message).toMatch(reason);
      const text = JSON.stringify(answer);
      expect(text).not.toMatch(/select |sqlite|mysql|\/work\/|node_modules|\bat \w+ \(/i);
    });

    it('refuses more than 100 keys in one batch lookup', async () => {
      const ids = Array.from({ length: 101 }, () => '11010519491231002X');
      const answer = await stack.query(`query($ids: [ID!]!) { naturalPersons(idNumbers: $ids) { name } }`, { ids });
      expect(answer.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(answer.errors![0].message).toMatch(/at most 100/);
    });

    it('verifies a person\'s name and discloses nothing else', async () => {
      const person = (await stack.query(PROJECT_REVIEW, { projectCode: projectCodes[3] })).data.investmentProject.applicant.legalRepresentative;
      const verify = `query($id: ID!, $n: String!) { verifyNaturalPerson(idNumber: $id, name: $n) }`;
      expect((await stack.query(verify, { id: person.idNumber, n: person.name })).data).toEqual({ verifyNaturalPerson: 'MATCH' });
      expect((await stack.query(verify, { id: person.idNumber, n: `${person.name}某` })).data).toEqual({ verifyNaturalPerson: 'MISMATCH' });
      expect((await stack.query(verify, { id: '11010519491231002X', n: '张三' })).data).toEqual({ verifyNaturalPerson: 'NOT_FOUND' });
    });

    it('pages through projects with cursors, filters included, without gaps or repeats', async () => {
      const seen: string[] = [];
      let after: string | null = null;
      let total = 0;
      for (let pages = 0; pages < 100; pages++) {
        const answer: any = await stack.query(`query($after: String) { investmentProjects(first: 4, after: $after, status: UNDER_CONSTRUCTION, regionCode: "350100") {
          totalCount edges { cursor node { projectCode status division { code } } } pageInfo { hasNextPage endCursor } } }`, { after });
        expect(answer.errors).toBeUndefined();
        const connection = answer.data.investmentProjects;
        total = connection.totalCount;
        for (const { node } of connection.edges) {
          expect(node.status).toBe('UNDER_CONSTRUCTION');
          expect(node.division.code.startsWith('3501')).toBe(true);
          seen.push(node.projectCode);
        }
        if (!connection.pageInfo.hasNextPage) break;
        after = connection.pageInfo.endCursor;
      }
      expect(total).toBeGreaterThan(8);
      expect(seen).toHaveLength(total);
      expect(new Set(seen).size).toBe(total);
      expect([...seen].sort()).toEqual(seen);
    });

    it('refuses as a cursor anything but the cursors it gives out', async () => {
      const PAGE = `query($after: String) { investmentProjects(first: 2, after: $after) { edges { node { projectCode } } pageInfo { endCursor } } }`;
      const { endCursor } = (await stack.query(PAGE, {})).data.investmentProjects.pageInfo;
      // A code with a space before it was checked trimmed and compared as sent: it sent the caller back
      // to the first page. Padding and stray characters pass base64url decoding: not cursors either.
      for (const after of [Buffer.from(`project: ${projectCodes[2]}`).toString('base64url'), `${endCursor}==`, `${endCursor}.!`]) {
        const refused = await stack.query(PAGE, { after });
        expect(refused.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['BAD_USER_INPUT', expect.stringMatching(/^after is not a cursor this connection gave out: "/)]]);
      }
    });

    it('says whether there is a page even when asked for none, and refuses an empty region or cursor', async () => {
      const none = await stack.query(`{ investmentProjects(first: 0) { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } }`);
      // Nothing asked after: the empty page ends at the start, where following it begins.
      expect(none.data.investmentProjects).toEqual({ totalCount: expect.any(Number), edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
      expect(none.data.investmentProjects.totalCount).toBeGreaterThan(0);
      for (const args of ['regionCode: ""', 'after: ""']) {
        const refused = await stack.query(`{ investmentProjects(first: 1, ${args}) { totalCount } }`);
        expect(refused.errors!.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT']);
      }
    });

    it('ends an empty page (first: 0) where it began, so following its endCursor continues instead of starting over', async () => {
      const PAGE = `query($first: Int, $after: String) { investmentProjects(first: $first, after: $after, status: UNDER_CONSTRUCTION, regionCode: "350100") {
        totalCount edges { node { projectCode } } pageInfo { hasNextPage endCursor } } }`;
      const page = async (first: number, after: string | null) => {
        const answer: any = await stack.query(PAGE, { first, after });
        expect(answer.errors).toBeUndefined();
        return answer.data.investmentProjects;
      };

      // After a cursor, an empty page says there is more and hands the same cursor back (it said null: back to the start).
      const three = await page(3, null);
      const empty = await page(0, three.pageInfo.endCursor);
      expect(empty).toEqual({ totalCount: three.totalCount, edges: [], pageInfo: { hasNextPage: true, endCursor: three.pageInfo.endCursor } });

      // A client following pageInfo with page sizes that include 0 sees every project once, in order, and stops.
      const seen: string[] = [];
      let after: string | null = null;
      let requests = 0;
      for (let more = true; more; ) {
        requests++;
        expect(requests).toBeLessThan(100);
        const connection: any = await page(requests % 2 ? 0 : 3, after);
        seen.push(...connection.edges.map((e: any) => e.node.projectCode));
        more = connection.pageInfo.hasNextPage;
        after = connection.pageInfo.endCursor;
      }
      expect(three.totalCount).toBeGreaterThan(8);
      expect(seen).toHaveLength(three.totalCount);
      expect([...seen].sort()).toEqual(seen);
      expect(new Set(seen).size).toBe(seen.length);

      // At the end, an empty page says there is nothing more.
      const last = await page(0, after);
      expect(last).toEqual({ totalCount: three.totalCount, edges: [], pageInfo: { hasNextPage: false, endCursor: after } });
    });

    it('finds the county containing a point, and the parcel inside its own county', async () => {
      const project = (await stack.query(PROJECT_REVIEW, { projectCode: projectCodes[4] })).data.investmentProject;
      const [lon, lat] = project.parcels[0].geometry.coordinates[0][0];
      const answer = await stack.query(`query($lon: Float!, $lat: Float!) { divisionAt(longitude: $lon, latitude: $lat) { code level parent { level } } }`, { lon, lat });
      expect(answer.data.divisionAt).toEqual({ code: project.division.code, level: 'COUNTY', parent: { level: 'CITY' } });
    });
  });
}
