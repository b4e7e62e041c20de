import pino from 'pino';
import { readConfig } from '../../shared/config';
import { AuditTrail } from '../../gateway/audit/trail';
import { openGatewayStore } from '../../gateway/store';
import { auditEntries } from './audit-entries';

/**
 * A gateway's audit writer alone, as a process of its own: `<data dir> <records>`. Records arrive
 * a few milliseconds apart, as answers do; it prints how many of them could not be written.
 */
async function main() {
  const [dataDir, count] = process.argv.slice(2);
  const db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dataDir, ONESOURCE_MYSQL_URL: '' }));
  const trail = new AuditTrail(db, pino({ level: 'silent' }));
  const entry = auditEntries(`req-${process.pid}`);
  const written: Promise<boolean>[] = [];
  for (let i = 0; i < Number(count); i++) {
    written.push(trail.record(entry(['350102199001011234'])).then(() => true, () => false));
    await new Promise((r) => setTimeout(r, Math.random() * 3));
  }
  const failed = (await Promise.all(written)).filter((ok) => !ok).length;
  await trail.close();
  await db.destroy();
  process.stdout.write(JSON.stringify({ failed }));
}

void main();
