import { readConfig } from '../shared/config';
import { verifyAuditChain } from '../gateway/audit/verify';
import { openGatewayStore } from '../gateway/store';

/** `npm run audit:verify`: walks the hash chain and names the first record changed, removed or reordered. */
async function main() {
  const db = await openGatewayStore(readConfig());
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
