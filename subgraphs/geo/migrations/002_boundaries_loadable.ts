import { Migration, usesMysql } from '../../../shared/db';

/**
 * Boundaries a department loads itself (`npm run boundaries`), beside the seed's synthetic grid:
 * - `boundary` grows to MEDIUMTEXT on MySQL (16 MB): a surveyed county outline, a coastline's
 *   islands included, runs past TEXT's 65,535 bytes (SQLite's TEXT has no such limit);
 * - `boundary_source` says where a boundary came from, so a parcel refused for lying outside its
 *   county says whether that county's boundary is the synthetic cell or a surveyed one. Existing
 *   boundaries are the seed's.
 */
export const SYNTHETIC_BOUNDARY = 'seed: synthetic grid cell';

export const boundariesLoadable: Migration = {
  name: '002_boundaries_loadable',
  async up(db) {
    if (usesMysql(db)) await db.raw('ALTER TABLE `administrative_divisions` MODIFY `boundary` MEDIUMTEXT NULL');
    await db.schema.alterTable('administrative_divisions', (t) => {
      t.string('boundary_source', 200).nullable();
    });
    await db('administrative_divisions').whereNotNull('boundary').update({ boundary_source: SYNTHETIC_BOUNDARY });
  },
  async down(db) {
    await db.schema.alterTable('administrative_divisions', (t) => {
      t.dropColumn('boundary_source');
    });
    if (usesMysql(db)) await db.raw('ALTER TABLE `administrative_divisions` MODIFY `boundary` TEXT NULL');
  },
};
