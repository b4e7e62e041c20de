import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readConfig } from '../../shared/config';
import { verifyAuditChain } from '../audit/verify';
import { openGatewayStore } from '../store';

const run = promisify(execFile);
const WRITER = path.join(__dirname, '..', '..', 'tests', 'support', 'audit-writer-process.ts');

/**
 * Two gateway processes on one SQLite store (replicas on one machine, as README's scale-out
 * allows): each writes its audit batches behind the other's, and no answer is withheld because the
 * other was writing.
 */
describe('the audit trail written by two gateway processes sharing one SQLite store', () => {
  it('writes every record of both, in one chain', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-shared-'));
    const config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' });
    try {
      await (await openGatewayStore(config)).destroy();
      const writers = await Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', WRITER, dir, '300'], { env: { ...process.env, ONESOURCE_MYSQL_URL: '' } })));
      expect(writers.map((w) => JSON.parse(w.stdout))).toEqual([{ failed: 0 }, { failed: 0 }]);
      const db = await openGatewayStore(config);
      try {
        expect(await verifyAuditChain(db)).toMatchObject({ records: 600, problem: null });
      } finally {
        await db.destroy();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
