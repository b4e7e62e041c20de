import type { Migration } from '../../../shared/db';

export const naturalPersons: Migration = {
  name: '001_natural_persons',
  async up(db) {
    await db.schema.createTable('natural_persons', (t) => {
      t.string('id_number', 18).primary();
      t.string('name', 32).notNullable();
      t.string('gender', 6).notNullable();
      t.date('birth_date').notNullable();
      t.string('status', 8).notNullable();
      t.date('deceased_on').nullable();
      t.string('household_division_code', 6).notNullable().index();
      t.string('household_address', 200).notNullable();
      t.string('mobile_phone', 11).nullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('natural_persons');
  },
};
