import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { readConfig } from '../../shared/config';
import pino from 'pino';
import { SubjectIndex } from '../audit/subject-index';
import { verifyAuditChain, verifySubjectIndex } from '../audit/verify';
import { openGatewayStore } from '../store';

const run = promisify(execFile);
const logger = pino({ level: 'silent' });
const WRITER = path.join(__dirname, '..', '..', 'tests', 'support', 'audit-writer-process.ts');

/**
 * Two gateway processes on one SQLite store (replicas on one machine, as README's scale-out
 * allows): each writes its audit batches behind the other's, and no answer is withheld because the
 * other was writing.
 */
describe('the audit trail written by two gateway processes sharing one SQLite store', () => {
  it('writes every record of both, in one chain, and indexes who was read meanwhile', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-shared-'));
    const config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' });
    try {
      const db = await openGatewayStore(config);
      try {
        const writing = Promise.all([0, 1].map(() => run(process.execPath, ['--import', 'tsx', WRITER, dir, '300'], { env: { ...process.env, ONESOURCE_MYSQL_URL: '' } })));
        // Meanwhile this process indexes who was read, as accessLog does before it answers.
        const index = new SubjectIndex(db, logger);
        let done = false;
        const indexing = (async () => {
          let failed = 0;
          while (!done) {
            await index.catchUp().catch(() => (failed += 1));
            await new Promise((r) => setTimeout(r, 5));
          }
          return failed;
        })();
        const writers = await writing.finally(() => (done = true));
        expect(writers.map((w) => JSON.parse(w.stdout))).toEqual([{ failed: 0 }, { failed: 0 }]);
        expect(await indexing).toBe(0);
        expect(await verifyAuditChain(db)).toMatchObject({ records: 600, problem: null });
        expect(await index.catchUp().then(() => verifySubjectIndex(db))).toMatchObject({ indexedSeq: 600, problem: null });
      } finally {
        await db.destroy();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
