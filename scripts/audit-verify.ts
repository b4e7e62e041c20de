import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { ChainAnchor, ChainReport, parseAnchor, verifyAuditTrail } from '../gateway/audit/verify';
import { openExistingGatewayStore } from './cli-options';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run audit:verify`: walks the hash chain and names the first record changed, removed or
 * reordered; then checks the index of who was read (`audit_subjects`, what `accessLog` answers from)
 * against the trail and names the first record whose row is missing or unexplained.
 * On success it prints the head (`record:hash`) for the auditor to keep outside the database: passed
 * back with `--anchor`, it shows a trail rewritten behind the triggers, which the chain alone cannot.
 * Exit code: 0 intact, 1 broken, 2 could not verify (bad arguments, no gateway store, store unreachable).
 */
const program = new Command('audit:verify')
  .description("Verify the gateway's audit trail: every record's hash and its link to the one before, and the index of who was read against the records.")
  .option('--anchor <record:hash>', 'a head printed by an earlier run and kept outside the database: the record must still have that hash (repeatable)', collectAnchor, [] as ChainAnchor[])
  .addHelpText('after', '\nExit code: 0 intact, 1 broken (naming the first record changed, removed or moved, or whose row in the index of who was read is missing or unexplained), 2 could not verify.')
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

async function main() {
  program.parse();
  const { anchor: anchors } = program.opts<{ anchor: ChainAnchor[] }>();
  const db = await openExistingGatewayStore(readConfig());
  try {
    const { chain, index } = await verifyAuditTrail(db, anchors);
    if (chain.problem) {
      // A rewrite keeps every link: the records before the one named are not known to be good.
      console.error(chain.problem.kind === 'REWRITTEN' ? `AUDIT TRAIL BROKEN: ${chain.problem.message}` : `AUDIT TRAIL BROKEN after ${chain.records} good records: ${chain.problem.message}`);
      process.exitCode = 1;
    } else if (index?.problem) {
      console.error(`AUDIT TRAIL BROKEN in its index of who was read (the chain of ${chain.records} records is intact): ${index.problem.message}`);
      process.exitCode = 1;
    } else {
      console.log(`Audit trail intact: ${chain.records} records, every hash and link verified; the index of who was read checked too (${index?.indexedSeq ?? 0} records indexed, no row missing or unexplained).`);
      for (const line of notes(chain)) console.log(line);
    }
  } finally {
    await db.destroy();
  }
}

function collectAnchor(text: string, anchors: ChainAnchor[]): ChainAnchor[] {
  const anchor = parseAnchor(text);
  if ('error' in anchor) program.error(`--anchor: ${anchor.error}`);
  return [...anchors, anchor as ChainAnchor];
}

/** What an intact trail's report adds: where it starts, what the kept heads vouched for, the head to keep. */
function notes(chain: ChainReport): string[] {
  const lines: string[] = [];
  if (chain.from > 1) {
    const proof = chain.purgeProof
      ? `the last of them, written ${chain.purgeProof.at}, was past retention, as the record the purge kept shows (its hash is the cut's)`
      : 'that purge ran before purges kept the record they cut after (migration 014), so its cut is taken on its word';
    lines.push(`Records 1 to ${chain.from - 1} were removed under the three-year retention (npm run audit:purge, ${chain.purgedAt}): ${proof}. The chain is verified from record ${chain.from}, behind the cut's hash.`);
  }
  if (chain.anchors.matched.length) lines.push(`Kept heads matched: record${chain.anchors.matched.length > 1 ? 's' : ''} ${chain.anchors.matched.join(', ')}: the trail up to ${chain.anchors.matched.length > 1 ? 'them' : 'it'} is as it was when kept.`);
  if (chain.anchors.purged.length) lines.push(`Kept heads removed under retention, vouching for nothing now: record${chain.anchors.purged.length > 1 ? 's' : ''} ${chain.anchors.purged.join(', ')}.`);
  if (chain.head) lines.push(`Head: ${chain.head.seq}:${chain.head.hash}\nKeep this line outside the database and pass it next time as --anchor ${chain.head.seq}:${chain.head.hash}: a trail rewritten behind the triggers, which the chain alone cannot show, then fails.`);
  return lines;
}

main().catch((e) => {
  console.error(`audit:verify failed: ${e.message}`);
  process.exit(2);
});
