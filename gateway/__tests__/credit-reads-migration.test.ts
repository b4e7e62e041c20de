import { knex, Knex } from 'knex';
import { migrate } from '../../shared/db';
import { migrations } from '../migrations';
import { creditReads } from '../migrations/020_credit_reads';

/**
 * Upgrading to credit notices by credit reads: a subject read before the upgrade counts as a read
 * of their credit too, so a consumer in the middle of an approval is still told of a blacklisting.
 */
describe('gateway migration 020_credit_reads', () => {
  let db: Knex;
  beforeAll(async () => {
    db = knex({ client: 'better-sqlite3', connection: { filename: ':memory:' }, useNullAsDefault: true });
    await migrate(db, migrations.slice(0, migrations.indexOf(creditReads)));
  });
  afterAll(() => db.destroy());

  it('takes every read of a person or legal person recorded before as a read of their credit too', async () => {
    const at = '2026-12-01T02:00:00.000Z';
    await db('entity_reads').insert([
      { consumer_id: 'drc-approval', entity_type: 'NaturalPerson', entity_key: '11010519491231002X', last_read_at: at },
      { consumer_id: 'drc-approval', entity_type: 'LegalPerson', entity_key: '91350100M000100Y43', last_read_at: at },
      { consumer_id: 'drc-approval', entity_type: 'InvestmentProject', entity_key: '2026-350102-48-01-000001', last_read_at: at },
    ]);
    await migrate(db, migrations);
    expect(await db('entity_reads').where('entity_type', 'like', '%.credit').orderBy('entity_type').select()).toEqual([
      { consumer_id: 'drc-approval', entity_type: 'LegalPerson.credit', entity_key: '91350100M000100Y43', last_read_at: at },
      { consumer_id: 'drc-approval', entity_type: 'NaturalPerson.credit', entity_key: '11010519491231002X', last_read_at: at },
    ]);
    expect(await db('entity_reads').count({ n: '*' }).first()).toEqual({ n: 5 });
  });
});
