import type { Migration } from '../../shared/db';
import { usesMysql } from '../../shared/db';

/**
 * A record's `subjects` and `fields` were MySQL TEXT, 65,535 bytes: an operation that read more
 * than about 3,000 persons (aliased pages of the register) could not be recorded, and under strict
 * mode the failed insert took the whole batch with it, withholding every answer in it. MEDIUMTEXT
 * holds 16 MiB. SQLite's TEXT has no such bound. (MySQL copies the table to change the type: a
 * one-time cost on a large trail.)
 */
export const auditListsUnbounded: Migration = {
  name: '009_audit_lists_unbounded',
  async up(db) {
    if (usesMysql(db)) await db.raw('ALTER TABLE `audit_trail` MODIFY `subjects` MEDIUMTEXT NOT NULL, MODIFY `fields` MEDIUMTEXT NOT NULL');
  },
  async down(db) {
    if (usesMysql(db)) await db.raw('ALTER TABLE `audit_trail` MODIFY `subjects` TEXT NOT NULL, MODIFY `fields` TEXT NOT NULL');
  },
};
