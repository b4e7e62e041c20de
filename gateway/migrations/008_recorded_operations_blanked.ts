import type { Migration } from '../../shared/db';
import { keptDocumentText } from '../operations-recorder';

interface Row {
  consumer_id: string;
  operation_hash: string;
  document: string;
  first_seen: string;
  last_seen: string;
}

/**
 * Recorded operations are kept with their string literals blanked (`keptDocument`): the records
 * made before kept literal idNumbers and names word for word. Each is blanked; where the blanked
 * document is already recorded for that consumer, the two become one (first and last seen merged).
 */
export const recordedOperationsBlanked: Migration = {
  name: '008_recorded_operations_blanked',
  async up(db) {
    const rows: Row[] = await db('recorded_operations').select('consumer_id', 'operation_hash', 'document', 'first_seen', 'last_seen');
    for (const row of rows) {
      let kept;
      try {
        kept = keptDocumentText(row.document, row.operation_hash);
      } catch {
        continue; // only validated documents were recorded; one that no longer parses is left for `check` to report
      }
      if (kept.hash === row.operation_hash) continue;
      const where = { consumer_id: row.consumer_id, operation_hash: row.operation_hash };
      const twin: Row | undefined = await db('recorded_operations').where({ consumer_id: row.consumer_id, operation_hash: kept.hash }).first();
      if (twin) {
        await db('recorded_operations').where({ consumer_id: row.consumer_id, operation_hash: kept.hash }).update({
          first_seen: twin.first_seen < row.first_seen ? twin.first_seen : row.first_seen,
          last_seen: twin.last_seen > row.last_seen ? twin.last_seen : row.last_seen,
        });
        await db('recorded_operations').where(where).delete();
      } else {
        await db('recorded_operations').where(where).update({ operation_hash: kept.hash, document: kept.document });
      }
    }
  },
  async down() {
    // The literals are gone: there is nothing to restore.
  },
};
