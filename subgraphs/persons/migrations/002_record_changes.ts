import type { Migration } from '../../../shared/db';

/** The change log of corrections (record-changes.ts): what the gateway's change notices read. */
export const recordChanges: Migration = {
  name: '002_record_changes',
  async up(db) {
    await db.schema.createTable('record_changes', (t) => {
      t.increments('id');
      t.string('entity_key', 18).notNullable();
      // The names of the fields whose value changed, as a JSON array.
      t.text('fields').notNullable();
      t.string('reason', 500).notNullable();
      t.string('objection_id', 64).nullable();
      t.string('changed_by', 100).notNullable();
      // ISO 8601 in UTC with milliseconds: compared as strings, the same on SQLite and MySQL.
      t.string('changed_at', 30).notNullable().index();
    });
  },
  async down(db) {
    await db.schema.dropTable('record_changes');
  },
};
