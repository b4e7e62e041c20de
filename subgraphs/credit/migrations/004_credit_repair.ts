import type { Migration } from '../../../shared/db';

/**
 * The credit department's own decisions about its records, each with who made it, when and why:
 * an entry withdrawn (信用修复: it stays on file, but is no longer in force nor listed) and a legal
 * person's rating set. Before, both were edits in the store itself, with no trace of either.
 */
export const creditRepair: Migration = {
  name: '004_credit_repair',
  async up(db) {
    await db.schema.alterTable('credit_entries', (t) => {
      t.string('withdrawn_at', 24).nullable();
      t.string('withdrawn_by', 100).nullable();
      t.string('withdrawal_reason', 500).nullable();
    });
    await db.schema.alterTable('credit_profiles', (t) => {
      t.string('rated_at', 24).nullable();
      t.string('rated_by', 100).nullable();
      t.string('rating_reason', 500).nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('credit_profiles', (t) => {
      t.dropColumn('rating_reason');
      t.dropColumn('rated_by');
      t.dropColumn('rated_at');
    });
    await db.schema.alterTable('credit_entries', (t) => {
      t.dropColumn('withdrawal_reason');
      t.dropColumn('withdrawn_by');
      t.dropColumn('withdrawn_at');
    });
  },
};
