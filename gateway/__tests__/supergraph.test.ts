import { readConfig } from '../../shared/config';
import { composeSupergraph, CompositionError, readSubgraphSources } from '../supergraph';

describe('composing the supergraph from the departments\' SDL files', () => {
  const config = readConfig({});

  it('composes all five departments, every contract root field present', () => {
    const sdl = composeSupergraph(readSubgraphSources(config));
    for (const field of ['naturalPerson(', 'naturalPersons(', 'verifyNaturalPerson(', 'legalPerson(', 'legalPersons(', 'administrativeDivision(', 'divisionAt(', 'landParcel(', 'investmentProject(', 'investmentProjects(']) {
      expect(sdl).toContain(field);
    }
    expect(sdl).toMatch(/join__graph\(name: "credit", url: "http:\/\/127\.0\.0\.1:4005\/graphql"\)/);
  });

  it('spells out what does not compose', () => {
    const broken = readSubgraphSources(config, {
      credit: `extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type NaturalPerson @key(fields: "idNumber") { idNumber: ID! name: Int }`,
    });
    expect(() => composeSupergraph(broken)).toThrow(CompositionError);
    try {
      composeSupergraph(broken);
    } catch (e) {
      expect((e as CompositionError).message).toMatch(/NaturalPerson\.name/);
      expect((e as CompositionError).problems.length).toBeGreaterThan(0);
    }
  });

  it('names the subgraph whose SDL does not parse', () => {
    expect(() => composeSupergraph(readSubgraphSources(config, { geo: 'type Query {' }))).toThrow(/geo: Syntax Error/);
  });
});
