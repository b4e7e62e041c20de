import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import pino from 'pino';
import { Config, readConfig } from '../../shared/config';
import { dropStore } from '../../shared/db';
import { describeWithStore, mysqlUrl, StoreKind } from '../../tests/support/stack';
import { AuditEntry, AuditRow, chainHash } from '../audit/record';
import { createHash } from 'node:crypto';
import { AuditTrail } from '../audit/trail';
import { SubjectIndex } from '../audit/subject-index';
import { verifyAuditTrail, verifySubjectIndex } from '../audit/verify';
import { openGatewayStore } from '../store';
import { auditEntries } from '../../tests/support/audit-entries';

/**
 * `audit:verify` checks the index of who was read (`audit_subjects`, what `accessLog` answers from)
 * against the trail, and the store refuses to change it: a read hidden from the person it concerns,
 * or attributed to someone else, is found, as a record changed or removed is.
 */
const logger = pino({ level: 'silent' });

const A = '110101199003077777';
const B = '350102199001011234';
const C = '440305198512120016';
const FOUR_YEARS_AGO = new Date(Date.now() - 4 * 366 * 86_400_000).toISOString();

const entry = auditEntries('req-verify');

// Compared by message: better-sqlite3's SqliteError is not an Error of this test's realm once an
// earlier suite loaded the addon, so `rejects.toThrow` would not recognise it.
const refusal = (q: PromiseLike<unknown>) => Promise.resolve(q).then(() => 'accepted', (e: { message?: string }) => String(e?.message));

