import type { Knex } from 'knex';

export interface CreditProfile {
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
  on_blacklist: number | boolean;
  on_redlist: number | boolean;
  rating: string | null;
}

export function createCreditStore(db: Knex) {
  return {
    async profiles(subjectKeys: readonly string[]): Promise<CreditProfile[]> {
      const rows: ProfileRow[] = await db('credit_profiles').whereIn('subject_key', subjectKeys);
      return rows.map((r) => ({
        subjectKey: r.subject_key,
        onBlacklist: Boolean(r.on_blacklist),
        onRedlist: Boolean(r.on_redlist),
        rating: r.rating,
      }));
    },
    entries: (subjectKeys: readonly string[]): Promise<CreditEntry[]> =>
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
        .whereIn('subject_key', subjectKeys)
        .orderBy(['subject_key', 'decided_on', 'id']),
  };
}
