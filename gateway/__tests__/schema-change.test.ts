import fs from 'node:fs';
import { readConfig } from '../../shared/config';
import { schemaPath } from '../../shared/departments';
import { checkSchemaChange, currentSources, exitCodeOf, RecordedDocument } from '../schema-change';

/**
 * How `npm run check` judges a recorded operation against a changed argument of
 * Query.allLegalPersons(first: Int = 100, after: String, status: LegalPersonStatus): by what the
 * operation passes, not only by the argument's type.
 */
describe('schema change: arguments judged by what recorded operations pass', () => {
  const current = currentSources(readConfig({}));
  const LEGAL_PERSONS_SDL = fs.readFileSync(schemaPath('legal-persons'), 'utf8');
  const SIGNATURE = 'allLegalPersons(first: Int = 100, after: String, status: LegalPersonStatus)';
  const withSignature = (signature: string) => {
    expect(LEGAL_PERSONS_SDL).toContain(SIGNATURE);
    return LEGAL_PERSONS_SDL.replace(SIGNATURE, signature);
  };
  const op = (operationName: string, document: string): RecordedDocument => ({ consumerId: operationName.toLowerCase(), operationName, operationHash: operationName.padEnd(64, '0'), document });
  const OPERATIONS = [
    op('Literal', '{ allLegalPersons(first: 2) { pageInfo { hasNextPage } } }'),
    op('Omitted', '{ allLegalPersons { pageInfo { hasNextPage } } }'),
    op('NonNullVariable', 'query NonNullVariable($n: Int!) { allLegalPersons(first: $n) { pageInfo { hasNextPage } } }'),
    op('NullableVariable', 'query NullableVariable($n: Int) { allLegalPersons(first: $n) { pageInfo { hasNextPage } } }'),
    op('VariableWithDefault', 'query VariableWithDefault($n: Int = 5) { allLegalPersons(first: $n) { pageInfo { hasNextPage } } }'),
    op('ExplicitNull', '{ allLegalPersons(first: null) { pageInfo { hasNextPage } } }'),
    op('StatusVariable', 'query StatusVariable($s: LegalPersonStatus) { allLegalPersons(status: $s) { pageInfo { hasNextPage } } }'),
    op('StatusLiteral', '{ allLegalPersons(status: ACTIVE) { pageInfo { hasNextPage } } }'),
  ];
  const broken = (signature: string) => {
    const report = checkSchemaChange({ current, subgraph: 'legal-persons', proposedSdl: withSignature(signature), operations: OPERATIONS });
    expect(report.compositionErrors).toEqual([]);
    expect(report.invalidNow).toEqual([]);
    expect(report.operationsChecked).toBe(OPERATIONS.length);
    return Object.fromEntries(report.brokenOperations.map((o) => [o.operationName, [...o.errors, ...o.reasons]]));
  };

  it('an argument made non-null that keeps its default breaks only operations that may pass null', () => {
    expect(broken('allLegalPersons(first: Int! = 100, after: String, status: LegalPersonStatus)')).toEqual({
      NullableVariable: ['passes Query.allLegalPersons(first:), whose type changes from Int to Int!: a null sent for its variable is refused'],
      // `$n: Int = 5` may still be sent as null.
      VariableWithDefault: ['passes Query.allLegalPersons(first:), whose type changes from Int to Int!: a null sent for its variable is refused'],
      ExplicitNull: [expect.stringMatching(/Expected value of type "Int!", found null/), 'passes Query.allLegalPersons(first:), whose type changes from Int to Int!'],
    });
  });

  it('a changed default concerns operations that leave the argument out, and those passing an optional variable without a default of its own', () => {
    expect(broken('allLegalPersons(first: Int = 10, after: String, status: LegalPersonStatus)')).toEqual({
      Omitted: ['leaves Query.allLegalPersons(first:) to its default, which changes from 100 to 10'],
      NullableVariable: ["passes Query.allLegalPersons(first:) the optional variable $n: when it is left out the argument's default applies, which changes from 100 to 10"],
      // They leave first out too.
      StatusVariable: ['leaves Query.allLegalPersons(first:) to its default, which changes from 100 to 10'],
      StatusLiteral: ['leaves Query.allLegalPersons(first:) to its default, which changes from 100 to 10'],
    });
    // Not: the literal 2, the non-null $n, nor $n with a default of its own (5 when left out).
  });

  it('a default added to an argument reaches the operations that pass it as an optional variable', () => {
    const byStatus = broken('allLegalPersons(first: Int = 100, after: String, status: LegalPersonStatus = ACTIVE)');
    expect(byStatus.StatusVariable).toEqual(["passes Query.allLegalPersons(status:) the optional variable $s: when it is left out the argument's default applies, which changes from (none) to ACTIVE"]);
    expect(byStatus.StatusLiteral).toBeUndefined();
    expect(byStatus.Omitted).toEqual(['leaves Query.allLegalPersons(status:) to its default, which changes from (none) to ACTIVE']);
  });
});

