import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { verifyAuditChain } from '../gateway/audit/verify';
import { openExistingGatewayStore } from './cli-options';

/**
 * `npm run audit:verify`: walks the hash chain and names the first record changed, removed or reordered.
 * Exit code: 0 intact, 1 broken, 2 could not verify (bad arguments, no gateway store, store unreachable).
 */
const program = new Command('audit:verify')
  .description("Verify the gateway's audit trail: every record's hash and its link to the one before.")
  .addHelpText('after', '\nExit code: 0 intact, 1 broken (naming the first record changed, removed or moved), 2 could not verify.')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

async function main() {
  program.parse();
  const db = await openExistingGatewayStore(readConfig());
  try {
    const report = await verifyAuditChain(db);
    if (report.problem) {
      console.error(`AUDIT TRAIL BROKEN after ${report.records} good records: ${report.problem.message}`);
      process.exitCode = 1;
    } else {
      console.log(`Audit trail intact: ${report.records} records, every hash and link verified.`);
    }
  } finally {
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(`audit:verify failed: ${e.message}`);
  process.exit(2);
});
