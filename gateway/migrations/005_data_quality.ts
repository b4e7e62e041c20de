import type { Migration } from '../../shared/db';

/**
 * Data quality (共享校核, 数据异议): objections and every step taken on them, which consumers read
 * which keyed records lately (for change notices), and the runs of the consistency checks.
 */
export const dataQuality: Migration = {
  name: '005_data_quality',
  async up(db) {
    await db.schema.createTable('objections', (t) => {
      t.increments('id');
      t.string('entity_type', 64).notNullable();
      t.string('entity_key', 64).notNullable();
      t.string('field', 100).notNullable();
      t.string('owner', 64).notNullable();
      t.text('believed_value').notNullable();
      t.text('evidence').notNullable();
      t.string('raised_by', 100).notNullable();
      t.string('status', 16).notNullable();
      t.string('raised_at', 30).notNullable();
      t.string('updated_at', 30).notNullable();
      t.index(['entity_type', 'entity_key']);
      t.index(['owner', 'status']);
    });
    await db.schema.createTable('objection_events', (t) => {
      t.increments('id');
      t.integer('objection_id').unsigned().notNullable().references('id').inTable('objections');
      t.string('at', 30).notNullable();
      t.string('actor', 100).notNullable();
      t.string('action', 16).notNullable();
      t.text('note').nullable();
      t.index(['objection_id']);
    });
    await db.schema.createTable('entity_reads', (t) => {
      t.string('consumer_id', 100).notNullable();
      t.string('entity_type', 64).notNullable();
      t.string('entity_key', 64).notNullable();
      t.string('last_read_at', 30).notNullable();
      t.primary(['entity_type', 'entity_key', 'consumer_id']);
    });
    await db.schema.createTable('consistency_runs', (t) => {
      t.increments('id');
      t.string('requested_by', 100).notNullable();
      t.string('status', 16).notNullable();
      t.string('started_at', 30).notNullable();
      t.string('finished_at', 30).nullable();
      t.text('progress').nullable();
      t.text('report', 'longtext').nullable();
      t.text('error').nullable();
    });
  },
  async down(db) {
    for (const table of ['consistency_runs', 'entity_reads', 'objection_events', 'objections']) await db.schema.dropTableIfExists(table);
  },
};
