import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig } from '../config';
import { migrate, openStore } from '../db';
import { createChangeLog, recordChangesMigration, recordChangesPreviousMigration } from '../record-changes';

describe("a department's change log", () => {
  it('dates a correction when it is made, not when it was asked: one that waited for the lock is logged after what it waited for', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-change-time-'));
    const config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' });
    // Two connections to one store, as two processes of a department would have.
    const [operator, other] = await Promise.all([openStore(config, 'persons'), openStore(config, 'persons')]);
    try {
      const records = { name: '000_records', up: (db: Knex) => db.schema.createTable('records', (t) => { t.string('key').primary(); t.string('value'); }), down: async () => undefined };
      await migrate(operator, [records, recordChangesMigration, recordChangesPreviousMigration]);
      await operator('records').insert({ key: 'k1', value: 'before' });

      const asked = new Date().toISOString();
      let released = '';
      // Another writer holds the store's write lock for a while; the correction waits for it.
      const holding = other.transaction(async (trx) => {
        await trx('records').where('key', 'k1').update({ value: 'held' });
        await new Promise((r) => setTimeout(r, 300));
        released = new Date().toISOString();
      });
      await new Promise((r) => setTimeout(r, 50));
      const log = createChangeLog(operator);
      await log.correct(
        { table: 'records', keyColumn: 'key', key: 'k1', read: (row: { value: string }) => row, write: (values: { value?: string }) => values },
        () => ({ values: { value: 'after' }, fields: ['value'], previous: { value: 'held' } }),
        { reason: '核实更正', objectionId: null, changedBy: 'dept-persons', changedAt: asked },
      );
      await holding;
      const [entry] = await log.since({ since: '1970-01-01T00:00:00.000Z', afterId: null, first: 10, objectionId: null, key: 'k1' });
      expect(entry.changedAt > asked).toBe(true);
      expect(entry.changedAt >= released).toBe(true);
    } finally {
      await Promise.all([operator.destroy(), other.destroy()]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
