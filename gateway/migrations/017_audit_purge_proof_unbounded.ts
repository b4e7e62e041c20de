import type { Migration } from '../../shared/db';
import { usesMysql } from '../../shared/db';

/**
 * A purge keeps the whole record it cut the trail after (`through_record`, 014), and a record's
 * `subjects`, `fields` and `grants` may each take more than MySQL's TEXT (009, 016): a purge cutting
 * at a record that read thousands of persons would fail every time it ran. MEDIUMTEXT, as theirs.
 */
export const auditPurgeProofUnbounded: Migration = {
  name: '017_audit_purge_proof_unbounded',
  async up(db) {
    if (usesMysql(db)) await db.raw('ALTER TABLE `audit_purges` MODIFY `through_record` MEDIUMTEXT NULL');
  },
  async down(db) {
    if (usesMysql(db)) await db.raw('ALTER TABLE `audit_purges` MODIFY `through_record` TEXT NULL');
  },
};
