import { Migration, usesMysql } from '../../shared/db';

/** PIPL art. 56: access records are kept at least three years. */
export const RETENTION_DAYS = 3 * 365 + 1;

export const auditTrail: Migration = {
  name: '002_audit_trail',
  async up(db) {
    // Append-only and hash-chained: each record's hash covers its content and the previous hash.
    await db.schema.createTable('audit_trail', (t) => {
      t.bigInteger('seq').primary();
      t.string('at', 24).notNullable();
      t.string('consumer_id', 64).notNullable();
      t.string('purpose', 500).nullable();
      t.string('request_id', 100).notNullable();
      t.string('operation_name', 100).nullable();
      t.string('operation_hash', 64).notNullable();
      t.text('subjects').notNullable();
      t.text('fields').notNullable();
      t.string('outcome', 12).notNullable();
      t.string('prev_hash', 64).notNullable();
      t.string('hash', 64).notNullable();
    });
    // Who was read, for "who read my data" without scanning the trail. Derived from the trail.
    await db.schema.createTable('audit_subjects', (t) => {
      t.string('id_number', 18).notNullable();
      t.bigInteger('seq').notNullable();
      t.primary(['id_number', 'seq']);
    });
    // The chain's head, locked by each writer so replicas sharing one store append in turn.
    await db.schema.createTable('audit_chain', (t) => {
      t.integer('id').primary();
      t.bigInteger('last_seq').notNullable();
      t.string('last_hash', 64).notNullable();
    });
    await db('audit_chain').insert({ id: 1, last_seq: 0, last_hash: '0'.repeat(64) });

    const refuse = 'the audit trail is append-only; records are kept three years';
    if (usesMysql(db)) {
      await db.raw(`CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail FOR EACH ROW
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refuse}'`);
      await db.raw(`CREATE TRIGGER audit_trail_retention BEFORE DELETE ON audit_trail FOR EACH ROW
        BEGIN IF OLD.at > DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL ${RETENTION_DAYS} DAY, '%Y-%m-%dT%H:%i:%s') THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refuse}'; END IF; END`);
    } else {
      await db.raw(`CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
        BEGIN SELECT RAISE(ABORT, '${refuse}'); END`);
      await db.raw(`CREATE TRIGGER audit_trail_retention BEFORE DELETE ON audit_trail
        WHEN julianday('now') - julianday(OLD.at) < ${RETENTION_DAYS} BEGIN SELECT RAISE(ABORT, '${refuse}'); END`);
    }
  },
  async down(db) {
    await db.raw('DROP TRIGGER IF EXISTS audit_trail_no_update');
    await db.raw('DROP TRIGGER IF EXISTS audit_trail_retention');
    for (const table of ['audit_chain', 'audit_subjects', 'audit_trail']) await db.schema.dropTable(table);
  },
};
