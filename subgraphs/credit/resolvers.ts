import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber, checkUscc } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { ChangeLogArgs, changeLogAnswer, changeNote, requireOwnOperator } from '../../shared/record-changes';
import { DateScalar } from '../../shared/scalars';
import { quoted } from '../../shared/text';
import { createCreditStore, CreditProfile, EntryName, SUBJECT_FIELD, SubjectType } from './store';

/** The department this subgraph is: its operators alone withdraw entries and set ratings. */
const DEPARTMENT = 'credit';
const DOCUMENT_NUMBER_LENGTH = 60;

/** A loader per subject type: one statement per entity type per plan step, never one subject's rows for another's. */
export function createContext(db: Knex, caller: InternalCaller) {
  const store = createCreditStore(db);
  const loadersOf = (subjectType: SubjectType) => ({
    profiles: rowLoader((keys) => store.profiles(subjectType, keys), (p) => p.subjectKey),
    entries: groupLoader((keys) => store.entries(subjectType, keys), (e) => e.subjectKey),
  });
  return { store, caller, NATURAL_PERSON: loadersOf('NATURAL_PERSON'), LEGAL_PERSON: loadersOf('LEGAL_PERSON') };
}
type Context = ReturnType<typeof createContext>;

async function profileOf(subjectType: SubjectType, subjectKey: string, context: Context): Promise<CreditProfile> {
  const profile = await context[subjectType].profiles.load(subjectKey);
  return profile ?? { subjectType, subjectKey, onBlacklist: false, onRedlist: false, rating: null };
}

/** The subject a change was made to: what this request reads of its credit from now on is read afresh. */
function changed(subjectType: SubjectType, subjectKey: string, context: Context) {
  context[subjectType].profiles.clear(subjectKey);
  context[subjectType].entries.clear(subjectKey);
  return { [SUBJECT_FIELD[subjectType]]: subjectKey };
}

interface WithdrawalArgs {
  kind: string;
  documentNumber: string;
  reason: string;
  objectionId?: string | null;
}

/** One subject type's change log, each entry under the key field its subjects are named by. */
const changesOf = (subjectType: SubjectType, args: ChangeLogArgs, { store }: Context) =>
  changeLogAnswer(SUBJECT_FIELD[subjectType], args, (window) => store.changesSince(subjectType, window));

async function withdraw(subjectType: SubjectType, rawKey: string, args: WithdrawalArgs, context: Context) {
  // Who asks is checked first: a caller who may not withdraw learns nothing about the record.
  requireOwnOperator(context.caller, DEPARTMENT, 'withdraw credit entries');
  const field = SUBJECT_FIELD[subjectType];
  const subjectKey = validArgument(field, (subjectType === 'NATURAL_PERSON' ? checkIdNumber : checkUscc)(rawKey));
  const documentNumber = args.documentNumber.trim();
  if (!documentNumber || [...documentNumber].length > DOCUMENT_NUMBER_LENGTH) {
    throw badUserInput(`documentNumber is the entry's document number, 1 to ${DOCUMENT_NUMBER_LENGTH} characters`, { argument: 'documentNumber' });
  }
  const note = changeNote(args, context.caller);
  const entry: EntryName = { subjectType, subjectKey, kind: args.kind, documentNumber };
  const found = await context.store.withdraw(entry, note);
  const named = `${args.kind} entry ${quoted(documentNumber)} of ${field} ${subjectKey}`;
  if (found.outcome === 'NO_SUCH_ENTRY') throw badUserInput(`No ${named} is on file`, { argument: 'documentNumber' });
  if (found.outcome === 'ALREADY_WITHDRAWN') throw badUserInput(`The ${named} was withdrawn already, at ${found.at} by ${found.by}`, { argument: 'documentNumber' });
  return changed(subjectType, subjectKey, context);
}

/** Credit keeps no copy of the subjects: a reference is its key, and `credit` is looked up by it. */
export const resolvers = {
  Date: DateScalar,
  NaturalPerson: {
    __resolveReference: (ref: { idNumber: string }) => ref,
    credit: (person: { idNumber: string }, _: unknown, context: Context) => profileOf('NATURAL_PERSON', person.idNumber, context),
  },
  LegalPerson: {
    __resolveReference: (ref: { uscc: string }) => ref,
    credit: (lp: { uscc: string }, _: unknown, context: Context) => profileOf('LEGAL_PERSON', lp.uscc, context),
  },
  CreditProfile: {
    entries: (profile: CreditProfile, _: unknown, context: Context) => context[profile.subjectType].entries.load(profile.subjectKey),
  },
  Query: {
    naturalPersonCreditChanges: (_: unknown, args: ChangeLogArgs, context: Context) => changesOf('NATURAL_PERSON', args, context),
    legalPersonCreditChanges: (_: unknown, args: ChangeLogArgs, context: Context) => changesOf('LEGAL_PERSON', args, context),
  },
  Mutation: {
    withdrawNaturalPersonCreditEntry: (_: unknown, args: WithdrawalArgs & { idNumber: string }, context: Context) =>
      withdraw('NATURAL_PERSON', args.idNumber, args, context),
    withdrawLegalPersonCreditEntry: (_: unknown, args: WithdrawalArgs & { uscc: string }, context: Context) =>
      withdraw('LEGAL_PERSON', args.uscc, args, context),
    rateLegalPerson: async (_: unknown, args: { uscc: string; rating?: string | null; reason: string; objectionId?: string | null }, context: Context) => {
      requireOwnOperator(context.caller, DEPARTMENT, 'set credit ratings');
      const uscc = validArgument('uscc', checkUscc(args.uscc));
      const rating = args.rating ?? null;
      const note = changeNote(args, context.caller);
      const { was } = await context.store.rate(uscc, rating, note);
      if (was === rating) throw badUserInput(`nothing to change: uscc ${uscc} ${rating ? `is rated ${rating}` : 'has no rating'} already`, { argument: 'rating' });
      return changed('LEGAL_PERSON', uscc, context);
    },
  },
} as GraphQLResolverMap<Context>;
