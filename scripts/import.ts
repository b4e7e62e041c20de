import { Command, InvalidArgumentError } from 'commander';
import { readConfig } from '../shared/config';
import { storeExists, storeLocation } from '../shared/db';
import { DEPARTMENTS, DepartmentName, isDepartmentName } from '../shared/departments';
import { checkImportFile, DEFAULT_BATCH_SIZE, describeFields, describeReport, importFile, ImportReport, ImportRules, progressBar } from '../shared/importing';
import { openDepartmentStoreToLoad } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { creditEntryImport } from '../subgraphs/credit/import';
import { landParcelImport } from '../subgraphs/geo/import';
import { legalPersonImport } from '../subgraphs/legal-persons/import';
import { naturalPersonImport } from '../subgraphs/persons/import';
import { projectImport } from '../subgraphs/projects/import';
import { exitOnWrongUsage, exitWhenWritten } from './exit';
import { fromWhereRun } from './from-where-run';

/** What each department loads, into its own store only. */
const IMPORTS: Record<DepartmentName, ImportRules<any>> = {
  persons: naturalPersonImport,
  'legal-persons': legalPersonImport,
  geo: landParcelImport,
  projects: projectImport,
  credit: creditEntryImport,
};

/** 0: every row loaded. 1: rows rejected (all-or-nothing: none loaded; --skip-invalid: the good ones). 2: nothing could be loaded. A dry run exits as its load would. */
function exitCode(report: ImportReport): number {
  switch (report.outcome.kind) {
    case 'complete':
      return 0;
    case 'partial':
    case 'rejected':
      return 1;
    default:
      return 2;
  }
}

const columns = DEPARTMENTS.map(({ name }) => `  ${name.padEnd(13)} ${IMPORTS[name].entity}: ${describeFields(IMPORTS[name])}`).join('\n');

const program = new Command('import')
  .description("Load a CSV or JSONL file into one department's own store. A file with any bad row loads nothing. A load adds records: one already in the store is rejected (--skip-existing: passed over when its values are the same).")
  .argument('<subgraph>', `the department: ${DEPARTMENTS.map((d) => d.name).join(', ')}`, (name: string) => {
    if (!isDepartmentName(name)) throw new InvalidArgumentError(`one of ${DEPARTMENTS.map((d) => d.name).join(', ')}`);
    return name;
  })
  .argument('<file>', 'a .csv file (header line of field names) or a .jsonl file (one JSON object a line)')
  .option('--skip-invalid', 'load the good rows and write the bad ones to <file>.rejected.jsonl')
  .option('--skip-existing', 'pass over a record the store holds already with the same values (a stored record with other values is still rejected)')
  .option('--dry-run', 'do everything a load does (judge every row, check it against the store, insert it), then roll back: says what a load would do, changes nothing')
  .option('--batch-size <rows>', 'rows per multi-row insert', (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a whole number of rows, at least 1');
    return n;
  }, DEFAULT_BATCH_SIZE)
  .addHelpText('after', `\nFields (camelCase, as in the GraphQL schema; [optional]):\n${columns}\n\nAdministrative divisions are reference data (GB/T 2260) and are not importable.\nExit code: 0 all loaded, 1 rows rejected, 2 nothing could be loaded (--dry-run: as the load would).`)
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

async function main(): Promise<number> {
  program.parse();
  const [name, given] = program.processedArgs as [DepartmentName, string];
  // The rejected rows go beside the file this names.
  const file = fromWhereRun(given);
  const { skipInvalid, skipExisting, dryRun, batchSize } = program.opts<{ skipInvalid?: boolean; skipExisting?: boolean; dryRun?: boolean; batchSize: number }>();
  const rules = IMPORTS[name];

  const config = readConfig();
  const location = storeLocation(config, name);
  console.log(`${dryRun ? 'Dry run (nothing will change): loading' : 'Loading'} ${file} into ${name} (${rules.entity}) on ${location.client === 'mysql2' ? `MySQL database ${location.where}` : `SQLite ${location.where}`}`);
  // The file first: a store is opened (and, in a fresh data directory, created) only for a file that
  // can be loaded: readable text whose header (CSV) the department takes, with at least one record.
  const refusal = await checkImportFile(file, rules);
  if (refusal) {
    console.error(`Nothing loaded: ${refusal}`);
    return 2;
  }
  // A store this load creates stays, even when its rows are all refused: another load may have
  // written to it since (it waited for this one's lock), and removing the file then lost that
  // load's rows while it said they were loaded. An empty store is harmless: `npm start` seeds an
  // empty store where seeding is on, and a department serves nothing from it otherwise, as it
  // would from none.
  const creating = !dryRun && !(await storeExists(config, name));
  const opened = await openDepartmentStoreToLoad(config, departments[name], Boolean(dryRun));
  if ('refused' in opened) {
    console.error(`Nothing tried: ${opened.refused}`);
    return 2;
  }
  const { db } = opened;
  let report: ImportReport;
  try {
    report = await importFile(db, rules, file, { skipInvalid, skipExisting, dryRun, batchSize, progress: progressBar(name), fileChecked: true });
  } finally {
    await db.destroy();
  }
  const lines = describeReport(report);
  const summary = lines.pop()!;
  lines.forEach((line) => console.error(line));
  (report.outcome.kind === 'complete' || report.outcome.kind === 'partial' ? console.log : console.error)(summary);
  if (creating && !report.loaded) console.error(`The ${name} store was created for this load and is left empty.`);
  return exitCode(report);
}

main().then(
  exitWhenWritten,
  (e) => {
    console.error(`import failed: ${e.message}`);
    exitWhenWritten(2);
  },
);
