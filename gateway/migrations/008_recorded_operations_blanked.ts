import type { Knex } from 'knex';
import type { Migration } from '../../shared/db';
import { keptDocumentText } from '../operations-recorder';
import { withoutPersonalDigits } from '../../shared/personal-digits';

interface Row {
  consumer_id: string;
  operation_hash: string;
  operation_name: string | null;
  document: string;
  first_seen: string;
  last_seen: string;
  /** From 018 on. */
  last_without_purpose?: string | null;
}

/**
 * Recorded operations are kept with their string literals blanked (`keptDocument`): the records
 * made before kept literal idNumbers and names word for word. Each is blanked; where the blanked
 * document is already recorded for that consumer, the two become one (first and last seen merged).
 */
export const recordedOperationsBlanked: Migration = {
  name: '008_recorded_operations_blanked',
  up: (db) => blankRecordedOperations(db),
  async down() {
    // The literals are gone: there is nothing to restore.
  },
};

/**
 * Every recorded operation as `keptDocument` keeps it now (008 for strings, 013 for identifiers
 * written as digits, 022 for an idNumber's digits in names and comments, and in the operation's name).
 */
export async function blankRecordedOperations(db: Knex): Promise<void> {
  const sincePurpose = await db.schema.hasColumn('recorded_operations', 'last_without_purpose');
  const rows: Row[] = await db('recorded_operations')
    .select('consumer_id', 'operation_hash', 'operation_name', 'document', 'first_seen', 'last_seen', ...(sincePurpose ? ['last_without_purpose'] : []));
  // Every record as it is to be kept, by consumer and kept hash: the records that become one.
  const kept = new Map<string, { hash: string; document: string; rows: Row[] }>();
  for (const row of rows) {
    let document;
    try {
      document = keptDocumentText(row.document, row.operation_hash);
    } catch {
      continue; // only validated documents were recorded; one that no longer parses is left for `check` to report
    }
    const key = `${row.consumer_id}\u0000${document.hash}`;
    const group = kept.get(key) ?? { ...document, rows: [] };
    group.rows.push(row);
    kept.set(key, group);
  }
  for (const { hash, document, rows: group } of kept.values()) {
    const { consumer_id, operation_name } = group[0];
    const name = operation_name === null ? null : withoutPersonalDigits(operation_name);
    if (group.every((row) => row.operation_hash === hash && row.operation_name === name)) continue; // nothing to blank
    const latest = (dates: (string | null | undefined)[]) => dates.reduce<string | null>((a, b) => (b && (!a || b > a) ? b : a), null);
    await db('recorded_operations').where('consumer_id', consumer_id).whereIn('operation_hash', group.map((r) => r.operation_hash)).delete();
    await db('recorded_operations').insert({
      consumer_id,
      operation_hash: hash,
      operation_name: name,
      document,
      first_seen: group.map((r) => r.first_seen).reduce((a, b) => (a < b ? a : b)),
      last_seen: latest(group.map((r) => r.last_seen)),
      ...(sincePurpose ? { last_without_purpose: latest(group.map((r) => r.last_without_purpose)) } : {}),
    });
  }
}
