import type { Migration } from '../../shared/db';

/**
 * Each distinct operation document each consumer has sent: `npm run check` validates them against
 * a proposed schema to name the consumers a change would break.
 */
export const recordedOperations: Migration = {
  name: '003_recorded_operations',
  async up(db) {
    await db.schema.createTable('recorded_operations', (t) => {
      t.string('consumer_id', 100).notNullable();
      /** sha256 of the document as kept: as sent (Apollo Server's queryHash), or with its string literals blanked (008). */
      t.string('operation_hash', 64).notNullable();
      t.string('operation_name', 100).nullable();
      // mediumtext on MySQL: a document may be up to the body limit, beyond TEXT's 64 KB.
      t.text('document', 'mediumtext').notNullable();
      t.string('first_seen', 24).notNullable();
      t.string('last_seen', 24).notNullable();
      t.primary(['consumer_id', 'operation_hash']);
    });
  },
  async down(db) {
    await db.schema.dropTable('recorded_operations');
  },
};
