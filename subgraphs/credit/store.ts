import type { Knex } from 'knex';
import { today as todayUtc } from '../../shared/identifiers';

/**
 * Whose record: a natural person's idNumber and a legal person's uscc are both 18 characters, and
 * a few values are valid as both, so a subject is its type and its key together.
 */
export type SubjectType = 'NATURAL_PERSON' | 'LEGAL_PERSON';

export interface CreditProfile {
  subjectType: SubjectType;
  subjectKey: string;
  onBlacklist: boolean;
  onRedlist: boolean;
  rating: string | null;
}

export interface CreditEntry {
  subjectKey: string;
  kind: string;
  reason: string;
  authority: string;
  documentNumber: string;
  decidedOn: string;
  expiresOn: string | null;
}

interface ProfileRow {
  subject_key: string;
  subject_type: SubjectType;
  blacklisted: number | string | boolean;
  redlisted: number | string | boolean;
  rating: string | null;
}

/**
 * `today`: the day whose standing is asked (the current UTC day, as imports and the seed count it).
 * A profile's standing is that of the entries in force on that day, worked out as it is read, in the
 * same one statement: a red-list entry that expired yesterday no longer red-lists the subject today,
 * though nothing was loaded since (the summary row keeps only the subject's type and its rating on
 * file). A blacklisted subject is off the red list (joint incentives exclude joint-punishment
 * subjects) and, if a legal person, rated D.
 */
export function createCreditStore(db: Knex, today: () => string = todayUtc) {
  const inForce = (kind: string, day: string) =>
    db('credit_entries as e')
      .select(db.raw('1'))
      .whereRaw('?? = ??', ['e.subject_type', 'p.subject_type'])
      .whereRaw('?? = ??', ['e.subject_key', 'p.subject_key'])
      .where('e.kind', kind)
      .andWhere((q) => q.whereNull('e.expires_on').orWhere('e.expires_on', '>=', day));
  return {
    async profiles(subjectType: SubjectType, subjectKeys: readonly string[]): Promise<CreditProfile[]> {
      const day = today();
      const rows: ProfileRow[] = await db('credit_profiles as p')
        .select('p.subject_key', 'p.subject_type', 'p.rating')
        .select(db.raw('exists ? as blacklisted', [inForce('BLACKLIST', day)]), db.raw('exists ? as redlisted', [inForce('REDLIST', day)]))
        .where('p.subject_type', subjectType)
        .whereIn('p.subject_key', subjectKeys);
      return rows.map((r) => {
        const onBlacklist = Boolean(Number(r.blacklisted));
        return {
          subjectType: r.subject_type,
          subjectKey: r.subject_key,
          onBlacklist,
          onRedlist: !onBlacklist && Boolean(Number(r.redlisted)),
          rating: onBlacklist && r.subject_type === 'LEGAL_PERSON' ? 'D' : r.rating,
        };
      });
    },
    entries: (subjectType: SubjectType, subjectKeys: readonly string[]): Promise<CreditEntry[]> =>
      db('credit_entries')
        .select({
          subjectKey: 'subject_key',
          kind: 'kind',
          reason: 'reason',
          authority: 'authority',
          documentNumber: 'document_number',
          decidedOn: 'decided_on',
          expiresOn: 'expires_on',
        })
        .where('subject_type', subjectType)
        .whereIn('subject_key', subjectKeys)
        .orderBy(['subject_key', 'decided_on', 'id']),
  };
}
