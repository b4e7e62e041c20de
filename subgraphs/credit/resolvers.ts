import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { DateScalar } from '../../shared/scalars';
import { createCreditStore, CreditProfile } from './store';

export function createContext(db: Knex) {
  const store = createCreditStore(db);
  return {
    profiles: rowLoader(store.profiles, (p) => p.subjectKey),
    entries: groupLoader(store.entries, (e) => e.subjectKey),
  };
}
type Context = ReturnType<typeof createContext>;

const cleanProfile = (subjectKey: string): CreditProfile => ({ subjectKey, onBlacklist: false, onRedlist: false, rating: null });

const profileOf = async (subjectKey: string, { profiles }: Context) => (await profiles.load(subjectKey)) ?? cleanProfile(subjectKey);

/** Credit keeps no copy of the subjects: a reference is its key, and `credit` is looked up by it. */
export const resolvers = {
  Date: DateScalar,
  NaturalPerson: {
    __resolveReference: (ref: { idNumber: string }) => ref,
    credit: (person: { idNumber: string }, _: unknown, context: Context) => profileOf(person.idNumber, context),
  },
  LegalPerson: {
    __resolveReference: (ref: { uscc: string }) => ref,
    credit: (lp: { uscc: string }, _: unknown, context: Context) => profileOf(lp.uscc, context),
  },
  CreditProfile: {
    entries: (profile: CreditProfile, _: unknown, { entries }: Context) => entries.load(profile.subjectKey),
  },
} as GraphQLResolverMap<Context>;
