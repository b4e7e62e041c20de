import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Knex } from 'knex';
import pino from 'pino';
import { Config, readConfig } from '../../shared/config';
import { dropStore } from '../../shared/db';
import { describeWithStore, mysqlUrl, StoreKind } from '../../tests/support/stack';
import { AuditRow, chainHash } from '../audit/record';
import { purgeExpiredRecords } from '../audit/retention';
import { SubjectIndex } from '../audit/subject-index';
import { AuditTrail } from '../audit/trail';
import { proofsKeptSince, verifyAuditChain, verifyAuditTrail } from '../audit/verify';
import { openGatewayStore } from '../store';
import { auditEntries } from '../../tests/support/audit-entries';

/**
 * The trail past its retention, and a trail rewritten by someone who can write the store: records
 * older than three years are purged with their index rows and what is left still verifies; a head
 * kept outside the database shows a rewrite that the chain alone cannot.
 */
const logger = pino({ level: 'silent' });
const run = promisify(execFile);
const A = '110101199003077777';
const B = '350102199001011234';
const FOUR_YEARS_AGO = new Date(Date.now() - 4 * 366 * 86_400_000).toISOString();

const entry = auditEntries('req-retention');

function defineRetentionSuite(store: StoreKind) {
  describeWithStore(store, 'audit retention and kept heads', () => {
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let config: Config;
    let db: Knex;

    const proofsKeptSinceMs = async () => (await proofsKeptSince(db))!;
    const verifyCommand = (...args: string[]) =>
      run(process.execPath, ['--import', 'tsx', path.join(__dirname, '..', '..', 'scripts', 'audit-verify.ts'), ...args], { env }).then(
        ({ stdout }) => ({ code: 0, out: stdout }),
        (e) => ({ code: e.code as number, out: `${e.stdout}${e.stderr}` }),
      );

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-retention-'));
      env = { ...process.env, ONESOURCE_DATA_DIR: dir, ONESOURCE_DB_PREFIX: 'onesource_unit_retention_', ...(store === 'mysql' ? { ONESOURCE_MYSQL_URL: mysqlUrl } : { ONESOURCE_MYSQL_URL: '' }) };
      config = readConfig(env);
      await dropStore(config, 'gateway');
      db = await openGatewayStore(config);
      // Three records four years old, then two of today. The third, where a purge cuts, read B and
      // 3,000 others under grants that differ: larger than MySQL's TEXT, as the purge keeps it.
      const many = Array.from({ length: 3_000 }, (_, i) => `3501021990${String(10_000_000 + i).slice(1)}`);
      const large = { ...entry([B, ...many], FOUR_YEARS_AGO), grants: Object.fromEntries([B, ...many].map((id, i) => [id, i ? [7] : []])) };
      const trail = new AuditTrail(db, logger);
      for (const e of [entry([A], FOUR_YEARS_AGO), entry([A, B], FOUR_YEARS_AGO), large, entry([A]), entry([B])]) await trail.record(e);
      await trail.close();
      await new SubjectIndex(db, logger).catchUp();
    });
    afterAll(async () => {
      await db?.destroy();
      if (store === 'mysql') await dropStore(config, 'gateway');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('purges the records past three years with their index rows; what is left verifies from its first record', async () => {
      const before = await verifyAuditChain(db);
      expect(before).toMatchObject({ records: 5, problem: null, from: 1, head: { seq: 5 } });

      expect(await purgeExpiredRecords(db)).toEqual({ removed: 3, through: 3 });
      expect((await db('audit_purges').whereNotNull('through_record').first('through_record')).through_record.length).toBeGreaterThan(65_535);
      expect(await db('audit_trail').pluck('seq').then((s) => s.map(Number))).toEqual([4, 5]);
      expect(await db('audit_subjects').whereIn('seq', [1, 2, 3]).count({ n: '*' }).first().then((r) => Number(r!.n))).toBe(0);
      const after = await verifyAuditTrail(db);
      expect(after.chain).toMatchObject({ records: 2, problem: null, from: 4, head: before.head });
      expect(after.index?.problem).toBeNull();
      expect(await purgeExpiredRecords(db)).toEqual({ removed: 0, through: null });

      const cli = await verifyCommand();
      expect(cli.code).toBe(0);
      expect(cli.out).toMatch(/Records 1 to 3 were removed under the three-year retention \(npm run audit:purge, \d{4}-\d\d-\d\dT[\d:.]+Z\): the last of them, written \d{4}-\d\d-\d\dT[\d:.]+Z, was past retention, as the record the purge kept shows \(its hash is the cut's\)\. The chain is verified from record 4, behind the cut's hash\./);
      expect(cli.out).toContain(`Head: 5:${before.head!.hash}`);
    });

    it('refuses to purge records the store\'s own clock says are young, whatever the purging clock says', async () => {
      const left = await db('audit_trail').pluck('seq');
      const aheadByFourYears = new Date(Date.now() + 4 * 366 * 86_400_000);
      expect(await purgeExpiredRecords(db, aheadByFourYears).then(() => 'purged', (e) => String(e.message))).toMatch(/kept three years/);
      expect(await db('audit_trail').pluck('seq')).toEqual(left);
    });

    it('keeps the last record (the head) even when every record is past retention', async () => {
      const oldConfig = readConfig({ ...env, ONESOURCE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-retention-old-')), ONESOURCE_DB_PREFIX: 'onesource_unit_retention_old_' });
      await dropStore(oldConfig, 'gateway');
      const oldDb = await openGatewayStore(oldConfig);
      try {
        const trail = new AuditTrail(oldDb, logger);
        for (const e of [entry([A], FOUR_YEARS_AGO), entry([B], FOUR_YEARS_AGO), entry([A, B], FOUR_YEARS_AGO)]) await trail.record(e);
        await trail.close();
        // One record a transaction: each batch keeps where it cut, and the trail verifies behind the last cut.
        expect(await purgeExpiredRecords(oldDb, new Date(), 1)).toEqual({ removed: 2, through: 2 });
        expect(await oldDb('audit_purges').orderBy('id').pluck('through_seq').then((s) => s.map(Number))).toEqual([1, 2]);
        // Only the latest cut's record is kept as its proof: one record past retention, not one per batch.
        expect(await oldDb('audit_purges').orderBy('id').pluck('through_record').then((r) => r.map((x) => x !== null))).toEqual([false, true]);
        expect(await verifyAuditChain(oldDb)).toMatchObject({ records: 1, problem: null, from: 3, head: { seq: 3 } });
      } finally {
        await oldDb.destroy();
        await dropStore(oldConfig, 'gateway');
        fs.rmSync(oldConfig.dataDir, { recursive: true, force: true });
      }
    });

    it('purges a record\'s index rows through the persons it names: a row it does not name is still reported after the purge', async () => {
      const forgedConfig = readConfig({ ...env, ONESOURCE_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-retention-forged-')), ONESOURCE_DB_PREFIX: 'onesource_unit_retention_forged_' });
      await dropStore(forgedConfig, 'gateway');
      const forgedDb = await openGatewayStore(forgedConfig);
      try {
        const trail = new AuditTrail(forgedDb, logger);
        for (const e of [entry([A], FOUR_YEARS_AGO), entry([A, B], FOUR_YEARS_AGO), entry([B])]) await trail.record(e);
        await trail.close();
        await new SubjectIndex(forgedDb, logger).catchUp();
        // Written behind the trail: record 1 read someone it does not name.
        const C = '110101198001010019';
        await forgedDb('audit_subjects').insert({ id_number: C, seq: 1 });

        expect(await purgeExpiredRecords(forgedDb)).toEqual({ removed: 2, through: 2 });
        expect(await forgedDb('audit_subjects').orderBy('seq').select('id_number', 'seq').then((r) => r.map((x) => [x.id_number, Number(x.seq)]))).toEqual([[C, 1], [B, 3]]);
        expect((await verifyAuditTrail(forgedDb)).index?.problem).toMatchObject({ kind: 'UNEXPLAINED', seq: 1, idNumber: C, message: expect.stringMatching(/^record 1 is not in the trail, but the index of who was read has a row for 110101198001010019/) });
      } finally {
        await forgedDb.destroy();
        await dropStore(forgedConfig, 'gateway');
        fs.rmSync(forgedConfig.dataDir, { recursive: true, force: true });
      }
    });

    it('shows a trail rewritten behind the triggers with a head kept outside the database, which the chain alone cannot', async () => {
      const kept = (await verifyAuditChain(db)).head!;
      const anchor = `${kept.seq}:${kept.hash}`;
      expect(await verifyAuditChain(db, { anchors: [kept, { seq: 2, hash: 'f'.repeat(64) }] })).toMatchObject({
        problem: null, anchors: { matched: [5], purged: [2] },
      });
      const matched = await verifyCommand('--anchor', anchor);
      expect(matched.code).toBe(0);
      expect(matched.out).toContain('Kept heads matched: record 5: the trail up to it is as it was when kept.');

      // Someone who can write the store drops the trigger, rewrites record 4 and every hash after it.
      await db.raw('DROP TRIGGER audit_trail_no_update');
      await db.raw('DROP TRIGGER audit_subjects_no_update');
      let prev = (await db('audit_trail').where('seq', 4).first()).prev_hash;
      for (const seq of [4, 5]) {
        const { hash: _old, ...row } = await db('audit_trail').where('seq', seq).first();
        const content = { ...row, seq: Number(row.seq), consumer_id: seq === 4 ? 'someone-else' : row.consumer_id, prev_hash: prev };
        prev = chainHash(content);
        await db('audit_trail').where('seq', seq).update({ consumer_id: content.consumer_id, prev_hash: content.prev_hash, hash: prev });
      }
      await db('audit_chain').where('id', 1).update({ last_hash: prev });
      expect((await verifyAuditChain(db)).problem).toBeNull();
      expect((await verifyAuditChain(db, { anchors: [kept] })).problem).toMatchObject({ kind: 'REWRITTEN', seq: 5 });
      const rewritten = await verifyCommand('--anchor', anchor);
      expect(rewritten.code).toBe(1);
      expect(rewritten.out).toContain('AUDIT TRAIL BROKEN: record 5 no longer has the hash kept outside the database');
      expect(rewritten.out).not.toMatch(/good records/); // a rewrite keeps every link: none before it is known good
      // The same head copied in capitals (some tools do) is the same head.
      expect((await verifyCommand('--anchor', anchor.toUpperCase())).out).toContain('record 5 no longer has the hash kept outside the database');

      // A kept head past the end: records were removed from the end.
      expect((await verifyAuditChain(db, { anchors: [{ seq: 9, hash: kept.hash }] })).problem).toMatchObject({ kind: 'REMOVED', seq: 9 });
    });

    let removedYoung: AuditRow;

    it('tells records removed from the start behind the triggers from a retention purge', async () => {
      await db.raw('DROP TRIGGER audit_trail_retention');
      removedYoung = await db('audit_trail').where('seq', 4).first();
      await db('audit_trail').where('seq', 4).delete();
      expect((await verifyAuditChain(db)).problem).toEqual({ kind: 'REMOVED', seq: 1, message: 'records 1 to 4 were removed, and no retention purge removed them' });
      const cli = await verifyCommand();
      expect(cli.code).toBe(1);
      expect(cli.out).toContain('records 1 to 4 were removed, and no retention purge removed them');
    });

    it('is not fooled by a purge written behind the triggers to pass off the removal of young records', async () => {
      const { hash, ...record } = removedYoung;
      const forged = (row: Record<string, unknown>) => db('audit_purges').insert({ through_seq: 4, through_hash: hash, removed: 1, purged_at: new Date().toISOString(), ...row });
      const problem = async () => (await verifyAuditChain(db)).problem?.message;
      const claim = 'records 1 to 4 were removed, and the retention purge said to have removed them';

      await forged({ through_record: JSON.stringify({ ...record, seq: 4 }) });
      expect(await problem()).toMatch(new RegExp(`^${claim} \\(.*\\) is not one: record 4, the last it removed, was written ${record.at.replace(/\./g, '\\.')}, within the three-year retention of the purge's date$`));
      await forged({ through_record: JSON.stringify({ ...record, seq: 4, at: FOUR_YEARS_AGO }) });
      expect(await problem()).toMatch(/is not one: the record it kept as its proof is not record 4 \(its hash is not the cut's\)$/);
      await forged({ through_record: JSON.stringify({ ...record, seq: 4 }), purged_at: new Date(Date.now() + 4 * 366 * 86_400_000).toISOString() });
      expect(await problem()).toMatch(/is not one: it is dated \S+, in the future$/);
      // Without a record to prove it: dated in the future, or since this store kept proofs.
      await forged({ through_record: null, purged_at: '2099-01-01T00:00:00.000Z' });
      expect(await problem()).toMatch(/is not one: it is dated 2099-01-01T00:00:00.000Z, in the future$/);
      await forged({ through_record: null });
      expect(await problem()).toMatch(/is not one: it keeps no record to prove its cut, though purges have kept one since this store was migrated to do so \(migration 014\)$/);
      // A purge made before the store kept proofs is still taken on its word.
      await forged({ through_record: null, purged_at: new Date(await proofsKeptSinceMs() - 86_400_000).toISOString() });
      expect(await problem()).toBeUndefined();
      // Read in a time zone behind the migration's, the cut-off does not move: a row dated an hour
      // after the store began keeping proofs is still not taken on its word (MySQL reads the
      // TIMESTAMP as text without its zone).
      await db('audit_purges').where('through_seq', 4).delete();
      const anHourAfter = new Date(await proofsKeptSinceMs() + 3_600_000).toISOString();
      await forged({ through_record: null, purged_at: anHourAfter });
      const chainReadElsewhere = `(async () => {
        const { openStore } = require('./shared/db'); const { readConfig } = require('./shared/config');
        const { verifyAuditChain } = require('./gateway/audit/verify');
        const db = await openStore(readConfig(), 'gateway');
        console.log(JSON.stringify((await verifyAuditChain(db)).problem)); await db.destroy();
      })()`;
      const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', chainReadElsewhere], { env: { ...env, TZ: 'America/Los_Angeles' }, cwd: path.join(__dirname, '..', '..') });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toMatchObject({ kind: 'REMOVED', message: expect.stringMatching(/it keeps no record to prove its cut/) });
      await db('audit_purges').where('through_seq', 4).delete();
      await forged({ through_record: null });
      const cli = await verifyCommand();
      expect(cli.code).toBe(1);
      expect(cli.out).toContain(`AUDIT TRAIL BROKEN after 0 good records: ${claim}`);
    });

    it('refuses a kept head that is not one, exit 2 naming it', async () => {
      const bad = await verifyCommand('--anchor', '5:xyz');
      expect(bad.code).toBe(2);
      expect(bad.out).toContain('--anchor: "5:xyz" is not a kept head: expected <record>:<64 hex digits>, as audit:verify prints it');
    });
  });
}

defineRetentionSuite('sqlite');
defineRetentionSuite('mysql');