function defineIndexSuite(store: StoreKind) {
  describeWithStore(store, 'audit:verify and the index of who was read', () => {
    let dir: string;
    let config: Config;
    let db: Knex;
    /** Record numbers by what they name: 1 [A, B], 2 [A, not an idNumber, A] (4 years old), 3 [C]; 4 [B] is not indexed yet. */
    const seq: Record<'ab' | 'old' | 'c' | 'unindexed', number> = { ab: 0, old: 0, c: 0, unindexed: 0 };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-audit-verify-'));
      config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_DB_PREFIX: 'onesource_unit_auditverify_', ...(store === 'mysql' ? { ONESOURCE_MYSQL_URL: mysqlUrl } : {}) });
      await dropStore(config, 'gateway');
      db = await openGatewayStore(config);
      const trail = new AuditTrail(db, logger);
      const written = [entry([A, B]), entry([A, 'not an idNumber', A], FOUR_YEARS_AGO), entry([C])];
      for (const e of written) await trail.record(e);
      await new SubjectIndex(db, logger).catchUp();
      const unindexed = entry([B]);
      await trail.record(unindexed);
      await trail.close();
      const seqOf = async (e: AuditEntry) => Number((await db('audit_trail').where('request_id', e.requestId).first('seq')).seq);
      [seq.ab, seq.old, seq.c, seq.unindexed] = await Promise.all([...written, unindexed].map(seqOf));
    });
    afterAll(async () => {
      await db?.destroy();
      if (store === 'mysql') await dropStore(config, 'gateway');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('passes an intact trail and its index; a record not indexed yet is not missing its rows', async () => {
      expect(await verifyAuditTrail(db)).toMatchObject({ chain: { records: 4, problem: null, from: 1 }, index: { indexedSeq: seq.c, problem: null } });
    });

    it('refuses to change or delete a row of a record kept three years; deletes those of a record past them or gone', async () => {
      const triggers = store === 'mysql'
        ? (await db.raw('SHOW TRIGGERS'))[0].map((t: { Trigger: string }) => t.Trigger)
        : (await db('sqlite_master').where('type', 'trigger').select('name')).map((t: { name: string }) => t.name);
      expect(triggers).toEqual(expect.arrayContaining(['audit_subjects_no_update', 'audit_subjects_retention']));
      const row = db('audit_subjects').where({ id_number: A, seq: seq.ab });
      expect(await refusal(row.clone().update({ id_number: C }))).toMatch(/append-only/);
      expect(await refusal(row.clone().update({ seq: seq.c }))).toMatch(/append-only/);
      expect(await refusal(row.clone().delete())).toMatch(/kept three years/);
      expect(await refusal(db('audit_subjects').delete())).toMatch(/kept three years/);
      expect(await db('audit_subjects').where('seq', seq.ab).orderBy('id_number').pluck('id_number')).toEqual([A, B]);

      // A retention purge: the rows of a record past three years go (and may be written back, as a pass would).
      expect(await refusal(db('audit_subjects').where('seq', seq.old).delete())).toBe('accepted');
      expect((await verifySubjectIndex(db)).problem).toMatchObject({ kind: 'MISSING', seq: seq.old, idNumber: A });
      await db('audit_subjects').insert({ id_number: A, seq: seq.old });
      // The rows of a record no longer in the trail (purged first) go too.
      await db('audit_subjects').insert({ id_number: C, seq: 1_000_000 });
      expect(await refusal(db('audit_subjects').where('seq', 1_000_000).delete())).toBe('accepted');
      expect((await verifyAuditTrail(db)).index?.problem).toBeNull();
    });

    it('names the record and idNumber whose row was deleted behind the triggers', async () => {
      // As an administrator with rights over the store would.
      await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
      await db('audit_subjects').where({ id_number: B, seq: seq.ab }).delete();
      const { chain, index } = await verifyAuditTrail(db);
      expect(chain.problem).toBeNull();
      expect(index?.problem).toEqual({
        kind: 'MISSING', seq: seq.ab, idNumber: B,
        message: `record ${seq.ab} names ${B}, but the index of who was read has no row for it (missing): accessLog hides this read`,
      });
      await db('audit_subjects').insert({ id_number: B, seq: seq.ab });
      expect((await verifySubjectIndex(db)).problem).toBeNull();
    });

    it('names the record and idNumber of a row the trail does not name', async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
      const forged = async (row: { id_number: string; seq: number }) => {
        await db('audit_subjects').insert(row);
        try {
          return (await verifySubjectIndex(db)).problem;
        } finally {
          await db('audit_subjects').where(row).delete();
        }
      };
      // Another person's read attributed to C; a record's subject that is no idNumber; a record not in the trail.
      expect(await forged({ id_number: C, seq: seq.ab })).toEqual({
        kind: 'UNEXPLAINED', seq: seq.ab, idNumber: C,
        message: `record ${seq.ab} does not name ${C}, but the index of who was read has a row for ${C} in it (unexplained): accessLog shows a read that did not happen`,
      });
      expect(await forged({ id_number: 'not an idNumber', seq: seq.old })).toMatchObject({ kind: 'UNEXPLAINED', seq: seq.old, idNumber: 'not an idNumber' });
      expect(await forged({ id_number: A, seq: 999 })).toMatchObject({ kind: 'UNEXPLAINED', seq: 999, message: expect.stringMatching(/^record 999 is not in the trail, but .* row for 110101199003077777/) });
      expect((await verifySubjectIndex(db)).problem).toBeNull();
    });

    it('names a row forged for a record not indexed yet once the record is (as accessLog indexes before it answers)', async () => {
      await db('audit_subjects').insert({ id_number: C, seq: seq.unindexed });
      await new SubjectIndex(db, logger).catchUp();
      expect((await verifySubjectIndex(db)).problem).toMatchObject({ kind: 'UNEXPLAINED', seq: seq.unindexed, idNumber: C });
      await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
      await db('audit_subjects').where({ id_number: C, seq: seq.unindexed }).delete();
      expect(await verifySubjectIndex(db)).toEqual({ indexedSeq: seq.unindexed, problem: null });
    });

    it('names the first record affected, missing or unexplained', async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
      await db('audit_subjects').where({ id_number: C, seq: seq.c }).delete();
      await db('audit_subjects').insert({ id_number: C, seq: seq.old });
      expect((await verifySubjectIndex(db)).problem).toMatchObject({ kind: 'UNEXPLAINED', seq: seq.old, idNumber: C });
      await db('audit_subjects').where({ id_number: C, seq: seq.old }).delete();
      await db('audit_subjects').where({ id_number: A, seq: seq.ab }).delete();
      await db('audit_subjects').insert({ id_number: C, seq: seq.old });
      expect((await verifySubjectIndex(db)).problem).toMatchObject({ kind: 'MISSING', seq: seq.ab, idNumber: A });
      await db('audit_subjects').where({ id_number: C, seq: seq.old }).delete();
      await db('audit_subjects').insert([{ id_number: A, seq: seq.ab }, { id_number: C, seq: seq.c }]);
      expect((await verifyAuditTrail(db)).index).toEqual({ indexedSeq: seq.unindexed, problem: null });
    });

    it('names records removed from the end with the chain head rewound, from how far the index had covered', async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_trail_retention');
      await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
      expect((await verifySubjectIndex(db)).indexedSeq).toBe(seq.unindexed);
      const last = await db('audit_trail').where('seq', seq.unindexed).first();
      const rows = await db('audit_subjects').where('seq', seq.unindexed);
      const head = await db('audit_chain').where('id', 1).first();
      // The last record and its index rows deleted, and the head set back to the record before it.
      await db('audit_subjects').where('seq', seq.unindexed).delete();
      await db('audit_trail').where('seq', seq.unindexed).delete();
      await db('audit_chain').where('id', 1).update({ last_seq: seq.c, last_hash: last.prev_hash });
      expect(await verifyAuditTrail(db)).toMatchObject({
        chain: {
          problem: {
            kind: 'REMOVED', seq: seq.unindexed,
            message: `records ${seq.unindexed} to ${seq.unindexed} were removed from the end: the index of who was read had covered them`,
          },
        },
        index: null,
      });
      await db('audit_trail').insert(last);
      await db('audit_subjects').insert(rows);
      await db('audit_chain').where('id', 1).update({ last_seq: head.last_seq, last_hash: head.last_hash });
      expect((await verifyAuditTrail(db)).chain.problem).toBeNull();
    });

    it('finds a record whose grants and partial subjects were swapped, which would hash alike', async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_trail_no_update');
      const record = await db('audit_trail').where('seq', seq.c).first();
      expect([record.grants, record.partial_subjects]).toEqual(['[]', null]);
      await db('audit_trail').where('seq', seq.c).update({ grants: null, partial_subjects: '[]' });
      expect(await verifyAuditTrail(db)).toMatchObject({ chain: { problem: { kind: 'CHANGED', seq: seq.c } }, index: null });
    });

    it("finds a record whose grants were changed: they are part of what its hash covers", async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_trail_no_update');
      await db('audit_trail').where('seq', seq.c).update({ grants: JSON.stringify([7]) });
      expect(await verifyAuditTrail(db)).toMatchObject({ chain: { problem: { kind: 'CHANGED', seq: seq.c } }, index: null });
    });

    it('checks the index only against an intact chain', async () => {
      await db.raw('DROP TRIGGER IF EXISTS audit_trail_no_update');
      await db('audit_trail').where('seq', seq.c).update({ subjects: JSON.stringify([A]) });
      expect(await verifyAuditTrail(db)).toMatchObject({ chain: { problem: { kind: 'CHANGED', seq: seq.c } }, index: null });
    });
  });
}

