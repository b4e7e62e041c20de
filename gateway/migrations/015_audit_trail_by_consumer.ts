import type { Migration } from '../../shared/db';

/**
 * `auditTrail(consumer, from, to)` lists one consumer's reads over a period, newest first. Without an
 * index it would scan the whole trail (three years of every consumer's reads) for each page. One
 * entry per record, in time order within a consumer: a page is a short range of this index.
 */
export const auditTrailByConsumer: Migration = {
  name: '015_audit_trail_by_consumer',
  async up(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.index(['consumer_id', 'at', 'seq'], 'audit_trail_consumer_at');
    });
  },
  async down(db) {
    await db.schema.alterTable('audit_trail', (t) => {
      t.dropIndex(['consumer_id', 'at', 'seq'], 'audit_trail_consumer_at');
    });
  },
};
