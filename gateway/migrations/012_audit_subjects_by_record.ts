import type { Migration } from '../../shared/db';

/**
 * The index of who was read is keyed by person (`id_number`, `seq`). A retention purge removes its
 * rows by record (`seq <= n`): without an index on `seq` that is a scan of the whole table inside
 * the purge's transaction (on InnoDB, locking every row it passes while the index pass waits).
 */
export const auditSubjectsByRecord: Migration = {
  name: '012_audit_subjects_by_record',
  async up(db) {
    await db.schema.alterTable('audit_subjects', (t) => {
      t.index(['seq'], 'audit_subjects_seq');
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_subjects', (t) => {
      t.dropIndex(['seq'], 'audit_subjects_seq');
    });
  },
};
