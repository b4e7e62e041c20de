import type { Migration } from '../../../shared/db';
import { checkIdNumber } from '../../../shared/identifiers';

/**
 * A subject was its 18-character key alone, but a few values are valid both as a natural person's
 * idNumber and as a legal person's uscc: the two subjects' entries merged into one profile, and a
 * person could be told a company's blacklisting. A subject is now its type and its key, in the
 * profile's primary key and on every entry.
 *
 * Entries already stored take their subject's type from its profile (a load writes both in one
 * transaction); one with no profile, which no load leaves, from the shape of its key. Where two
 * subjects had already merged, their stored entries cannot be told apart, and stay with the type
 * the profile was given first.
 */
export const subjectTypeInKey: Migration = {
  name: '003_subject_type_in_key',
  async up(db) {
    await db.schema.alterTable('credit_entries', (t) => {
      t.string('subject_type', 16).nullable();
    });
    await db('credit_entries').update({
      subject_type: db('credit_profiles as p').select('p.subject_type').whereRaw('?? = ??', ['p.subject_key', 'credit_entries.subject_key']),
    });
    const orphans: { subject_key: string }[] = await db('credit_entries').distinct('subject_key').whereNull('subject_type');
    for (const { subject_key } of orphans) {
      const subjectType = checkIdNumber(subject_key).ok ? 'NATURAL_PERSON' : 'LEGAL_PERSON';
      await db('credit_entries').update({ subject_type: subjectType }).where({ subject_key }).whereNull('subject_type');
    }
    await db.schema.alterTable('credit_entries', (t) => {
      t.string('subject_type', 16).notNullable().alter();
      t.dropIndex(['subject_key']);
      t.index(['subject_type', 'subject_key']);
    });
    await db.schema.alterTable('credit_profiles', (t) => {
      t.dropPrimary();
      t.primary(['subject_type', 'subject_key']);
    });
  },
  async down(db) {
    // Fails on a store holding two subjects with one key: the old key cannot tell them apart.
    await db.schema.alterTable('credit_profiles', (t) => {
      t.dropPrimary();
      t.primary(['subject_key']);
    });
    await db.schema.alterTable('credit_entries', (t) => {
      t.dropIndex(['subject_type', 'subject_key']);
      t.index(['subject_key']);
      t.dropColumn('subject_type');
    });
  },
};
