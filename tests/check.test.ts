import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import { recordedOperations } from '../gateway/operations-recorder';
import { checkSchemaChange, currentSources, exitCodeOf } from '../gateway/schema-change';
import { openGatewayStore } from '../gateway/store';
import { describeWithStore, Stack, startStack, StoreKind } from './support/stack';

const run = promisify(execFile);
const PERSONS_SDL = fs.readFileSync(path.join(__dirname, '..', 'subgraphs', 'persons', 'schema.graphql'), 'utf8');

const CONTACT_CHECK = `query ContactCheck($id: ID!) { naturalPerson(idNumber: $id) { name mobilePhone } }`;
const PORTAL_PERSON = `query PortalPerson($id: ID!) { naturalPerson(idNumber: $id) { name gender } }`;

function edited(edits: [string, string][]): string {
  let sdl = PERSONS_SDL;
  for (const [from, to] of edits) {
    if (!sdl.includes(from)) throw new Error(`persons SDL has no ${from}`);
    // An edit meant for one field must not land on another written alike.
    if (sdl.indexOf(from) !== sdl.lastIndexOf(from)) throw new Error(`persons SDL has ${from} more than once: give more of its context`);
    sdl = sdl.replace(from, to);
  }
  return sdl;
}

const WITHOUT_MOBILE_PHONE = edited([
  ['  "Registered mobile phone number. Conditional: resource persons.contact-details."\n  mobilePhone: String @policy(policies: [["persons.contact-details"]]) @catalog(mask: "PHONE")\n', ''],
]);
const WITH_NATIONALITY = edited([['  birthDate: Date!\n', '  birthDate: Date!\n  "民族"\n  ethnicGroup: String\n']]);
const NOT_COMPOSING = edited([
  ['type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!', 'type AdministrativeDivision @key(fields: "code", resolvable: false) {\n  code: ID!\n  name: String!'],
]);

