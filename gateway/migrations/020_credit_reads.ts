import type { Migration } from '../../shared/db';

/**
 * Credit's change notices go to the consumers that read a subject's credit (`entity_reads` of type
 * `NaturalPerson.credit`, `LegalPerson.credit`), no longer to every consumer that read the subject.
 * The reads recorded before say only that a subject was read: each is taken as a read of its
 * credit too, so that no consumer in the middle of an approval misses a blacklisting because the
 * gateway was upgraded. They age out within ONESOURCE_CHANGE_NOTICE_DAYS.
 */
export const creditReads: Migration = {
  name: '020_credit_reads',
  async up(db) {
    for (const type of ['NaturalPerson', 'LegalPerson']) {
      await db.raw(
        'INSERT INTO entity_reads (consumer_id, entity_type, entity_key, last_read_at) SELECT consumer_id, ?, entity_key, last_read_at FROM entity_reads WHERE entity_type = ?',
        [`${type}.credit`, type],
      );
    }
  },
  async down(db) {
    await db('entity_reads').whereIn('entity_type', ['NaturalPerson.credit', 'LegalPerson.credit']).delete();
  },
};
