import type { Migration } from '../../shared/db';
import { blankRecordedOperations } from './008_recorded_operations_blanked';

/**
 * An idNumber's digits written into a name (an alias `p350426195905090695`, an operation named
 * after the person) or a comment were kept word for word, and the operation's name was kept as sent:
 * recorded operations are blanked again as `keptDocument` keeps them now.
 */
export const recordedOperationsNamesBlanked: Migration = {
  name: '022_recorded_operations_names_blanked',
  up: (db) => blankRecordedOperations(db),
  async down() {
    // The digits are gone: there is nothing to restore.
  },
};
