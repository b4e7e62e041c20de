import type { Knex } from 'knex';
import { DEPARTMENTS, DepartmentName } from '../shared/departments';
import { countyCell } from '../subgraphs/geo/seed';
import { PROJECT_PAGE } from './support/operations';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';

/**
 * One SQL statement per entity type per plan step, whatever the number of rows: a page of 5
 * projects and a page of 50 cost every department the same statements.
 */
function defineStatementSuite(store: StoreKind) {
  describeWithStore(store, 'SQL statements per request', () => {
    let stack: Stack;
    const statements: Record<DepartmentName, string[]> = { persons: [], 'legal-persons': [], geo: [], projects: [], credit: [] };

    beforeAll(async () => {
      stack = await startStack({ store, mode: 'in-process' });
      for (const { name } of DEPARTMENTS) {
        (stack.stores[name] as Knex).on('query', (q: { sql: string }) => statements[name].push(q.sql));
      }
    }, 300_000);
    afterAll(() => stack?.stop());

    async function countStatements(first: number) {
      for (const name of Object.keys(statements) as DepartmentName[]) statements[name] = [];
      const answer = await stack.query(PROJECT_PAGE, { first });
      expect(answer.errors).toBeUndefined();
      expect(answer.data.investmentProjects.edges).toHaveLength(first);
      return Object.fromEntries(Object.entries(statements).map(([name, sqls]) => [name, sqls.length]));
    }

    it('fetches 50 projects with applicant, representative and both credit profiles in the same statements as 5', async () => {
      const five = await countStatements(5);
      const fifty = await countStatements(50);
      expect(fifty).toEqual(five);
      // projects: the page; legal-persons: the applicants; persons: the representatives;
      // credit: the applicants' profiles and, one plan step later, the representatives'.
      expect(fifty).toEqual({ projects: 1, 'legal-persons': 1, persons: 1, credit: 2, geo: 0 });
      for (const sql of statements.persons) expect(sql).toMatch(/where .*id_number.* in \(/i);
    });

    it('reads a project review in one statement per department and entity type', async () => {
      const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { projectCode } } } }`);
      const projectCode = page.data.investmentProjects.edges[0].node.projectCode;
      // The geo department holds its division register in memory (one SELECT a minute): fill it first.
      await stack.query(`{ administrativeDivision(code: "350100") { name } }`);
      for (const name of Object.keys(statements) as DepartmentName[]) statements[name] = [];
      const answer = await stack.query(`query($c: ID!) { investmentProject(projectCode: $c) {
        name approvals { status } parcels { landUse division { name } } division { name }
        applicant { name legalRepresentative { name } } } }`, { c: projectCode });
      expect(answer.errors).toBeUndefined();
      // projects: the project, its parcel links, its approvals. geo is called twice in one plan
      // step (the project's division; the parcels): the parcels are one statement, and every
      // division (the project's, the parcels') comes from the register, with none.
      expect(statements.projects).toHaveLength(3);
      expect(statements['legal-persons']).toHaveLength(1);
      expect(statements.persons).toHaveLength(1);
      const tables = statements.geo.map((sql) => /from [`"]?(\w+)/.exec(sql)![1]).sort();
      expect(tables).toEqual(['land_parcels']);
    });

    it('finds the counties of several points in one statement, as each alone would', async () => {
      const counties = ['350102', '350103', '350104', '350105'];
      const points = counties.map((code) => countyCell(code)).map((c) => ({ x: (c.west + c.east) / 2, y: (c.south + c.north) / 2 }));
      const alone = [];
      for (const { x, y } of points) alone.push((await stack.query(`query($x: Float!, $y: Float!) { divisionAt(longitude: $x, latitude: $y) { code } }`, { x, y })).data.divisionAt);
      expect(alone.map((d) => d?.code)).toEqual(counties);
      statements.geo = [];
      const fields = points.map((_, i) => `p${i}: divisionAt(longitude: $x${i}, latitude: $y${i}) { code }`).join(' ');
      const variables = Object.fromEntries(points.flatMap((p, i) => [[`x${i}`, p.x], [`y${i}`, p.y]]));
      const together = await stack.query(`query(${points.map((_, i) => `$x${i}: Float!, $y${i}: Float!`).join(', ')}) { ${fields} }`, variables);
      expect(together.errors).toBeUndefined();
      expect(Object.values(together.data)).toEqual(alone);
      expect(statements.geo).toHaveLength(1);
    });

    it('reads counties\' outlines and where they came from in one statement, and the sources alone without the outlines', async () => {
      const division = (code: string) => `c${code}: administrativeDivision(code: "${code}")`;
      statements.geo = [];
      const both = await stack.query(`{ ${division('350102')} { boundary boundarySource } ${division('350103')} { boundarySource } }`);
      expect(both.errors).toBeUndefined();
      expect(both.data.c350102.boundary).toMatchObject({ type: expect.stringMatching(/Polygon/) });
      expect(both.data.c350103.boundarySource).toBe(both.data.c350102.boundarySource);
      expect(statements.geo.filter((sql) => /boundary/.test(sql))).toHaveLength(1);

      statements.geo = [];
      const sources = await stack.query(`{ ${division('350102')} { boundarySource } ${division('350103')} { boundarySource } }`);
      expect(sources.data).toEqual({ c350102: { boundarySource: both.data.c350102.boundarySource }, c350103: { boundarySource: both.data.c350103.boundarySource } });
      expect(statements.geo.filter((sql) => /boundary/.test(sql))).toEqual([expect.not.stringMatching(/[`"]boundary[`"]/)]);
    });

    it('verifies 100 persons in one statement that reads only their names', async () => {
      const rows: { id_number: string; name: string }[] = await (stack.stores.persons as Knex)('natural_persons').select('id_number', 'name').limit(100);
      const people = rows.map((r) => ({ idNumber: r.id_number, name: r.name }));
      expect(people).toHaveLength(100);
      statements.persons = [];
      const fields = people.map((_, i) => `v${i}: verifyNaturalPerson(idNumber: $i${i}, name: $n${i})`).join(' ');
      const variables = Object.fromEntries(people.flatMap((p, i) => [[`i${i}`, p.idNumber], [`n${i}`, i % 2 ? p.name : `${p.name}某`]]));
      const answer = await stack.query(`query(${people.map((_, i) => `$i${i}: ID!, $n${i}: String!`).join(', ')}) { ${fields} }`, variables);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual(Object.fromEntries(people.map((_, i) => [`v${i}`, i % 2 ? 'MATCH' : 'MISMATCH'])));
      expect(statements.persons).toHaveLength(1);
      expect(statements.persons[0]).toMatch(/^select [`"]?id_number[`"]?, [`"]?name[`"]? from [`"]?natural_persons[`"]? where/i);

      // The same batch as one list field: one statement too, the answers in the order asked.
      statements.persons = [];
      const requests = people.map((p, i) => ({ idNumber: p.idNumber, name: i % 2 ? p.name : `${p.name}某` }));
      const listed = await stack.query(`query($requests: [VerificationRequest!]!) { verifyNaturalPersons(requests: $requests) }`, { requests });
      expect(listed.errors).toBeUndefined();
      expect(listed.data.verifyNaturalPersons).toEqual(people.map((_, i) => (i % 2 ? 'MATCH' : 'MISMATCH')));
      expect(statements.persons).toHaveLength(1);

      // A lookup and verifications in one request: one statement for all of them, reading whole records.
      statements.persons = [];
      const [looked, ...verified] = people.slice(0, 3);
      const both = await stack.query(
        `query($id: ID!, $v1: ID!, $n1: String!, $v2: ID!, $n2: String!) { naturalPerson(idNumber: $id) { name } a: verifyNaturalPerson(idNumber: $v1, name: $n1) b: verifyNaturalPerson(idNumber: $v2, name: $n2) }`,
        { id: looked.idNumber, v1: verified[0].idNumber, n1: verified[0].name, v2: verified[1].idNumber, n2: `${verified[1].name}某` },
      );
      expect(both.errors).toBeUndefined();
      expect(both.data).toEqual({ naturalPerson: { name: looked.name }, a: 'MATCH', b: 'MISMATCH' });
      expect(statements.persons).toHaveLength(1);
    });
  });
}

defineStatementSuite('sqlite');
defineStatementSuite('mysql');
