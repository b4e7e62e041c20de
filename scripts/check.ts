import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, DepartmentName, isDepartmentName, schemaPath } from '../shared/departments';
import { recordedOperations } from '../gateway/operations-recorder';
import { OWN_CONSUMERS, withOwnOperations } from '../gateway/own-operations';
import { storeLocation } from '../shared/db';
import { grantsInForce } from '../gateway/catalog/grants';
import { createConsumerRegistry } from '../gateway/consumers';
import { checkSchemaChange, currentSources, exitCodeOf, SchemaChangeReport } from '../gateway/schema-change';
import { schemaDirSetting, schemaFile } from '../gateway/supergraph';
import { openExistingGatewayStore } from './cli-options';
import { fromWhereRun } from './from-where-run';
import { exitOnWrongUsage, exitWhenWritten } from './exit';

/**
 * `npm run check -- <subgraph> [schema.graphql]`: before a department publishes a changed SDL.
 * Exit code: 0 safe (it composes and breaks no recorded operation), 1 it does not compose or it
 * breaks operations consumers have sent: they would no longer validate, or they use something
 * that changes (a field whose type changes or that becomes conditionally shared, an argument they
 * pass, ...) (with --strict: any breaking change), 2 the check could not run (unknown department,
 * no such file, the proposal is the very file the gateway composes from, the gateway's store
 * unreachable, or holding no operation of any consumer unless --without-consumers).
 */
const program = new Command('check')
  .description("Check a department's proposed SDL: composition, breaking changes, and the consumers whose recorded operations it would break.")
  .argument('<subgraph>', `the department: ${DEPARTMENTS.map((d) => d.name).join(', ')}`, (name: string) => {
    if (!isDepartmentName(name)) throw new InvalidArgumentError(`one of ${DEPARTMENTS.map((d) => d.name).join(', ')}`);
    return name;
  })
  .argument('[schema]', "the proposed SDL (default: the working copy subgraphs/<subgraph>/schema.graphql, against the SDL the gateway composes from ONESOURCE_SCHEMA_DIR, which must then be another directory)")
  .option('--strict', 'fail on any breaking change, not only those that break recorded operations')
  .option('--json', 'print the report as JSON')
  .option('--without-consumers', "check against OneSource's own operations alone, when no consumer has sent any yet")
  .addHelpText('after', '\nExit code: 0 safe, 1 does not compose or breaks recorded operations (--strict: any breaking change), 2 could not check.')
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

function describe(report: SchemaChangeReport): string[] {
  const lines: string[] = [];
  if (report.compositionErrors.length) {
    lines.push(`✗ ${report.subgraph}: the proposed SDL does not compose with the other subgraphs:`);
    report.compositionErrors.forEach((p) => lines.push(`  - ${p}`));
    return lines;
  }
  lines.push(`✓ ${report.subgraph}: the proposed SDL composes with the other subgraphs.`);
  if (report.breakingChanges.length) {
    lines.push(`Breaking changes (${report.breakingChanges.length}):`);
    report.breakingChanges.forEach((c) => lines.push(`  - ${c.type}: ${c.description}`));
  } else {
    lines.push('No breaking changes.');
  }
  if (report.dangerousChanges.length) {
    lines.push(`Dangerous changes (${report.dangerousChanges.length}):`);
    report.dangerousChanges.forEach((c) => {
      lines.push(`  - ${c.type}: ${c.description}`);
      if (c.readBy) lines.push(`      read by the recorded operations of ${c.readBy.join(', ')}`);
    });
  }
  if (report.brokenOperations.length) {
    lines.push(`✗ It breaks ${report.brokenOperations.length} recorded operation(s) of ${report.affectedConsumers.join(', ')}:`);
    for (const op of report.brokenOperations) {
      lines.push(`  - ${op.consumerId}: ${op.operationName ?? '(anonymous)'} [${op.operationHash.slice(0, 12)}]`);
      op.reasons.forEach((r) => lines.push(`      ${r}`));
      op.errors.forEach((e) => lines.push(`      ${e}`));
    }
  } else {
    // Where some read what a dangerous change touches, they use something it changes, though nothing it breaks.
    const uses = report.dangerousChanges.some((c) => c.readBy?.length) ? 'breaks (some read what a dangerous change above touches)' : 'changes';
    const which = report.invalidNow.length ? 'of consumers that validate against the current schema ' : 'of consumers ';
    lines.push(`✓ All ${report.operationsChecked} recorded operation(s) ${which}still validate, and none uses anything this ${uses}.`);
  }
  const remedies = new Map([...report.breakingChanges, ...report.dangerousChanges].flatMap((c) => (c.remedy ? [[c.type, c.remedy] as const] : [])));
  if (remedies.size) {
    lines.push('What to do:');
    remedies.forEach((remedy, type) => lines.push(`  - ${type}: ${remedy}`));
  }
  if (report.invalidNow.length) {
    lines.push(`⚠ ${report.invalidNow.length} recorded operation(s) do not validate against the current schema (ONESOURCE_SCHEMA_DIR), so this check cannot judge them: is that the SDL the gateway serves?`);
    for (const op of report.invalidNow) {
      lines.push(`  - ${op.consumerId}: ${op.operationName ?? '(anonymous)'} [${op.operationHash.slice(0, 12)}]`);
      op.errors.forEach((e) => lines.push(`      ${e}`));
    }
  }
  return lines;
}

