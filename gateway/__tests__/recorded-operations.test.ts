import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'graphql';
import type { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import { migrate, openStore } from '../../shared/db';
import { migrations } from '../migrations';
import { keptDocument, recordedOperations } from '../operations-recorder';

const hash = (n: number) => String(n).repeat(64).slice(0, 64);

/** A fresh SQLite gateway store of its own, not yet migrated, removed after `work`. */
async function withGatewayStore(work: (db: Knex) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-recorded-'));
  const db = await openStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }), 'gateway');
  try {
    await work(db);
  } finally {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('recorded operations keep no literal personal data', () => {
  it('blanks string literals and keeps everything a schema check reads', () => {
    const source = 'query Check { naturalPerson(idNumber: "35010219900101003X") { name } investmentProjects(first: 2, status: APPROVED) { totalCount } }';
    const kept = keptDocument(parse(source), source, hash(1));
    expect(kept.document).not.toContain('35010219900101003X');
    expect(kept.document).toContain('naturalPerson(idNumber: "")');
    expect(kept.document).toContain('investmentProjects(first: 2, status: APPROVED)');
    expect(kept.hash).toMatch(/^[0-9a-f]{64}$/);
    const plain = 'query P($id: ID!) { naturalPerson(idNumber: $id) { name } }';
    expect(keptDocument(parse(plain), plain, hash(2))).toEqual({ document: plain, hash: hash(2) });
  });

  it('blanks an idNumber written as digits, keeping the numbers an Int holds', () => {
    const source = '{ naturalPerson(idNumber: 350421199301272726) { name } investmentProjects(first: 20) { totalCount } }';
    const kept = keptDocument(parse(source), source, hash(3));
    expect(kept.document).not.toContain('350421199301272726');
    expect(kept.document).toContain('naturalPerson(idNumber: 0)');
    expect(kept.document).toContain('investmentProjects(first: 20)');
    expect(kept.hash).not.toBe(hash(3));
  });

  it('blanks the records kept before, merging those that become the same', async () => {
    await withGatewayStore(async (db) => {
      await migrate(db, migrations.filter((m) => m.name < '008'));
      const ask = (id: string) => `{ naturalPerson(idNumber: "${id}") { name } }`;
      const plain = 'query P($id: ID!) { naturalPerson(idNumber: $id) { name } }';
      await db('recorded_operations').insert([
        { consumer_id: 'drc-approval', operation_hash: hash(1), operation_name: null, document: ask('35010219900101003X'), first_seen: '2026-01-02T00:00:00.000Z', last_seen: '2026-03-01T00:00:00.000Z' },
        { consumer_id: 'drc-approval', operation_hash: hash(2), operation_name: null, document: ask('350102199001010051'), first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-02-01T00:00:00.000Z' },
        { consumer_id: 'market-portal', operation_hash: hash(3), operation_name: 'P', document: plain, first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:00.000Z' },
      ]);
      await migrate(db, migrations);
      const rows = await recordedOperations(db);
      expect(JSON.stringify(rows)).not.toMatch(/3501021990010/);
      const drc = rows.filter((r) => r.consumerId === 'drc-approval');
      expect(drc).toHaveLength(1);
      expect(drc[0]).toMatchObject({ document: expect.stringContaining('naturalPerson(idNumber: "")'), firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-03-01T00:00:00.000Z' });
      expect(rows.find((r) => r.consumerId === 'market-portal')).toMatchObject({ document: plain, operationHash: hash(3) });
    });
  });

  it('blanks the idNumbers written as digits in records kept before', async () => {
    await withGatewayStore(async (db) => {
      await migrate(db, migrations.filter((m) => m.name < '013'));
      await db('recorded_operations').insert({
        consumer_id: 'drc-approval', operation_hash: hash(4), operation_name: 'Digits', document: '{ naturalPerson(idNumber: 350421199301272726) { name } }',
        first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:00.000Z',
      });
      await migrate(db, migrations);
      const rows = await recordedOperations(db);
      expect(JSON.stringify(rows)).not.toMatch(/350421199301272726/);
      expect(rows).toEqual([expect.objectContaining({ operationName: 'Digits', document: expect.stringContaining('naturalPerson(idNumber: 0)') })]);
    });
  });

  it("blanks an idNumber's digits in names and comments, each run to a placeholder of its own, the document still valid", () => {
    const source = `# asked for 350426195905090695
      query P350426195905090695 { a350426195905090695: naturalPerson(idNumber: $id) { ...F350421199301272726 }
        b350421199301272726: naturalPerson(idNumber: $id) { ...F350421199301272726 } }
      fragment F350421199301272726 on NaturalPerson { name }`.replace('query P350426195905090695 {', 'query P350426195905090695($id: ID!) {');
    const kept = keptDocument(parse(source), source, hash(5));
    expect(kept.document).not.toMatch(/\d{15}/);
    // The two runs stay apart (two aliases), and a fragment's name agrees with its spreads.
    expect(kept.document).toContain('a_1: naturalPerson');
    expect(kept.document).toContain('b_2: naturalPerson');
    expect(kept.document.match(/F_2/g)).toHaveLength(3);
    expect(kept.document).toContain('query P_1($id: ID!)');
    expect(() => parse(kept.document)).not.toThrow();
  });

  it("blanks the names and operation names of records kept before, keeping when they were last sent without a purpose", async () => {
    await withGatewayStore(async (db) => {
      await migrate(db, migrations.filter((m) => m.name < '022'));
      await db('recorded_operations').insert({
        consumer_id: 'drc-approval', operation_hash: hash(6), operation_name: 'P350426195905090695',
        document: 'query P350426195905090695($id: ID!) { p350426195905090695: naturalPerson(idNumber: $id) { name } }',
        first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-02T00:00:00.000Z', last_without_purpose: '2026-01-02T00:00:00.000Z',
      });
      await migrate(db, migrations);
      const rows = await recordedOperations(db);
      expect(JSON.stringify(rows)).not.toMatch(/350426195905090695/);
      expect(rows).toEqual([expect.objectContaining({ operationName: 'P[digits]', document: expect.stringContaining('p_1: naturalPerson'), lastWithoutPurpose: '2026-01-02T00:00:00.000Z' })]);
    });
  });
});
