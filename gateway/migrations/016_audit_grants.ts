import type { Migration } from '../../shared/db';

/**
 * The grants a read was allowed by, kept in its hash-chained record (a JSON list of grant ids; null
 * when it needed none, and in every record written before). Worked out afterwards from the catalogue
 * and the grants, they would follow the catalogue as it changed since, and could not tell which
 * grant decided a read that ran while a grant was being changed.
 */
export const auditGrants: Migration = {
  name: '016_audit_grants',
  async up(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.text('grants').nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.dropColumn('grants');
    });
  },
};
