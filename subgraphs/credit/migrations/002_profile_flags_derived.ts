import type { Migration } from '../../../shared/db';

/**
 * Whether a subject is on the blacklist or the redlist is worked out from the entries in force on
 * the day it is read (`store.ts`): a stored flag went stale the day an entry expired, and was
 * rewritten by any load that touched the subject. The flags were kept "for reference" after that,
 * written by every load and read by nothing: a second answer that could disagree with the first.
 * A profile row now holds what only it knows: the subject's type and its rating on file.
 */
export const profileFlagsDerived: Migration = {
  name: '002_profile_flags_derived',
  async up(db) {
    await db.schema.alterTable('credit_profiles', (t) => {
      t.dropColumn('on_blacklist');
      t.dropColumn('on_redlist');
    });
  },
  async down(db) {
    // Back as they were declared; their values are not recoverable from a row, and nothing read them.
    await db.schema.alterTable('credit_profiles', (t) => {
      t.boolean('on_blacklist').notNullable().defaultTo(false);
      t.boolean('on_redlist').notNullable().defaultTo(false);
    });
  },
};
