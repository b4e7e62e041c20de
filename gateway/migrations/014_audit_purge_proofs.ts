import type { Migration } from '../../shared/db';

/**
 * A retention purge keeps the record it cut the trail after (`through_record`, the row without its
 * hash), so that `audit:verify` can recompute that record's hash and see that it was past the
 * retention when it was removed. Without it a purge row says nothing a forger could not write: the
 * youngest records could be removed behind the triggers and passed off as a purge. Only the latest
 * cut's record is kept (`audit:purge` clears the earlier ones): one record past retention, the
 * price of a purge that can be checked.
 */
export const auditPurgeProofs: Migration = {
  name: '014_audit_purge_proofs',
  async up(db) {
    await db.schema.alterTable('audit_purges', (t) => {
      t.text('through_record').nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_purges', (t) => {
      t.dropColumn('through_record');
    });
  },
};
