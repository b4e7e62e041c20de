import type { Migration } from '../../../shared/db';

export const credit: Migration = {
  name: '001_credit',
  async up(db) {
    // One summary row per subject with records, so a profile is one lookup whatever the entries.
    await db.schema.createTable('credit_profiles', (t) => {
      t.string('subject_key', 18).primary();
      t.string('subject_type', 16).notNullable();
      t.boolean('on_blacklist').notNullable();
      t.boolean('on_redlist').notNullable();
      t.string('rating', 1).nullable();
    });
    await db.schema.createTable('credit_entries', (t) => {
      t.increments('id');
      t.string('subject_key', 18).notNullable().index();
      t.string('kind', 24).notNullable();
      t.string('reason', 200).notNullable();
      t.string('authority', 60).notNullable();
      t.string('document_number', 60).notNullable();
      t.date('decided_on').notNullable();
      t.date('expires_on').nullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('credit_entries');
    await db.schema.dropTable('credit_profiles');
  },
};
