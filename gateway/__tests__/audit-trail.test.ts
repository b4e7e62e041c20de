import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Pool, PoolConnection } from 'mysql2/promise';
import pino from 'pino';
import { Config, readConfig } from '../../shared/config';
import { dropStore } from '../../shared/db';
import { describeWithStore, mysqlUrl, StoreKind } from '../../tests/support/stack';
import { auditPool, mysqlChainScript } from '../audit/chain-script';
import { AuditTrail } from '../audit/trail';
import { SubjectIndex } from '../audit/subject-index';
import { verifyAuditChain } from '../audit/verify';
import { readsByConsumer } from '../audit/reads-by-consumer';
import { openGatewayStore } from '../store';
import { purposeOf } from '../purpose';
import { auditEntries } from '../../tests/support/audit-entries';

/**
 * The audit trail as the gateway writes it: every record behind an answer is committed, in one
 * unbroken chain, also when several gateways (replicas, cluster workers) append to one store.
 */
const logger = pino({ level: 'silent' });

const entry = auditEntries('req');
const SUBJECT = '110101199003077777';

function defineTrailSuite(store: StoreKind) {
  describeWithStore(store, 'the audit trail', () => {
    let dir: string;
    let config: Config;
    let db: Knex;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-'));
      config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_DB_PREFIX: 'onesource_unit_audit_', ...(store === 'mysql' ? { ONESOURCE_MYSQL_URL: mysqlUrl } : {}) });
      await dropStore(config, 'gateway');
      db = await openGatewayStore(config);
    });
    afterAll(async () => {
      await db?.destroy();
      if (store === 'mysql') await dropStore(config, 'gateway');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const subjectRows = async (idNumber: string) => Number((await db('audit_subjects').where('id_number', idNumber).count({ n: '*' }).first())!.n);

    it('commits every record handed in at once, in order; their subjects are indexed behind them', async () => {
      const trail = new AuditTrail(db, logger);
      const index = new SubjectIndex(db, logger);
      const before = Number((await db('audit_chain').first()).last_seq);
      await Promise.all(Array.from({ length: 300 }, (_, i) => trail.record(entry([SUBJECT, `35010219900101${String(1000 + i)}`]))));
      await trail.close();
      const report = await verifyAuditChain(db);
      expect(report).toMatchObject({ records: before + 300, problem: null });
      // Committed, and not yet in the index of who was read: the answers did not wait for it.
      expect(await subjectRows(SUBJECT)).toBe(before);
      expect(await index.catchUp()).toBe(300);
      expect(await subjectRows(SUBJECT)).toBe(before + 300);
      expect(await subjectRows('35010219900101' + '1299')).toBe(1);
      expect(await index.catchUp()).toBe(0);
      await index.close();
    });

    it('keeps a purpose cut at its 500th character, or holding half an emoji, as it hashed it: the chain still verifies', async () => {
      // 501 characters whose last, 😀, is two UTF-16 units: cut by units, half of it stayed.
      const long = purposeOf(encodeURIComponent(`核查${'x'.repeat(497)}😀🙂`))!;
      expect(Array.from(long)).toHaveLength(500);
      expect(long.endsWith('x😀')).toBe(true);
      const trail = new AuditTrail(db, logger);
      const withLong = { ...entry([SUBJECT]), purpose: long };
      // A lone half, as a JSON string may carry it ("\ud83d"), and an operation name cut the same way.
      const withHalf = { ...entry([SUBJECT]), purpose: '核查\ud83d材料', operationName: `${'Q'.repeat(99)}😀` };
      await Promise.all([trail.record(withLong), trail.record(withHalf)]);
      await trail.close();
      const stored = await db('audit_trail').whereIn('request_id', [withLong.requestId, withHalf.requestId]).orderBy('seq').select('purpose', 'operation_name');
      expect(stored).toEqual([
        { purpose: long, operation_name: 'PersonLookup' },
        // 100 characters fit its column; cut by UTF-16 units, the 😀 lost half of itself.
        { purpose: '核查\ufffd材料', operation_name: `${'Q'.repeat(99)}😀` },
      ]);
      expect(await verifyAuditChain(db)).toMatchObject({ problem: null });
      const index = new SubjectIndex(db, logger);
      await index.catchUp();
      await index.close();
    });

    it('indexes what a gateway wrote and did not index before it stopped, once, however many gateways catch up at once', async () => {
      const stopped = new AuditTrail(db, logger);
      const written = Array.from({ length: 450 }, () => entry([SUBJECT, '350102199001011234', SUBJECT]));
      await Promise.all(written.map((e) => stopped.record(e)));
      await stopped.close();
      const before = await subjectRows('350102199001011234');
      const replicas = [new SubjectIndex(db, logger), new SubjectIndex(db, logger)];
      const indexed = await Promise.all(replicas.map((r) => r.catchUp()));
      expect(indexed[0] + indexed[1]).toBe(450);
      expect(await subjectRows('350102199001011234')).toBe(before + 450); // a subject named twice in a record is one row
      const seqs = await db('audit_trail').whereIn('request_id', written.map((e) => e.requestId)).pluck('seq');
      expect(Number((await db('audit_subjects').whereIn('seq', seqs).count({ n: '*' }).first())!.n)).toBe(900);
      await Promise.all(replicas.map((r) => r.close()));
    });

    it('indexes records that name a hundred persons each (a pass of verification batches)', async () => {
      const trail = new AuditTrail(db, logger);
      const index = new SubjectIndex(db, logger);
      await index.catchUp();
      const hundred = (i: number) => Array.from({ length: 100 }, (_, k) => `35010219900101${String(1000 + ((i * 100 + k) % 9000))}`);
      const written = Array.from({ length: 30 }, (_, i) => entry(hundred(i)));
      await Promise.all(written.map((e) => trail.record(e)));
      expect(await index.catchUp()).toBe(30);
      const seqs = await db('audit_trail').whereIn('request_id', written.map((e) => e.requestId)).pluck('seq');
      expect(Number((await db('audit_subjects').whereIn('seq', seqs).count({ n: '*' }).first())!.n)).toBe(3000);
      await Promise.all([trail.close(), index.close()]);
    });

    it('leaves out of the index a subject that is not an idNumber, says which record named it, and goes on indexing', async () => {
      const trail = new AuditTrail(db, logger);
      const logged: unknown[] = [];
      const watching = pino({ level: 'error' }, { write: (line: string) => logged.push(JSON.parse(line)) });
      const index = new SubjectIndex(db, watching);
      await index.catchUp();
      const before = await subjectRows(SUBJECT);
      const unfit = ['not an idNumber', '11010119900307777x', '张三丰', 'x'.repeat(200)];
      await trail.record(entry([...unfit, SUBJECT]));
      await trail.record(entry([SUBJECT]));
      expect(await index.catchUp()).toBe(2);
      expect(await subjectRows(SUBJECT)).toBe(before + 2);
      for (const subject of unfit) expect(await subjectRows(subject)).toBe(0);
      const [latest] = await db('audit_trail').orderBy('seq', 'desc').limit(1).pluck('seq');
      expect(logged).toEqual([expect.objectContaining({ records: [Number(latest) - 1], msg: expect.stringMatching(/not idNumbers/) })]);
      await Promise.all([trail.close(), index.close()]);
    });

    it('indexes soon after it is told a record was written, without being asked', async () => {
      const trail = new AuditTrail(db, logger);
      const index = new SubjectIndex(db, logger, 20);
      const before = await subjectRows(SUBJECT);
      await trail.record(entry([SUBJECT]));
      index.behind();
      for (let waited = 0; (await subjectRows(SUBJECT)) === before && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(await subjectRows(SUBJECT)).toBe(before + 1);
      await Promise.all([trail.close(), index.close()]);
    });

    it('records an operation that read thousands of persons, and one with a very long name, without failing the records batched with them', async () => {
      const trail = new AuditTrail(db, logger);
      const before = Number((await db('audit_chain').first()).last_seq);
      const many = Array.from({ length: 5_000 }, (_, i) => `3501021990${String(10_000_000 + i).slice(1)}`);
      // Each person's own grants (the last read under none): more than MySQL's TEXT holds.
      const grants = Object.fromEntries(many.map((id, i) => [id, i === many.length - 1 ? [] : [12_345]]));
      const long = { ...entry(many), operationName: `Q${'x'.repeat(299)}`, grants };
      const ordinary = entry([SUBJECT]);
      await Promise.all([trail.record(long), trail.record(ordinary)]);
      await trail.close();
      await new SubjectIndex(db, logger).catchUp();
      expect(await verifyAuditChain(db)).toMatchObject({ records: before + 2, problem: null });
      const kept = await db('audit_trail').where('request_id', long.requestId).first();
      expect(JSON.parse(kept.subjects)).toHaveLength(5_000);
      expect(kept.grants.length).toBeGreaterThan(65_535);
      expect(JSON.parse(kept.grants)).toEqual(grants);
      expect(kept.operation_name).toBe(long.operationName.slice(0, 100));
      expect(await db('audit_trail').where('request_id', ordinary.requestId).first()).toBeDefined();
    });

    it('lists a consumer\'s reads that pass a filter page by page, each page looking at no more records than its limit', async () => {
      const trail = new AuditTrail(db, logger);
      const consumer = 'filter-test';
      const at = (i: number) => `2026-03-01T08:00:0${i}.000Z`;
      // Nine reads, oldest first; every third took the address.
      for (let i = 1; i <= 9; i++) {
        await trail.record({ ...entry([SUBJECT], at(i)), consumer, requestId: `f-${i}`, fields: i % 3 === 0 ? ['NaturalPerson.householdAddress'] : ['NaturalPerson.name'] });
      }
      await trail.close();
      const page = (after?: string) => readsByConsumer(db, {
        consumer, from: '2026-03-01', to: '2026-03-01', first: 2, after, scanLimit: 4, keep: ({ fields }) => fields.includes('NaturalPerson.householdAddress'),
      });
      // Newest first: f-9 … f-6 looked at, f-9 and f-6 kept; the page is full.
      const first = await page();
      expect(first).toMatchObject({ reads: [{ requestId: 'f-9' }, { requestId: 'f-6' }], hasNextPage: true });
      // f-5 … f-2 looked at: f-3 kept, and the limit reached before the page was full: it goes on from f-2.
      const second = await page(first.endCursor!);
      expect(second).toMatchObject({ reads: [{ requestId: 'f-3' }], hasNextPage: true });
      const third = await page(second.endCursor!);
      expect(third).toEqual({ reads: [], hasNextPage: false, endCursor: null });
      // Unfiltered, a page is the newest `first`, however many there are.
      const all = await readsByConsumer(db, { consumer, from: '2026-03-01', to: '2026-03-01', first: 9 });
      expect(all.reads.map((r) => r.requestId)).toEqual(['f-9', 'f-8', 'f-7', 'f-6', 'f-5', 'f-4', 'f-3', 'f-2', 'f-1']);
      expect(all.hasNextPage).toBe(false);
    });

    if (store !== 'mysql') return;

    /** A pool like the gateway's own, counting the queries (round trips) sent through it. */
    function countingPool(): { pool: Pool; roundTrips: () => number } {
      const pool = auditPool(db);
      let sent = 0;
      const getConnection = pool.getConnection.bind(pool);
      pool.getConnection = async () => {
        const connection: PoolConnection = await getConnection();
        const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
        return Object.assign(Object.create(connection), { query: (...args: unknown[]) => ((sent += 1), query(...args)) }) as PoolConnection;
      };
      return { pool, roundTrips: () => sent };
    }

    it('appends records while an index pass holds its transaction open: the pass does not lock the trail', async () => {
      const trail = new AuditTrail(db, logger);
      await new SubjectIndex(db, logger).catchUp();
      await trail.record(entry([SUBJECT])); // a record for the pass to index
      // The store as the index sees it, with each pass's transaction held open, its work done,
      // while another record is appended (under REPEATABLE READ the pass's INSERT … SELECT locked
      // the trail's last rows and the gap after them, and the append waited for its commit).
      let appendedWhileHeld: boolean | undefined;
      const held = Object.create(db, {
        transaction: {
          value: (work: (trx: Knex.Transaction) => Promise<unknown>, config?: Knex.TransactionConfig) =>
            db.transaction(async (trx) => {
              const result = await work(trx);
              const appended = trail.record(entry([SUBJECT])).then(() => true);
              appendedWhileHeld ??= await Promise.race([appended, new Promise<boolean>((r) => setTimeout(() => r(false), 2_000))]);
              return result;
            }, config),
        },
      }) as Knex;
      expect(await new SubjectIndex(held, logger).catchUp()).toBe(1);
      expect(appendedWhileHeld).toBe(true);
      await trail.close();
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('writes a batch in one round trip to MySQL, without reading the head again', async () => {
      const { pool, roundTrips } = countingPool();
      const trail = new AuditTrail(db, logger, mysqlChainScript(pool));
      await trail.record(entry([SUBJECT])); // learns the head
      const knexQueries: string[] = [];
      const watch = (q: { sql: string }) => knexQueries.push(q.sql);
      db.on('query', watch);
      const before = roundTrips();
      await Promise.all(Array.from({ length: 50 }, () => trail.record(entry([SUBJECT]))));
      db.off('query', watch);
      expect(roundTrips() - before).toBe(1);
      expect(knexQueries).toEqual([]);
      await trail.close();
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('splits a flood of verification batches into queries of at most 5,000 subjects', async () => {
      const { pool, roundTrips } = countingPool();
      const trail = new AuditTrail(db, logger, mysqlChainScript(pool));
      await trail.record(entry([SUBJECT])); // learns the head
      const before = roundTrips();
      const hundred = (i: number) => Array.from({ length: 100 }, (_, k) => `35010219900101${String(1000 + ((i * 100 + k) % 9000))}`);
      await Promise.all(Array.from({ length: 120 }, (_, i) => trail.record(entry(hundred(i)))));
      expect(roundTrips() - before).toBe(3); // 50 + 50 + 20 records of 100 subjects
      await trail.close();
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('records a purpose and request id that look like SQL as the text they are', async () => {
      const trail = new AuditTrail(db, logger);
      // Both come from request headers (X-Purpose, X-Request-Id), and the batch is one multi-statement query.
      const hostile = { ...entry([SUBJECT]), purpose: "审批'); DROP TABLE audit_trail; -- ?", requestId: 'req-?-\\\'-;' };
      await trail.record(hostile);
      await trail.close();
      expect(await db('audit_trail').where('request_id', hostile.requestId).first()).toMatchObject({ purpose: hostile.purpose });
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('keeps one chain when two gateways append to the same store at once', async () => {
      const replicas = [new AuditTrail(db, logger), new AuditTrail(db, logger)];
      const handed: string[] = [];
      // Rounds of concurrent batches from both: each round, each replica's known head is stale.
      for (let round = 0; round < 10; round += 1) {
        await Promise.all(replicas.flatMap((trail) => Array.from({ length: 5 }, () => {
          const e = entry([SUBJECT]);
          handed.push(e.requestId);
          return trail.record(e);
        })));
      }
      await Promise.all(replicas.map((r) => r.close()));
      expect((await verifyAuditChain(db)).problem).toBeNull();
      const stored = await db('audit_trail').whereIn('request_id', handed).pluck('request_id');
      expect(stored.sort()).toEqual([...handed].sort());
    });

    it('writes behind the head another gateway left when its own knowledge is out of date', async () => {
      const { pool, roundTrips } = countingPool();
      const first = new AuditTrail(db, logger, mysqlChainScript(pool));
      const second = new AuditTrail(db, logger);
      await first.record(entry([SUBJECT]));
      await second.record(entry([SUBJECT])); // moves the head past what `first` knows
      const before = roundTrips();
      const late = entry([SUBJECT]);
      await first.record(late);
      // Refused (the head had moved), rolled back; then the head locked and read, and the batch written behind it.
      expect(roundTrips() - before).toBe(4);
      const head = await db('audit_chain').first();
      expect(await db('audit_trail').where('request_id', late.requestId).first()).toMatchObject({ seq: Number(head.last_seq) });
      await Promise.all([first.close(), second.close()]);
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('reads the head under its lock at once while another gateway keeps appending, and guesses again once it stops', async () => {
      const { pool, roundTrips } = countingPool();
      const first = new AuditTrail(db, logger, mysqlChainScript(pool));
      const second = new AuditTrail(db, logger);
      await first.record(entry([SUBJECT]));
      const costs: number[] = [];
      for (let turn = 0; turn < 4; turn += 1) {
        await second.record(entry([SUBJECT])); // the other gateway appends between every two batches of `first`
        const before = roundTrips();
        await first.record(entry([SUBJECT]));
        costs.push(roundTrips() - before);
      }
      // The first turn learns the head moved (4 round trips); the next ones no longer guess (2 each).
      expect(costs).toEqual([4, 2, 2, 2]);
      const alone: number[] = [];
      for (let turn = 0; turn < 6; turn += 1) {
        const before = roundTrips();
        await first.record(entry([SUBJECT]));
        alone.push(roundTrips() - before);
      }
      // Alone again: after four locked batches in a row find the head where `first` left it, one round trip each.
      expect(alone).toEqual([2, 2, 2, 2, 1, 1]);
      await Promise.all([first.close(), second.close()]);
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('refuses the records of a batch it could not write, and writes the next one', async () => {
      const trail = new AuditTrail(db, logger);
      await trail.record(entry([SUBJECT]));
      // A consumer id longer than the column: the batch fails as a whole, nothing of it is kept.
      const bad = { ...entry([SUBJECT]), consumer: 'c'.repeat(100) };
      const good = entry([SUBJECT]);
      await expect(trail.record(bad)).rejects.toThrow('audit trail unavailable');
      await trail.record(good);
      await trail.close();
      expect(await db('audit_trail').where('request_id', bad.requestId).first()).toBeUndefined();
      expect(await db('audit_trail').where('request_id', good.requestId).first()).toBeDefined();
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });

    it('writes no gap when the store was set back behind what the gateway last wrote (restored from a backup)', async () => {
      const trail = new AuditTrail(db, logger);
      await trail.record(entry([SUBJECT]));
      // The restore: the last record and the head as they were one record earlier. (The triggers
      // that refuse this to anyone else are dropped for it; this is the last test of the suite.)
      await db.raw('DROP TRIGGER IF EXISTS audit_trail_retention');
      const last = await db('audit_trail').orderBy('seq', 'desc').first();
      await db('audit_trail').where('seq', last.seq).delete();
      await db('audit_subjects').where('seq', last.seq).delete();
      await db('audit_subjects_progress').where('id', 1).where('indexed_seq', '>=', last.seq).update({ indexed_seq: Number(last.seq) - 1 });
      await db('audit_chain').where('id', 1).update({ last_seq: Number(last.seq) - 1, last_hash: last.prev_hash });

      const next = entry([SUBJECT]);
      await trail.record(next);
      await trail.close();
      expect(await db('audit_trail').where('request_id', next.requestId).first()).toMatchObject({ seq: Number(last.seq) });
      expect((await verifyAuditChain(db)).problem).toBeNull();
    });
  });
}

defineTrailSuite('sqlite');
defineTrailSuite('mysql');
