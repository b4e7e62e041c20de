import type { Knex } from 'knex';
import { writeTransaction } from '../../shared/db';
import { today as todayUtc } from '../../shared/identifiers';
import { ChangeNote, ChangeRow, ChangeWindow, changeOfRow, entriesIn, RecordChange, stampedNow } from '../../shared/record-changes';

/**
 * Whose record: a natural person's idNumber and a legal person's uscc are both 18 characters, and
 * a few values are valid as both, so a subject is its type and its key together.
 */
export type SubjectType = 'NATURAL_PERSON' | 'LEGAL_PERSON';

/** The field that names a subject of each type, in the graph and in an import file. */
export const SUBJECT_FIELD: Record<SubjectType, 'idNumber' | 'uscc'> = { NATURAL_PERSON: 'idNumber', LEGAL_PERSON: 'uscc' };

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

/** What names one entry: its subject, kind and document (an import refuses a second entry so named). */
export interface EntryName {
  subjectType: SubjectType;
  subjectKey: string;
  kind: string;
  documentNumber: string;
}

/**
 * What the change log (and so a change notice) says happened to a subject's credit: the kind of
 * change, not the entry's details or the operator's reason, which are the entries' (conditionally
 * shared) and kept with them.
 */
export const CREDIT_CHANGE = {
  RECORDED: 'a credit entry was recorded',
  WITHDRAWN: 'a credit entry was withdrawn (信用修复)',
  RATED: 'the credit rating on file was changed',
} as const;

/** The kinds of entry a subject's standing is worked out from (`onBlacklist`, `onRedlist`, a company's D). */
const STANDING_KINDS: ReadonlySet<string> = new Set(['BLACKLIST', 'REDLIST']);

/**
 * What a change log names as changed: the subject's `credit` where its standing may have changed
 * (a blacklist or red-list entry, a rating), which every reader of the profile is told of; else
 * only `credit.entries`, conditionally shared, of which a reader without the grant is told nothing
 * (that a penalty was recorded, or withdrawn, is itself an entry's news).
 */
const creditChanged = (entryKind: string | null): string[] => (entryKind === null || STANDING_KINDS.has(entryKind) ? ['credit'] : ['credit.entries']);

/**
 * A change-log row of `credit_changes`: the subject's credit changed (`creditChanged`: an entry of
 * `entryKind`, or its rating where null), on whose word, and why in general terms.
 */
export function creditChangeRow(
  subjectType: SubjectType, subjectKey: string, what: string, note: Pick<ChangeNote, 'objectionId' | 'changedBy' | 'changedAt'>, entryKind: string | null,
) {
  return {
    subject_type: subjectType, subject_key: subjectKey, fields: JSON.stringify(creditChanged(entryKind)), reason: what,
    objection_id: note.objectionId, changed_by: note.changedBy, changed_at: note.changedAt,
  };
}

/** What a withdrawal found: the entry withdrawn now, one withdrawn before (when and by whom), or none so named. */
export type Withdrawal = { outcome: 'WITHDRAWN' } | { outcome: 'ALREADY_WITHDRAWN'; at: string; by: string } | { outcome: 'NO_SUCH_ENTRY' };

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
      .whereNull('e.withdrawn_at')
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
        .whereNull('withdrawn_at')
        .orderBy(['subject_key', 'decided_on', 'id']),

    /**
     * 信用修复: the entry no longer counts towards the profile nor is listed, and stays on file with
     * who withdrew it, when and why. Withdrawn once: a second withdrawal says when the first was.
     */
    async withdraw(entry: EntryName, asked: ChangeNote): Promise<Withdrawal> {
      const named = { subject_type: entry.subjectType, subject_key: entry.subjectKey, kind: entry.kind, document_number: entry.documentNumber };
      return writeTransaction(db, async (trx) => {
        // Locked first, so that the withdrawal is stamped with the time it is made, not asked.
        await trx('credit_entries').where(named).forUpdate().first('withdrawn_at');
        const note = stampedNow(asked);
        const withdrawn = await trx('credit_entries')
          .where(named)
          .whereNull('withdrawn_at')
          .update({ withdrawn_at: note.changedAt, withdrawn_by: note.changedBy, withdrawal_reason: note.reason });
        if (withdrawn) {
          await trx('credit_changes').insert(creditChangeRow(entry.subjectType, entry.subjectKey, CREDIT_CHANGE.WITHDRAWN, note, entry.kind));
          return { outcome: 'WITHDRAWN' } as const;
        }
        const earlier = await trx('credit_entries').where(named).first('withdrawn_at', 'withdrawn_by');
        return earlier ? { outcome: 'ALREADY_WITHDRAWN', at: earlier.withdrawn_at, by: earlier.withdrawn_by } as const : { outcome: 'NO_SUCH_ENTRY' } as const;
      });
    },

    /**
     * Sets a legal person's rating on file (null: unrated), with who set it, when and why; answers the
     * rating it had (null for none, or for a company credit held no profile of). A blacklisted company
     * is answered D whatever its rating on file, which counts again once it is off the blacklist.
     */
    async rate(uscc: string, rating: string | null, asked: ChangeNote): Promise<{ was: string | null }> {
      return writeTransaction(db, async (trx) => {
        const subject = { subject_type: 'LEGAL_PERSON', subject_key: uscc };
        const current = await trx('credit_profiles').where(subject).forUpdate().first('rating');
        const note = stampedNow(asked);
        const was: string | null = current?.rating ?? null;
        if (was === rating) return { was };
        const rated = { rating, rated_at: note.changedAt, rated_by: note.changedBy, rating_reason: note.reason };
        if (current) await trx('credit_profiles').where(subject).update(rated);
        else await trx('credit_profiles').insert({ ...subject, ...rated });
        await trx('credit_changes').insert(creditChangeRow('LEGAL_PERSON', uscc, CREDIT_CHANGE.RATED, note, null));
        return { was };
      });
    },

    /** The change log of one subject type in a window (`entriesIn`). */
    async changesSince(subjectType: SubjectType, window: ChangeWindow): Promise<RecordChange[]> {
      const rows: (ChangeRow & { subject_key: string })[] = await entriesIn(db('credit_changes').where('subject_type', subjectType), window, 'subject_key');
      return rows.map((row) => changeOfRow(row, row.subject_key));
    },
  };
}