describe('schema change: a field taken over by another department', () => {
  it('does not compose (一数一源): the gateway would refuse it, so check refuses it too', () => {
    const current = currentSources(readConfig({}));
    const sdl = fs.readFileSync(schemaPath('legal-persons'), 'utf8')
      .replace('import: ["@key", "@policy",', 'import: ["@key", "@override", "@policy",')
      .replace('type NaturalPerson @key(fields: "idNumber") {\n  idNumber: ID!\n', 'type NaturalPerson @key(fields: "idNumber") {\n  idNumber: ID!\n  householdAddress: String @override(from: "persons")\n');
    const reader: RecordedDocument = { consumerId: 'drc-approval', operationName: 'Address', operationHash: 'a'.repeat(64), document: 'query Address($id: ID!) { naturalPerson(idNumber: $id) { householdAddress } }' };
    const report = checkSchemaChange({ current, subgraph: 'legal-persons', proposedSdl: sdl, operations: [reader] });
    expect(report.compositionErrors).toEqual([
      'FIELD_OVERRIDDEN: NaturalPerson.householdAddress is taken over by legal-persons from persons (@override): one source per data item (一数一源), so persons, which holds it, resolves it. '
        + 'If it truly moves, legal-persons declares it without @override and persons publishes its SDL without it: until both have, the SDLs do not compose and the gateway keeps serving the supergraph it has',
    ]);
    expect(exitCodeOf(report)).toBe(1);
  });
});

describe('schema change: a field made non-null at its source', () => {
  it('names the consumers whose recorded operations select it', () => {
    const current = currentSources(readConfig({}));
    const sdl = fs.readFileSync(schemaPath('persons'), 'utf8');
    const at = sdl.indexOf('\n  deceasedOn: Date\n', sdl.indexOf('\ntype NaturalPerson '));
    expect(at).toBeGreaterThan(0);
    const reader: RecordedDocument = { consumerId: 'drc-approval', operationName: 'D', operationHash: 'c'.repeat(64), document: 'query D($id: ID!) { naturalPerson(idNumber: $id) { deceasedOn } }' };
    const bystander: RecordedDocument = { consumerId: 'market-portal', operationName: 'Name', operationHash: 'd'.repeat(64), document: 'query Name($id: ID!) { naturalPerson(idNumber: $id) { name } }' };
    const report = checkSchemaChange({ current, subgraph: 'persons', proposedSdl: `${sdl.slice(0, at)}\n  deceasedOn: Date!\n${sdl.slice(at + '\n  deceasedOn: Date\n'.length)}`, operations: [reader, bystander] });
    expect(report.dangerousChanges).toContainEqual(expect.objectContaining({ type: 'FIELD_NON_NULL_AT_SOURCE', readBy: ['drc-approval'] }));
  });
});

describe('schema change: while a published SDL does not compose', () => {
  it('says that the published schemas are broken, not that the proposal is', () => {
    const current = currentSources(readConfig({})).map((s) => (s.name === 'persons' ? { ...s, sdl: `${s.sdl}\ntype Broken {` } : s));
    const geo = current.find((s) => s.name === 'geo')!;
    expect(() => checkSchemaChange({ current, subgraph: 'geo', proposedSdl: geo.sdl, operations: [] }))
      .toThrow(/^The published subgraph schemas do not compose, so the gateway still serves the supergraph it composed before them, and there is nothing to check geo's proposal against:\n  - persons/);
  });
});
