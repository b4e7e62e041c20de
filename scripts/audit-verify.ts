import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { verifyAuditTrail } from '../gateway/audit/verify';
import { openExistingGatewayStore } from './cli-options';

/**
 * `npm run audit:verify`: walks the hash chain and names the first record changed, removed or
 * reordered; then checks the index of who was read (`audit_subjects`, what `accessLog` answers from)
 * against the trail and names the first record whose row is missing or unexplained.
 * Exit code: 0 intact, 1 broken, 2 could not verify (bad arguments, no gateway store, store unreachable).
 */
const program = new Command('audit:verify')
  .description("Verify the gateway's audit trail: every record's hash and its link to the one before, and the index of who was read against the records.")
  .addHelpText('after', '\nExit code: 0 intact, 1 broken (naming the first record changed, removed or moved, or whose row in the index of who was read is missing or unexplained), 2 could not verify.')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

async function main() {
  program.parse();
  const db = await openExistingGatewayStore(readConfig());
  try {
    const { chain, index } = await verifyAuditTrail(db);
    if (chain.problem) {
      console.error(`AUDIT TRAIL BROKEN after ${chain.records} good records: ${chain.problem.message}`);
      process.exitCode = 1;
    } else if (index?.problem) {
      console.error(`AUDIT TRAIL BROKEN in its index of who was read (the chain of ${chain.records} records is intact): ${index.problem.message}`);
      process.exitCode = 1;
    } else {
      console.log(`Audit trail intact: ${chain.records} records, every hash and link verified; the index of who was read checked too (${index?.indexedSeq ?? 0} records indexed, no row missing or unexplained).`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(`audit:verify failed: ${e.message}`);
  process.exit(2);
});
