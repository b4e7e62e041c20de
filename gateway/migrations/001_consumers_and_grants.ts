import type { Migration } from '../../shared/db';

export const consumersAndGrants: Migration = {
  name: '001_consumers_and_grants',
  async up(db) {
    // The registry of consumer systems (and department operators) allowed to call the gateway.
    await db.schema.createTable('consumers', (t) => {
      t.string('id', 64).primary();
      t.string('name', 100).notNullable();
      t.string('organisation', 100).notNullable();
      /** Comma-separated: AUDITOR, DEPARTMENT. */
      t.string('roles', 100).notNullable().defaultTo('');
      /** For role DEPARTMENT: the department (subgraph) it operates. */
      t.string('department', 32).nullable();
      t.string('status', 12).notNullable();
      t.string('registered_at', 24).notNullable();
    });
    // 国发〔2016〕51号: a consumer applies for a conditional resource; the owner decides within 10 working days.
    await db.schema.createTable('access_applications', (t) => {
      t.increments('id');
      t.string('consumer_id', 64).notNullable().index();
      t.string('resource', 100).notNullable();
      t.string('purpose', 500).notNullable();
      t.string('status', 12).notNullable();
      t.string('submitted_at', 24).notNullable();
      t.string('deadline', 10).notNullable();
      t.string('decided_at', 24).nullable();
      t.string('decided_by', 64).nullable();
      t.string('reason', 500).nullable();
    });
    await db.schema.createTable('access_grants', (t) => {
      t.increments('id');
      t.string('consumer_id', 64).notNullable();
      t.string('resource', 100).notNullable();
      t.integer('application_id').nullable();
      t.boolean('masked').notNullable();
      t.string('granted_at', 24).notNullable();
      t.string('valid_until', 10).nullable();
      t.string('revoked_at', 24).nullable();
      t.string('revoked_by', 64).nullable();
      t.string('revoke_reason', 500).nullable();
      t.index(['consumer_id', 'resource']);
    });
    // Every step of every application and grant, kept: who did what, when, and why.
    await db.schema.createTable('access_events', (t) => {
      t.increments('id');
      t.integer('application_id').nullable().index();
      t.integer('grant_id').nullable().index();
      t.string('at', 24).notNullable();
      t.string('actor', 64).notNullable();
      t.string('action', 16).notNullable();
      t.string('reason', 500).nullable();
    });
  },
  async down(db) {
    for (const table of ['access_events', 'access_grants', 'access_applications', 'consumers']) await db.schema.dropTable(table);
  },
};
