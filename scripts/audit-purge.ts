import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { purgeExpiredRecords } from '../gateway/audit/retention';
import { openExistingGatewayStore } from './cli-options';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run audit:purge`: removes the audit records kept longer than three years, with their rows in
 * the index of who was read; what remains still verifies (`audit:verify` starts from the first
 * record left). Exit code: 0 done (also when nothing was old enough), 2 could not purge.
 */
const program = new Command('audit:purge')
  .description('Remove the audit records past the three-year retention, oldest first, with their rows in the index of who was read.')
  .addHelpText('after', '\nExit code: 0 done (also when nothing was past retention), 2 could not purge.')
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

async function main() {
  program.parse();
  const db = await openExistingGatewayStore(readConfig());
  try {
    const { removed, through } = await purgeExpiredRecords(db);
    console.log(through === null
      ? 'Nothing to purge: no audit record is past the three-year retention.'
      : `Purged ${removed} audit records past the three-year retention (up to record ${through}), with their rows in the index of who was read.`);
  } finally {
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(`audit:purge failed: ${e.message}`);
  process.exit(2);
});