function defineCheckSuite(store: StoreKind) {
  describeWithStore(store, 'npm run check: safe schema change', () => {
    let stack: Stack;
    let gatewayDb: Knex;
    let dir: string;
    let idNumber: string;

    const proposal = (name: string, sdl: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, sdl);
      return file;
    };
    const check = (...args: string[]) => checkIn({}, ...args);
    const checkIn = (env: NodeJS.ProcessEnv, ...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', 'scripts', 'check.ts'), ...args], { env: { ...stack.env, ...env } }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-check-'));
      stack = await startStack({ store, mode: 'in-process' });
      gatewayDb = await openGatewayStore(stack.config);
      const page = await stack.query(`{ investmentProjects(first: 1) { edges { node { applicant { legalRepresentative { idNumber } } } } } }`);
      idNumber = page.data.investmentProjects.edges[0].node.applicant.legalRepresentative.idNumber;
      // drc-approval reads the mobile phone; market-portal only names and genders (twice: recorded once).
      expect((await stack.query(CONTACT_CHECK, { id: idNumber })).errors).toBeUndefined();
      for (let i = 0; i < 2; i++) {
        expect((await stack.query(PORTAL_PERSON, { id: idNumber }, await stack.as('market-portal'))).errors).toBeUndefined();
      }
    }, 300_000);
    afterAll(async () => {
      await gatewayDb?.destroy();
      await stack?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('records each distinct operation each consumer sends, once', async () => {
      const recorded = await recordedOperations(gatewayDb);
      const portal = recorded.filter((r) => r.consumerId === 'market-portal');
      expect(portal).toHaveLength(1);
      expect(portal[0]).toMatchObject({ operationName: 'PortalPerson', document: PORTAL_PERSON });
      expect(portal[0].operationHash).toMatch(/^[0-9a-f]{64}$/);
      expect(recorded.filter((r) => r.consumerId === 'drc-approval').map((r) => r.operationName)).toContain('ContactCheck');
    });

    it('keeps no literal idNumber of an operation it records', async () => {
      const literal = `query LiteralLookup { naturalPerson(idNumber: "${idNumber}") { name } }`;
      expect((await stack.query(literal, {}, await stack.as('market-portal'))).errors).toBeUndefined();
      const recorded = (await recordedOperations(gatewayDb)).find((r) => r.operationName === 'LiteralLookup');
      expect(recorded?.document).toContain('naturalPerson(idNumber: "")');
      const stored = await gatewayDb('recorded_operations').select('document');
      expect(JSON.stringify(stored)).not.toContain(idNumber);
    });

    it('catches a removed field used by a recorded operation and names the consumer', async () => {
      const { code, out } = await check('persons', proposal('without-mobile-phone.graphql', WITHOUT_MOBILE_PHONE));
      expect(code).toBe(1);
      expect(out).toContain('FIELD_REMOVED: NaturalPerson.mobilePhone was removed.');
      expect(out).toMatch(/drc-approval: ContactCheck/);
      expect(out).toMatch(/Cannot query field "mobilePhone" on type "NaturalPerson"/);
      expect(out).not.toMatch(/market-portal/);
      // What the department does instead, once per kind of change.
      expect(out).toMatch(/\nWhat to do:\n  - FIELD_REMOVED: mark it @deprecated\(reason: "…"\) first, saying what to use instead, and remove it once usageReport shows no consumer reads it/);
    });

    const checkWith = async (proposedSdl: string) =>
      checkSchemaChange({ current: currentSources(stack.config), subgraph: 'persons', proposedSdl, operations: await recordedOperations(gatewayDb) });

    it('passes a harmless additive change', async () => {
      const report = await checkWith(WITH_NATIONALITY);
      expect(report).toMatchObject({ compositionErrors: [], breakingChanges: [], brokenOperations: [], affectedConsumers: [] });
      expect(report.operationsChecked).toBeGreaterThanOrEqual(3);
      expect(exitCodeOf(report, true)).toBe(0);
    });

    it('reports a composition error', async () => {
      const report = await checkWith(NOT_COMPOSING);
      expect(report.compositionErrors.join('\n')).toMatch(/AdministrativeDivision\.name/);
      expect(exitCodeOf(report)).toBe(1);
    });

    it('judges the schema consumers are served: relaxing a field they already see as nullable breaks nothing', async () => {
      // NaturalPerson.name is nullable in what the gateway serves (persons may fail to deliver it).
      const relaxed = await checkWith(edited([['  "姓名"\n  name: String!\n', '  "姓名"\n  name: String\n']]));
      expect(relaxed.compositionErrors).toEqual([]);
      expect(relaxed.breakingChanges).toEqual([]);
      expect(relaxed.brokenOperations).toEqual([]);
      // What does change, null without an error, is listed as dangerous.
      expect(relaxed.dangerousChanges).toContainEqual(expect.objectContaining({
        type: 'FIELD_NULLABLE_AT_SOURCE',
        description: 'NaturalPerson.name changes from String! to String in persons: consumers are served it nullable already, but may now get null without an error.',
      }));
      expect(exitCodeOf(relaxed, true)).toBe(0);
    });

    it('lists a field its department comes to declare non-null as dangerous: a stored null would then fail the record', async () => {
      const tightened = await checkWith(edited([['  "Date of death, when status is DECEASED."\n  deceasedOn: Date\n', '  "Date of death, when status is DECEASED."\n  deceasedOn: Date!\n']]));
      expect(tightened.compositionErrors).toEqual([]);
      expect(tightened.dangerousChanges).toContainEqual({
        type: 'FIELD_NON_NULL_AT_SOURCE',
        description: 'NaturalPerson.deceasedOn changes from Date to Date! in persons: consumers are still served it nullable, but wherever persons answers null for it '
          + '(a record stored without it) its answer for that record now fails, and consumers lose every field of it persons serves, with SUBGRAPH_UNAVAILABLE.',
        remedy: 'load the missing values first (npm run import), and publish it once no stored record lacks it.',
      });
    });

    it('fails a type change of a field recorded operations select, naming each consumer, operation and why', async () => {
      // Still valid GraphQL for `{ name }`, but the answers change shape.
      const { code, out } = await check('persons', proposal('name-list.graphql', edited([['  "姓名"\n  name: String!\n', '  "姓名"\n  name: [String!]!\n']])));
      expect(code).toBe(1);
      expect(out).toContain('FIELD_CHANGED_KIND: NaturalPerson.name changed type from String to [String!].');
      // contract and playground: OneSource's own operations (own-operations.ts), judged beside the recorded ones.
      expect(out).toMatch(/✗ It breaks \d+ recorded operation\(s\) of contract, drc-approval, market-portal, playground:/);
      expect(out).toMatch(/drc-approval: ContactCheck \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.name, whose type changes from String to \[String!\]\n/);
      expect(out).toMatch(/market-portal: PortalPerson \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.name, whose type changes from String to \[String!\]\n/);
      expect(out).not.toMatch(/still validate/);
    });

    it('passes the same kind of change to a field no recorded operation selects, listing it (strict fails)', async () => {
      const report = await checkWith(edited([
        ['  "Date of death, when status is DECEASED."\n  deceasedOn: Date\n', '  "Date of death, when status is DECEASED."\n  deceasedOn: [Date] @policy(policies: [["persons.contact-details"]])\n'],
      ]));
      expect(report.breakingChanges).toEqual([
        { type: 'FIELD_CHANGED_KIND', description: 'NaturalPerson.deceasedOn changed type from Date to [Date].', remedy: expect.stringMatching(/^leave the field as it is and add one with the new type beside it/) },
        expect.objectContaining({ type: 'FIELD_BECAME_CONDITIONAL', description: expect.stringMatching(/^NaturalPerson\.deceasedOn becomes conditionally shared \(persons\.contact-details\)/) }),
      ]);
      expect(report.brokenOperations).toEqual([]);
      expect(report.operationsChecked).toBeGreaterThanOrEqual(3);
      expect(exitCodeOf(report)).toBe(0);
      expect(exitCodeOf(report, true)).toBe(1);
    });

    it('fails a field recorded operations select becoming conditionally shared: its consumers without the grant would get null', async () => {
      const { code, out } = await check('persons', proposal('gender-conditional.graphql', edited([
        ['  gender: Gender!\n  birthDate', '  gender: Gender! @policy(policies: [["persons.contact-details"]])\n  birthDate'],
      ])));
      expect(code).toBe(1);
      expect(out).not.toContain('No breaking changes');
      expect(out).toMatch(/FIELD_BECAME_CONDITIONAL: NaturalPerson\.gender becomes conditionally shared \(persons\.contact-details\)/);
      expect(out).toMatch(/market-portal: PortalPerson \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.gender, which becomes conditionally shared \(persons\.contact-details\): consumers without that grant get null/);
      expect(out).not.toMatch(/drc-approval/); // ContactCheck reads no gender
      expect(out).toMatch(/  - FIELD_BECAME_CONDITIONAL: tell the consumers that read it \(usageReport fieldReaders\): each applies for the grant \(applyForAccess\)/);
    });

    it('says when the resource a field comes to need is not published yet, and how to bring it in first', async () => {
      const report = await checkWith(edited([['  gender: Gender!\n  birthDate', '  gender: Gender! @policy(policies: [["persons.gender"]])\n  birthDate']]));
      expect(report.breakingChanges).toEqual([expect.objectContaining({
        type: 'FIELD_BECAME_CONDITIONAL',
        description: expect.stringMatching(/persons\.gender is a resource not published yet: consumers can apply for it only once this is published\.$/),
        remedy: expect.stringMatching(/Where the change says its resource is not published yet, no one can apply for it: publish it first on a new field, and make this one conditional once the grants are given\.$/),
      })]);
    });

    it('counts no break for a consumer that already holds the grant a field comes to need', async () => {
      // drc-approval holds persons.contact-details (seeded); market-portal does not.
      const { code, out } = await check('persons', proposal('name-conditional.graphql', edited([
        ['  "姓名"\n  name: String!\n', '  "姓名"\n  name: String! @policy(policies: [["persons.contact-details"]])\n'],
      ])));
      expect(code).toBe(1);
      expect(out).toMatch(/market-portal: PortalPerson \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.name, which becomes conditionally shared/);
      expect(out).not.toMatch(/drc-approval: /);
    });

    it("counts no break for the department's own operators, who read its conditional fields without a grant", async () => {
      // Only birthDate: no other test here changes it, so these operations change no other test's report.
      const OPERATOR_PERSON = `query OperatorPerson($id: ID!) { naturalPerson(idNumber: $id) { birthDate } }`;
      for (const operator of ['dept-persons', 'dept-legal-persons']) {
        expect((await stack.query(OPERATOR_PERSON, { id: idNumber }, await stack.as(operator, '户籍核查'))).errors).toBeUndefined();
      }
      const { code, out } = await check('persons', proposal('birth-date-conditional.graphql', edited([
        ['  birthDate: Date!\n', '  birthDate: Date! @policy(policies: [["persons.contact-details"]])\n'],
      ])));
      expect(code).toBe(1);
      // Market Regulation's operator is any consumer of Public Security's data: it would need the grant.
      expect(out).toMatch(/dept-legal-persons: OperatorPerson \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.birthDate, which becomes conditionally shared/);
      expect(out).not.toMatch(/dept-persons: /);
    });

    it('fails a field becoming conditionally shared for an operation its consumer holds the grant for but sends without a purpose', async () => {
      // drc-approval holds persons.contact-details, and sends this one without X-Purpose.
      const NAME_ONLY = `query NameOnly($id: ID!) { naturalPerson(idNumber: $id) { name } }`;
      expect((await stack.query(NAME_ONLY, { id: idNumber }, await stack.as('drc-approval'))).errors).toBeUndefined();
      const recorded = (await recordedOperations(gatewayDb)).filter((r) => r.consumerId === 'drc-approval');
      expect(recorded.find((r) => r.operationName === 'NameOnly')?.lastWithoutPurpose).toMatch(/^\d{4}-\d{2}-\d{2}T/);
      expect(recorded.find((r) => r.operationName === 'ContactCheck')?.lastWithoutPurpose).toBeNull();

      const { code, out } = await check('persons', proposal('name-conditional-purpose.graphql', edited([
        ['  "姓名"\n  name: String!\n', '  "姓名"\n  name: String! @policy(policies: [["persons.contact-details"]])\n'],
      ])));
      expect(code).toBe(1);
      expect(out).toMatch(/drc-approval: NameOnly \[[0-9a-f]{12}\]\n {6}selects NaturalPerson\.name, which becomes conditionally shared: its consumer may read it \(a grant, or its own department's\), but sent this operation without a purpose \(X-Purpose, last on \d{4}-\d{2}-\d{2}\), and would get null \(FORBIDDEN\) there until it states one/);
      expect(out).not.toMatch(/drc-approval: ContactCheck/);
    });

    it('fails removing an enum value the answers of a recorded operation may hold', async () => {
      const report = await checkWith(edited([['enum Gender {\n  MALE\n  FEMALE\n}', 'enum Gender {\n  MALE\n}']]));
      expect(report.breakingChanges.map((c) => c.description)).toEqual(['FEMALE was removed from enum type Gender.']);
      expect(report.brokenOperations).toContainEqual(expect.objectContaining({
        consumerId: 'market-portal', operationName: 'PortalPerson', errors: [],
        reasons: ['selects NaturalPerson.gender, whose type Gender loses the value FEMALE, which its answers may hold'],
      }));
      expect(report.affectedConsumers).toEqual(['market-portal']);
      expect(exitCodeOf(report)).toBe(1);
    });

    it('names the consumers whose recorded operations read an enum given a new value', async () => {
      const { code, out } = await check('persons', proposal('gender-unknown.graphql', edited([['enum Gender {\n  MALE\n  FEMALE\n}', 'enum Gender {\n  MALE\n  FEMALE\n  UNKNOWN\n}']])));
      expect(code).toBe(0);
      expect(out).toMatch(/VALUE_ADDED_TO_ENUM: UNKNOWN was added to enum type Gender\.\n {6}read by the recorded operations of .*market-portal/);
      expect(out).toMatch(/none uses anything this breaks \(some read what a dangerous change above touches\)\./);
    });

    it('passes an added optional field and argument on what recorded operations use, saying nothing they use changes', async () => {
      const additive = edited([
        ['  naturalPerson(idNumber: ID!): NaturalPerson\n', '  naturalPerson(idNumber: ID!, asOf: Date): NaturalPerson\n'],
        ['  birthDate: Date!\n', '  birthDate: Date!\n  "民族"\n  ethnicGroup: String\n'],
      ]);
      const { code, out } = await check('persons', proposal('additive.graphql', additive), '--strict');
      expect(code).toBe(0);
      expect(out).toContain('No breaking changes.');
      expect(out).toContain('OPTIONAL_ARG_ADDED: An optional arg asOf on Query.naturalPerson was added.');
      expect(out).toMatch(/✓ All \d+ recorded operation\(s\) of consumers still validate, and none uses anything this changes\./);
    });

    /** A copy of the five published SDL files in a schema directory of its own, `persons` as given. */
    const publishedDir = (name: string, personsSdl: string) => {
      const schemaDir = path.join(dir, name);
      for (const department of ['persons', 'legal-persons', 'geo', 'projects', 'credit']) {
        fs.mkdirSync(path.join(schemaDir, department), { recursive: true });
        const sdl = department === 'persons' ? personsSdl : fs.readFileSync(path.join(__dirname, '..', 'subgraphs', department, 'schema.graphql'), 'utf8');
        fs.writeFileSync(path.join(schemaDir, department, 'schema.graphql'), sdl);
      }
      return schemaDir;
    };

    it('refuses to compare the SDL the gateway composes from with itself', async () => {
      // ONESOURCE_SCHEMA_DIR unset: the working copy is the published file, whatever was edited in it.
      const { code, out } = await check('legal-persons');
      expect(code).toBe(2);
      expect(out).toMatch(/legal-persons\/schema\.graphql is the file the gateway composes legal-persons from \(ONESOURCE_SCHEMA_DIR is not set/);
      expect(out).toMatch(/give the edited SDL as the proposal: npm run check -- legal-persons path\/to\/edited\/schema\.graphql/);
      expect(out).not.toMatch(/No breaking changes|still validate/);
      // The same file named as the proposal, through the schema directory.
      const schemaDir = publishedDir('published-same', PERSONS_SDL);
      const same = await checkIn({ ONESOURCE_SCHEMA_DIR: schemaDir }, 'persons', path.join(schemaDir, 'persons', '..', 'persons', 'schema.graphql'));
      expect(same.code).toBe(2);
      expect(same.out).toContain(`(ONESOURCE_SCHEMA_DIR=${schemaDir})`);
    });

    it('checks the working copy against the SDL in ONESOURCE_SCHEMA_DIR when that is elsewhere', async () => {
      // Published: persons with a field the working copy no longer has.
      const env = { ONESOURCE_SCHEMA_DIR: publishedDir('published-ethnic', WITH_NATIONALITY) };
      const { code, out } = await checkIn(env, 'persons');
      expect(out).toContain('FIELD_REMOVED: NaturalPerson.ethnicGroup was removed.');
      expect(code).toBe(0); // no recorded operation selects it
      expect((await checkIn(env, 'persons', '--strict')).code).toBe(1);
    });

    it('lists recorded operations that do not validate against the current schema instead of leaving them out of the count', async () => {
      // Published without mobilePhone, which drc-approval's ContactCheck selects.
      const env = { ONESOURCE_SCHEMA_DIR: publishedDir('published-no-phone', WITHOUT_MOBILE_PHONE) };
      const { out } = await checkIn(env, 'persons');
      expect(out).toMatch(/⚠ 1 recorded operation\(s\) do not validate against the current schema \(ONESOURCE_SCHEMA_DIR\), so this check cannot judge them/);
      expect(out).toMatch(/drc-approval: ContactCheck \[[0-9a-f]{12}\]\n {6}Cannot query field "mobilePhone" on type "NaturalPerson"/);
      expect(out).not.toMatch(/of consumers still validate/);
      const report = checkSchemaChange({
        current: currentSources({ ...stack.config, schemaDir: env.ONESOURCE_SCHEMA_DIR }), subgraph: 'persons', proposedSdl: PERSONS_SDL, operations: await recordedOperations(gatewayDb),
      });
      expect(report.invalidNow).toEqual([expect.objectContaining({ consumerId: 'drc-approval', operationName: 'ContactCheck' })]);
    });

    it('says where the proposal does not parse: file, line and column', async () => {
      const file = proposal('syntax.graphql', edited([['enum Gender {\n  MALE\n', 'enum Gender {\n  "男"\n  "男"\n  MALE\n']]));
      const line = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l === '  "男"') + 2;
      const { code, out } = await check('persons', file);
      expect(code).toBe(1);
      expect(out).toContain(`- persons: ${file}:${line}:3: Syntax Error: Expected Name, found String "男".`);
    });

    it('names a published schema file that is missing and the setting that points there', async () => {
      const schemaDir = publishedDir('published-no-credit', PERSONS_SDL);
      fs.rmSync(path.join(schemaDir, 'credit'), { recursive: true });
      const { code, out } = await checkIn({ ONESOURCE_SCHEMA_DIR: schemaDir }, 'persons');
      expect(code).toBe(2);
      expect(out).toContain(`credit: no SDL file at ${path.join(schemaDir, 'credit', 'schema.graphql')} (ONESOURCE_SCHEMA_DIR=${schemaDir}).`);
      expect(out).not.toMatch(/ENOENT/);
    });

    it("judges OneSource's own operations too, before any has been sent: the consistency checks' and the playground's", async () => {
      // No consistency run has gone through this stack: its operations are not recorded, and still count.
      expect((await recordedOperations(gatewayDb)).some((r) => r.consumerId === 'data-quality')).toBe(false);
      const geo = fs.readFileSync(path.join(__dirname, '..', 'subgraphs', 'geo', 'schema.graphql'), 'utf8');
      const withoutLevel = geo.replace(/\n  level: DivisionLevel!\n/, '\n');
      expect(withoutLevel).not.toBe(geo);
      const { code, out } = await check('geo', proposal('without-level.graphql', withoutLevel));
      expect(code).toBe(1);
      expect(out).toMatch(/data-quality: ConsistencyProjects/);
      // The contract promises AdministrativeDivision.level too.
      expect(out).toMatch(/contract: ContractGeo/);
      expect(out).toMatch(/Cannot query field "level" on type "AdministrativeDivision"/);
    });

    it('a breaking change no recorded operation uses passes, unless strict', async () => {
      const report = await checkWith(edited([['  "Date of death, when status is DECEASED."\n  deceasedOn: Date\n', '']]));
      expect(report.breakingChanges.map((c) => c.description)).toEqual(['NaturalPerson.deceasedOn was removed.']);
      expect(report.brokenOperations).toEqual([]);
      expect(exitCodeOf(report)).toBe(0);
      expect(exitCodeOf(report, true)).toBe(1);
    });
  });
}

defineCheckSuite('sqlite');
defineCheckSuite('mysql');
