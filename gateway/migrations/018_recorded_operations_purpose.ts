import type { Migration } from '../../shared/db';

/**
 * When a consumer last sent an operation without a purpose (X-Purpose): `npm run check` tells a
 * department that a field becoming conditionally shared breaks such an operation even for a
 * consumer holding the grant, since a conditional field also needs a stated purpose. Null: not
 * sent without one since this was recorded (operations recorded before say nothing either way).
 */
export const recordedOperationsPurpose: Migration = {
  name: '018_recorded_operations_purpose',
  async up(db) {
    await db.schema.alterTable('recorded_operations', (t) => {
      t.string('last_without_purpose', 24).nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('recorded_operations', (t) => {
      t.dropColumn('last_without_purpose');
    });
  },
};
