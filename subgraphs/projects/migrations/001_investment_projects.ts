import type { Migration } from '../../../shared/db';

export const investmentProjects: Migration = {
  name: '001_investment_projects',
  async up(db) {
    await db.schema.createTable('investment_projects', (t) => {
      t.string('project_code', 24).primary();
      t.string('name', 120).notNullable();
      t.decimal('total_investment', 14, 2).notNullable();
      t.string('status', 20).notNullable();
      t.string('kind', 14).notNullable();
      t.string('industry_code', 2).notNullable();
      t.date('declared_on').notNullable();
      // Keys only: the applicant is Market Regulation's record, the county Natural Resources'.
      t.string('applicant_uscc', 18).notNullable().index();
      t.string('division_code', 6).notNullable();
      t.index(['status', 'project_code']);
      t.index(['division_code', 'project_code']);
    });
    await db.schema.createTable('project_parcels', (t) => {
      t.string('project_code', 24).notNullable().references('project_code').inTable('investment_projects');
      t.string('parcel_code', 28).notNullable().index();
      t.primary(['project_code', 'parcel_code']);
    });
    await db.schema.createTable('approval_steps', (t) => {
      t.string('project_code', 24).notNullable().references('project_code').inTable('investment_projects');
      t.integer('step').notNullable();
      t.string('department', 40).notNullable();
      t.string('item', 60).notNullable();
      t.string('status', 12).notNullable();
      t.date('decided_on').nullable();
      t.primary(['project_code', 'step']);
    });
  },
  async down(db) {
    await db.schema.dropTable('approval_steps');
    await db.schema.dropTable('project_parcels');
    await db.schema.dropTable('investment_projects');
  },
};
