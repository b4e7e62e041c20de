import type { Migration } from '../../shared/db';

/**
 * `audit_subjects` (who was read, for "who read my data") is now written behind the trail instead
 * of in each record's own transaction: this row says how far it has got. Every record written so
 * far already has its subject rows, so it starts at the chain's head.
 */
export const auditSubjectsBehind: Migration = {
  name: '007_audit_subjects_behind',
  async up(db) {
    await db.schema.createTable('audit_subjects_progress', (t) => {
      t.integer('id').primary();
      t.bigInteger('indexed_seq').notNullable();
    });
    const head = await db('audit_chain').where('id', 1).first('last_seq');
    await db('audit_subjects_progress').insert({ id: 1, indexed_seq: head?.last_seq ?? 0 });
  },
  async down(db) {
    await db.schema.dropTable('audit_subjects_progress');
  },
};
