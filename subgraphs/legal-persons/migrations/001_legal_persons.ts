import type { Migration } from '../../../shared/db';

export const legalPersons: Migration = {
  name: '001_legal_persons',
  async up(db) {
    await db.schema.createTable('legal_persons', (t) => {
      t.string('uscc', 18).primary();
      t.string('name', 100).notNullable();
      t.string('status', 10).notNullable();
      t.date('established_on').notNullable();
      t.string('enterprise_type', 60).notNullable();
      t.decimal('registered_capital', 14, 2).notNullable();
      t.string('business_scope', 300).notNullable();
      t.string('registered_address', 200).notNullable();
      // The representative's key only: the person is Public Security's record (一数一源).
      t.string('representative_id_number', 18).notNullable().index();
      t.string('division_code', 6).notNullable().index();
    });
  },
  async down(db) {
    await db.schema.dropTable('legal_persons');
  },
};
