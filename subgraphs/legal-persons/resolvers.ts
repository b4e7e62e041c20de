import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkUscc } from '../../shared/identifiers';
import { DateScalar } from '../../shared/scalars';
import { createLegalPersonStore, LegalPerson } from './store';

export const MAX_BATCH = 100;

export function createContext(db: Knex) {
  const store = createLegalPersonStore(db);
  return {
    legalPersons: rowLoader(store.byUsccs, (lp) => lp.uscc),
    representedBy: groupLoader(store.byRepresentatives, (lp) => lp.representativeIdNumber),
  };
}
type Context = ReturnType<typeof createContext>;

export const resolvers = {
  Date: DateScalar,
  Query: {
    legalPerson: (_: unknown, args: { uscc: string }, { legalPersons }: Context) =>
      legalPersons.load(validArgument('uscc', checkUscc(args.uscc))),

    legalPersons: (_: unknown, args: { usccs: string[] }, { legalPersons }: Context) => {
      if (args.usccs.length > MAX_BATCH) {
        throw badUserInput(`legalPersons takes at most ${MAX_BATCH} usccs, ${args.usccs.length} were sent`);
      }
      return legalPersons.loadMany(args.usccs.map((u, i) => validArgument(`usccs[${i}]`, checkUscc(u))));
    },
  },
  LegalPerson: {
    __resolveReference: (ref: { uscc: string }, { legalPersons }: Context) => legalPersons.load(ref.uscc),
    legalRepresentative: (lp: LegalPerson) => ({ idNumber: lp.representativeIdNumber }),
    division: (lp: LegalPerson) => ({ code: lp.divisionCode }),
  },
  NaturalPerson: {
    legalRepresentativeOf: (person: { idNumber: string }, _: unknown, { representedBy }: Context) =>
      representedBy.load(person.idNumber),
  },
} as GraphQLResolverMap<Context>;
