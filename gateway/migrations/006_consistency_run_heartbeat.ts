import type { Migration } from '../../shared/db';

/**
 * A running consistency check beats every few seconds, so a gateway starting up (another replica,
 * or a cluster worker replaced after a crash) fails only runs whose gateway has stopped, never a
 * run another live gateway is still doing.
 */
export const consistencyRunHeartbeat: Migration = {
  name: '006_consistency_run_heartbeat',
  async up(db) {
    await db.schema.alterTable('consistency_runs', (t) => {
      t.string('heartbeat_at', 30).nullable();
    });
  },
  async down(db) {
    await db.schema.alterTable('consistency_runs', (t) => {
      t.dropColumn('heartbeat_at');
    });
  },
};