/** Why `file` cannot be read as the proposed SDL, or null when it can be. */
function sdlFileProblem(file: string): string | null {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return `No such file: ${file}`;
  if (stat.isDirectory()) return `${file} is a directory: give the proposed SDL file (a .graphql file such as ${path.join(file, 'schema.graphql')})`;
  return null;
}

/** Are `a` and `b` the same file (through links and relative paths)? */
function sameFile(a: string, b: string): boolean {
  const real = (f: string) => {
    try {
      return fs.realpathSync(f);
    } catch {
      return path.resolve(f);
    }
  };
  return real(a) === real(b);
}

async function main(): Promise<number> {
  program.parse();
  const [name, file] = program.processedArgs as [DepartmentName, string | undefined];
  const { strict, json, withoutConsumers } = program.opts<{ strict?: boolean; json?: boolean; withoutConsumers?: boolean }>();
  const proposedFile = file === undefined ? path.resolve(schemaPath(name)) : fromWhereRun(file);
  const problem = sdlFileProblem(proposedFile);
  if (problem) {
    console.error(problem);
    return 2;
  }
  const config = readConfig();
  const published = schemaFile(config, name);
  if (sameFile(proposedFile, published)) {
    const setting = schemaDirSetting(config);
    console.error([
      `The proposal ${proposedFile} is the file the gateway composes ${name} from (${setting}): the check would compare it with itself and pass any change.`,
      `Leave that file as the gateway serves it and give the edited SDL as the proposal: npm run check -- ${name} path/to/edited/schema.graphql`,
      `(or point ONESOURCE_SCHEMA_DIR at the directory the gateway composes from). A gateway reading ${published} serves an edit made there already.`,
    ].join('\n'));
    return 2;
  }
  const current = currentSources(config);
  // Without the gateway's store there are no recorded operations to check against: saying "none
  // breaks" would call any change safe.
  const db = await openExistingGatewayStore(config);
  try {
    const recorded = await recordedOperations(db);
    // A store no consumer's operation is in (a gateway started for the purpose, another
    // environment's) would call any change safe for the consumers: said, not passed.
    if (!withoutConsumers && !recorded.some((op) => !OWN_CONSUMERS.has(op.consumerId))) {
      console.error([
        `The gateway's store (${storeLocation(config, 'gateway').where}) holds no operation any consumer has sent: this check could not tell which consumers a change breaks, and would pass any change.`,
        "Point ONESOURCE_DATA_DIR (or the MySQL settings) at the store of the gateway that serves the consumers, or, if none has sent anything yet, add --without-consumers to check against OneSource's own operations alone.",
      ].join('\n'));
      return 2;
    }
    const operations = withOwnOperations(recorded);
    const operators = new Map((await createConsumerRegistry(db).all()).flatMap((c) => (c.department ? [[c.id, c.department] as const] : [])));
    const report = checkSchemaChange({ current, subgraph: name, proposedSdl: fs.readFileSync(proposedFile, 'utf8'), proposedFile, operations, grants: await grantsInForce(db), operators });
    const code = exitCodeOf(report, strict);
    if (json) console.log(JSON.stringify({ ...report, exitCode: code }, null, 2));
    else describe(report).forEach((line) => (code ? console.error : console.log)(line));
    return code;
  } finally {
    await db.destroy();
  }
}

main().then(
  exitWhenWritten,
  (e) => {
    console.error(e instanceof Error ? e.message : e);
    exitWhenWritten(2);
  },
);
