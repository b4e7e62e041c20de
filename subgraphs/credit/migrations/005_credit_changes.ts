import type { Migration } from '../../../shared/db';

/**
 * The credit department's change log, as persons and legal persons keep theirs (record_changes),
 * with the subject's type beside its key (a person and a company may share 18 characters): every
 * entry recorded, withdrawn (信用修复) or rating set. The gateway reads it for change notices, so
 * an approval in progress learns that a subject it read was blacklisted since, and for objections.
 */
export const creditChanges: Migration = {
  name: '005_credit_changes',
  async up(db) {
    await db.schema.createTable('credit_changes', (t) => {
      t.increments('id');
      t.string('subject_type', 16).notNullable();
      t.string('subject_key', 18).notNullable();
      // The names of the subject's fields that changed, as a JSON array: ["credit"].
      t.text('fields').notNullable();
      t.string('reason', 500).notNullable();
      t.string('objection_id', 64).nullable();
      t.string('changed_by', 100).notNullable();
      // ISO 8601 in UTC with milliseconds, compared as strings (as record_changes).
      t.string('changed_at', 30).notNullable().index();
    });
  },
  async down(db) {
    await db.schema.dropTable('credit_changes');
  },
};
