import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import { DateScalar } from '../../shared/scalars';
import { createPersonStore, NaturalPerson } from './store';

export const MAX_BATCH = 100;

export function createContext(db: Knex) {
  const store = createPersonStore(db);
  return { persons: rowLoader(store.byIdNumbers, (p) => p.idNumber) };
}
type Context = ReturnType<typeof createContext>;

export const resolvers = {
  Date: DateScalar,
  Query: {
    naturalPerson: (_: unknown, args: { idNumber: string }, { persons }: Context) =>
      persons.load(validArgument('idNumber', checkIdNumber(args.idNumber))),

    naturalPersons: (_: unknown, args: { idNumbers: string[] }, { persons }: Context) => {
      if (args.idNumbers.length > MAX_BATCH) {
        throw badUserInput(`naturalPersons takes at most ${MAX_BATCH} idNumbers, ${args.idNumbers.length} were sent`);
      }
      const keys = args.idNumbers.map((id, i) => validArgument(`idNumbers[${i}]`, checkIdNumber(id)));
      return persons.loadMany(keys);
    },

    verifyNaturalPerson: async (_: unknown, args: { idNumber: string; name: string }, { persons }: Context) => {
      const person = await persons.load(validArgument('idNumber', checkIdNumber(args.idNumber)));
      if (!person) return 'NOT_FOUND';
      return person.name === args.name.trim() ? 'MATCH' : 'MISMATCH';
    },
  },
  NaturalPerson: {
    __resolveReference: (ref: { idNumber: string }, { persons }: Context) => persons.load(ref.idNumber),
    householdDivision: (person: NaturalPerson) => ({ code: person.householdDivisionCode }),
  },
} as GraphQLResolverMap<Context>;
