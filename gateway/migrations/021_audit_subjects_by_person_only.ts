import type { Migration } from '../../shared/db';

/**
 * The index of who was read loses its second key, by record (`seq`, from migration 012). Each
 * audited answer adds a row per person read (a hundred for a batch of verifications), and every row
 * went into two B-trees. On MariaDB the second key cost more than the first: a pass indexing 6,000
 * records of 100 persons took 3.5–4.2 s with it and 1.6–1.9 s without, and its redo kept the log
 * near full under a verification load (BENCHMARKS.md). It served only the retention purge, which now finds a record's rows through the
 * idNumbers the record names, by primary key (`subjectSql(db).removal`), and `audit:verify`'s
 * search for the one row it reports, which scans the index once instead.
 */
export const auditSubjectsByPersonOnly: Migration = {
  name: '021_audit_subjects_by_person_only',
  async up(db) {
    await db.schema.alterTable('audit_subjects', (t) => {
      t.dropIndex(['seq'], 'audit_subjects_seq');
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_subjects', (t) => {
      t.index(['seq'], 'audit_subjects_seq');
    });
  },
};
