import type { Migration } from '../../shared/db';

/**
 * The grants a read was allowed by, kept in its hash-chained record (JSON: a list of grant ids, `[]`
 * when it needed none, or each person's own list; null in every record written before). Worked out afterwards from the catalogue
 * and the grants, they would follow the catalogue as it changed since, and could not tell which
 * grant decided a read that ran while a grant was being changed.
 */
export const auditGrants: Migration = {
  name: '016_audit_grants',
  async up(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      // MEDIUMTEXT on MySQL, as `subjects` and `fields` (009): a record naming thousands of persons
      // whose grants differ keeps each one's list. Added as the last column: instant on MariaDB.
      t.text('grants', 'mediumtext').nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.dropColumn('grants');
    });
  },
};