describe("a record's hash", () => {
  const row: Omit<AuditRow, 'hash'> = {
    seq: 41, at: '2026-11-30T08:00:00.000Z', consumer_id: 'drc-approval', purpose: '并联审批', request_id: 'r-41', operation_name: 'Review',
    operation_hash: 'ab'.repeat(32), subjects: JSON.stringify([A]), fields: JSON.stringify(['NaturalPerson.name']), outcome: 'COMPLETE', grants: null,
    partial_subjects: null, prev_hash: 'cd'.repeat(32),
  };
  it('is, for a record written before records named their grants, what it was then', () => {
    // The content as hashed before migration 016, written out here rather than through chainHash.
    const then = [row.seq, row.at, row.consumer_id, row.purpose, row.request_id, row.operation_name, row.operation_hash, row.subjects, row.fields, row.outcome, row.prev_hash];
    expect(chainHash(row)).toBe(createHash('sha256').update(JSON.stringify(then)).digest('hex'));
  });
  it('covers the grants a record names', () => {
    expect(chainHash({ ...row, grants: '[3]' })).not.toBe(chainHash({ ...row, grants: '[4]' }));
    expect(chainHash({ ...row, grants: '[]' })).not.toBe(chainHash(row));
  });
  it('covers whose reads a PARTIAL record says were partial, and is what it was for a record that says nothing of it', () => {
    const partial = { ...row, outcome: 'PARTIAL', grants: '[]' };
    expect(chainHash({ ...partial, partial_subjects: JSON.stringify([A]) })).not.toBe(chainHash({ ...partial, partial_subjects: '[]' }));
    expect(chainHash({ ...partial, partial_subjects: '[]' })).not.toBe(chainHash(partial));
    const then = [row.seq, row.at, row.consumer_id, row.purpose, row.request_id, row.operation_name, row.operation_hash, row.subjects, row.fields, 'PARTIAL', row.prev_hash, '[]'];
    expect(chainHash(partial)).toBe(createHash('sha256').update(JSON.stringify(then)).digest('hex'));
  });
});

defineIndexSuite('sqlite');
defineIndexSuite('mysql');
