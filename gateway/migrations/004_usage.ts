import type { Knex } from 'knex';
import type { Migration } from '../../shared/db';

/**
 * Usage statistics (operational monitoring, as X-Road keeps it): one row per day, consumer,
 * department and field, upserted by the gateway every few seconds from what it aggregated in
 * memory. Roll-ups are rows of their own, so every figure is exact without double counting:
 * department '*' and coordinate '*' is the request as a whole; a department with coordinate '*'
 * is what reached that department (requests that used it, and the gateway's calls to it).
 */
export const usage: Migration = {
  name: '004_usage',
  async up(db) {
    const key = (t: Knex.CreateTableBuilder) => {
      t.string('day', 10).notNullable();
      t.string('consumer_id', 100).notNullable();
      t.string('department', 64).notNullable();
      t.string('coordinate', 200).notNullable();
    };
    await db.schema.createTable('usage_daily', (t) => {
      key(t);
      t.bigInteger('requests').notNullable().defaultTo(0);
      t.bigInteger('items').notNullable().defaultTo(0);
      t.bigInteger('errors').notNullable().defaultTo(0);
      t.double('latency_ms_total').notNullable().defaultTo(0);
      t.double('latency_ms_max').notNullable().defaultTo(0);
      t.bigInteger('fetches').notNullable().defaultTo(0);
      t.bigInteger('fetch_failures').notNullable().defaultTo(0);
      t.double('fetch_ms_total').notNullable().defaultTo(0);
      t.double('fetch_ms_max').notNullable().defaultTo(0);
      t.primary(['day', 'consumer_id', 'department', 'coordinate']);
    });
    await db.schema.createTable('usage_errors', (t) => {
      key(t);
      t.string('code', 64).notNullable();
      t.bigInteger('errors').notNullable().defaultTo(0);
      t.primary(['day', 'consumer_id', 'department', 'coordinate', 'code']);
    });
  },
  async down(db) {
    await db.schema.dropTable('usage_errors');
    await db.schema.dropTable('usage_daily');
  },
};
