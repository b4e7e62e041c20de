import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { DateScalar } from '../../shared/scalars';
import { createCreditStore, CreditProfile, SubjectType } from './store';

/** A loader per subject type: one statement per entity type per plan step, never one subject's rows for another's. */
export function createContext(db: Knex) {
  const store = createCreditStore(db);
  const loadersOf = (subjectType: SubjectType) => ({
    profiles: rowLoader((keys) => store.profiles(subjectType, keys), (p) => p.subjectKey),
    entries: groupLoader((keys) => store.entries(subjectType, keys), (e) => e.subjectKey),
  });
  return { NATURAL_PERSON: loadersOf('NATURAL_PERSON'), LEGAL_PERSON: loadersOf('LEGAL_PERSON') };
}
type Context = ReturnType<typeof createContext>;

async function profileOf(subjectType: SubjectType, subjectKey: string, context: Context): Promise<CreditProfile> {
  const profile = await context[subjectType].profiles.load(subjectKey);
  return profile ?? { subjectType, subjectKey, onBlacklist: false, onRedlist: false, rating: null };
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
} as GraphQLResolverMap<Context>;
