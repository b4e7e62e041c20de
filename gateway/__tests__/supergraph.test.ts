import fs from 'node:fs';
import path from 'node:path';
import { readConfig } from '../../shared/config';
import { composeSupergraph, CompositionError, readSubgraphSources } from '../supergraph';
import { copiedSchemaDir } from '../../tests/support/schema-dir';

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

  it('refuses @policy anywhere but on a field, where it would not be enforced', () => {
    const sources = readSubgraphSources(config);
    const geo = sources.find((s) => s.name === 'geo')!.sdl;
    const declared = 'type LandParcel @key(fields: "parcelCode") @catalog(updateCycle: "每月")';
    expect(geo).toContain(declared);
    const onType = readSubgraphSources(config, { geo: geo.replace(declared, `${declared} @policy(policies: [["geo.parcels"]])`) });
    expect(() => composeSupergraph(onType)).toThrow(
      'POLICY_NOT_ON_FIELD: @policy on LandParcel is not enforced here: OneSource enforces @policy on fields only; declare it on each field of LandParcel it covers (and on each field returning it)',
    );
  });

  it('refuses a field one department takes over from another with @override (一数一源)', () => {
    const legal = readSubgraphSources(config).find((s) => s.name === 'legal-persons')!.sdl;
    const takeover = legal
      .replace('import: ["@key", "@policy",', 'import: ["@key", "@override", "@policy",')
      .replace('type NaturalPerson @key(fields: "idNumber") {\n  idNumber: ID!\n', 'type NaturalPerson @key(fields: "idNumber") {\n  idNumber: ID!\n  name: String! @override(from: "persons")\n');
    expect(takeover).toContain('@override(from: "persons")');
    expect(() => composeSupergraph(readSubgraphSources(config, { 'legal-persons': takeover }))).toThrow(
      /FIELD_OVERRIDDEN: NaturalPerson\.name is taken over by legal-persons from persons \(@override\): one source per data item \(一数一源\), so persons, which holds it, resolves it/,
    );
  });

  it('names the subgraph whose SDL does not parse, and where', () => {
    expect(() => composeSupergraph(readSubgraphSources(config, { geo: 'type Query {' }))).toThrow(/geo: line 1, column 13: Syntax Error: Expected Name, found <EOF>\./);
  });

  it('names the file, line and column of a syntax error in a schema file', () => {
    const schemaDir = copiedSchemaDir();
    try {
      const file = path.join(schemaDir, 'legal-persons', 'schema.graphql');
      // A description left behind where a field or value name must follow it.
      const sdl = fs.readFileSync(file, 'utf8');
      fs.writeFileSync(file, sdl.replace('  "注销"\n', '  "注销"\n  "注销"\n'));
      const line = sdl.split('\n').indexOf('  "注销"') + 2; // the second one, on the line after the first
      const sources = readSubgraphSources(readConfig({ ONESOURCE_SCHEMA_DIR: schemaDir }));
      expect(() => composeSupergraph(sources)).toThrow(CompositionError);
      expect(() => composeSupergraph(sources)).toThrow(`legal-persons: ${file}:${line}:3: Syntax Error: Expected Name, found String "注销".`);
    } finally {
      fs.rmSync(schemaDir, { recursive: true, force: true });
    }
  });

  it('names a missing schema file and the setting that points there', () => {
    const schemaDir = copiedSchemaDir();
    try {
      fs.rmSync(path.join(schemaDir, 'persons'), { recursive: true });
      expect(() => readSubgraphSources(readConfig({ ONESOURCE_SCHEMA_DIR: schemaDir }))).toThrow(
        `persons: no SDL file at ${path.join(schemaDir, 'persons', 'schema.graphql')} (ONESOURCE_SCHEMA_DIR=${schemaDir}).`,
      );
    } finally {
      fs.rmSync(schemaDir, { recursive: true, force: true });
    }
  });
});
