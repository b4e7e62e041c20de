import type { Migration } from '../../shared/db';
import { blankRecordedOperations } from './008_recorded_operations_blanked';

/**
 * An idNumber written into a query as digits (`naturalPerson(idNumber: 350421199301272726)`, which
 * GraphQL's ID accepts) was kept word for word: 008 blanked strings only. Recorded operations are
 * blanked again as `keptDocument` keeps them now.
 */
export const recordedOperationsDigitsBlanked: Migration = {
  name: '013_recorded_operations_digits_blanked',
  up: (db) => blankRecordedOperations(db),
  async down() {
    // The literals are gone: there is nothing to restore.
  },
};
