import { Migration, usesMysql } from '../../shared/db';
import { RETENTION_DAYS } from './002_audit_trail';

/**
 * `audit_subjects` is how `accessLog` finds a person's records: a row deleted hides a read from the
 * person and the auditor as surely as deleting the record would. Its rows are kept under the trail's
 * own rule: never changed, and deleted only where the record they belong to could be (three years
 * on), or is gone already (which the trail's trigger allows only then). A retention purge may so
 * delete the index rows before the records or after them. (A row the trail does not name, or one
 * removed behind these triggers, is what `audit:verify` reports.)
 */
export const auditSubjectsProtected: Migration = {
  name: '010_audit_subjects_protected',
  async up(db) {
    const refuse = 'the index of who was read follows the append-only audit trail; its rows are kept three years, as the records are';
    if (usesMysql(db)) {
      await db.raw(`CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects FOR EACH ROW
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refuse}'`);
      await db.raw(`CREATE TRIGGER audit_subjects_retention BEFORE DELETE ON audit_subjects FOR EACH ROW
        BEGIN IF EXISTS (SELECT 1 FROM audit_trail WHERE seq = OLD.seq
            AND \`at\` > DATE_FORMAT(UTC_TIMESTAMP() - INTERVAL ${RETENTION_DAYS} DAY, '%Y-%m-%dT%H:%i:%s')) THEN
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refuse}'; END IF; END`);
    } else {
      await db.raw(`CREATE TRIGGER audit_subjects_no_update BEFORE UPDATE ON audit_subjects
        BEGIN SELECT RAISE(ABORT, '${refuse}'); END`);
      await db.raw(`CREATE TRIGGER audit_subjects_retention BEFORE DELETE ON audit_subjects
        WHEN EXISTS (SELECT 1 FROM audit_trail WHERE seq = OLD.seq AND julianday('now') - julianday(at) < ${RETENTION_DAYS})
        BEGIN SELECT RAISE(ABORT, '${refuse}'); END`);
    }
  },
  async down(db) {
    await db.raw('DROP TRIGGER IF EXISTS audit_subjects_no_update');
    await db.raw('DROP TRIGGER IF EXISTS audit_subjects_retention');
  },
};
