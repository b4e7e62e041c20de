import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import knex, { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { changeWindow, entriesIn } from '../../shared/record-changes';
import type { AskDepartment } from '../quality/ask-department';
import { changeNotices } from '../quality/change-notices';
import { EntityReads } from '../quality/entity-reads';
import { openGatewayStore } from '../store';

/**
 * How the gateway reads the departments' change logs for `changesSince`: the persons log is a real
 * table read by the departments' own window query (`entriesIn`), a few entries a page, so that a
 * load of many pages is small enough to write here; the gateway's read receipts are its real store.
 */
describe('change notices over change logs of many pages', () => {
  const logger = createLogger('test', 'silent');
  const READER = '350102199001011234';
  let dir: string;
  let gatewayDb: Knex;
  let log: Knex;
  let reads: EntityReads;
  let pagesAsked: number;

  const ask: AskDepartment = async <T,>(department: string, _caller: unknown, query: string, variables: Record<string, unknown>) => {
    if (department !== 'persons' || !query.includes('naturalPersonChanges')) return { status: 200, data: Object.fromEntries([[/\{ (\w+)\(/.exec(query)![1], []]]) as T };
    pagesAsked++;
    const window = changeWindow(variables as { since: string; afterId: string | null; first: number });
    const rows = await entriesIn(log('changes').select('*'), window, 'id_number');
    const entries = rows.map((r: any) => ({ id: String(r.id), idNumber: r.id_number, fields: ['name'], changedAt: r.changed_at, reason: '更正', objectionId: null }));
    return { status: 200, data: { naturalPersonChanges: entries } as T };
  };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-change-notices-'));
    gatewayDb = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }));
    log = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await log.schema.createTable('changes', (t) => {
      t.increments('id');
      t.string('id_number');
      t.string('changed_at');
      t.string('objection_id').nullable();
    });
    reads = new EntityReads(gatewayDb, logger);
    reads.record('drc-approval', 'NaturalPerson', [READER], new Date().toISOString());
    pagesAsked = 0;
  });
  afterEach(async () => {
    await reads.stop();
    await gatewayDb.destroy();
    await log.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const since = '2026-12-01T00:00:00.000Z';
  const at = (minute: number) => new Date(Date.parse(since) + minute * 60_000).toISOString();
  /** `n` changes of persons the reader never read, from minute `from`, one a minute. */
  const others = (n: number, from: number) =>
    Array.from({ length: n }, (_, i) => ({ id_number: `35010219800101${String(1000 + i).slice(-4)}`, changed_at: at(from + i) }));
  const full = () => 'FULL' as const;

  it('finds a change to a record the caller read behind more pages of others than any cap', async () => {
    // 100 entries of others (34 pages of 3, more than the 20 pages a call used to read), then the reader's.
    await log('changes').insert([...others(100, 1), { id_number: READER, changed_at: at(200) }]);
    const changesSince = changeNotices({ ask, reads, days: 30, pageSize: 3 });
    const notices = await changesSince('drc-approval', full, since, 10, new Date(at(300)));
    expect(notices.map((n) => [n.key, n.changedAt])).toEqual([[READER, at(200)]]);
    expect(pagesAsked).toBe(34);
  });

  it('stops reading a log once its own notices fill the answer, its last instant read to the end', async () => {
    await log('changes').insert([
      { id_number: READER, changed_at: at(1) },
      { id_number: READER, changed_at: at(2) },
      { id_number: READER, changed_at: at(2) },
      { id_number: READER, changed_at: at(2) },
      ...others(100, 3),
    ]);
    const changesSince = changeNotices({ ask, reads, days: 30, pageSize: 3 });
    const notices = await changesSince('drc-approval', full, since, 2, new Date(at(300)));
    // The second notice's instant holds three: all of them, and the log read no further than the page after.
    expect(notices.map((n) => n.changedAt)).toEqual([at(1), at(2), at(2), at(2)]);
    expect(pagesAsked).toBe(2);
  });
});
