import type { Migration } from '../../shared/db';

/**
 * Each retention purge (`npm run audit:purge`), kept: the record the trail was cut after and its
 * hash. `audit:verify` accepts a trail that no longer starts at record 1 only where a purge says
 * where it was cut and the first record left follows that hash: records removed any other way
 * (behind the triggers) are reported as removed, not taken for the retention.
 */
export const auditPurges: Migration = {
  name: '011_audit_purges',
  async up(db) {
    await db.schema.createTable('audit_purges', (t) => {
      t.increments('id');
      t.bigInteger('through_seq').notNullable();
      t.string('through_hash', 64).notNullable();
      t.integer('removed').notNullable();
      t.string('purged_at', 24).notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('audit_purges');
  },
};
