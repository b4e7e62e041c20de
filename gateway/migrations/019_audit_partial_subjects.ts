import type { Migration } from '../../shared/db';

/**
 * Whose reads in a PARTIAL record were partial (JSON list of idNumbers), kept in its hash-chained
 * content where they were not all: a person's access log said PARTIAL for a read of them that was
 * whole, when another item of the same request (another person's invalid idNumber in a batch, a
 * field refused about someone else) failed. Null: the record's outcome is every subject's, as in
 * every record written before.
 */
export const auditPartialSubjects: Migration = {
  name: '019_audit_partial_subjects',
  async up(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      // As `grants` (016): MEDIUMTEXT on MySQL, the last column, so added instantly on MariaDB.
      t.text('partial_subjects', 'mediumtext').nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.dropColumn('partial_subjects');
    });
  },
};
