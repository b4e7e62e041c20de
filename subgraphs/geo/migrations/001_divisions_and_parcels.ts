import type { Migration } from '../../../shared/db';

export const divisionsAndParcels: Migration = {
  name: '001_divisions_and_parcels',
  async up(db) {
    await db.schema.createTable('administrative_divisions', (t) => {
      t.string('code', 6).primary();
      t.string('name', 40).notNullable();
      t.string('level', 8).notNullable();
      t.string('parent_code', 6).nullable().index();
      t.text('boundary').nullable();
      // The boundary's bounding box: divisionAt narrows to a few candidates in SQL first.
      t.double('min_longitude').nullable();
      t.double('min_latitude').nullable();
      t.double('max_longitude').nullable();
      t.double('max_latitude').nullable();
    });
    await db.schema.createTable('land_parcels', (t) => {
      t.string('parcel_code', 28).primary();
      t.string('division_code', 6).notNullable().index();
      t.string('land_use_code', 4).notNullable();
      t.string('land_use', 20).notNullable();
      t.double('area_square_metres').notNullable();
      t.string('right_type', 30).notNullable();
      t.text('geometry').notNullable();
    });
  },
  async down(db) {
    await db.schema.dropTable('land_parcels');
    await db.schema.dropTable('administrative_divisions');
  },
};
