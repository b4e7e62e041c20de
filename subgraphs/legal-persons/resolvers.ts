import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, loadEachChecked, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkUscc } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { DateScalar } from '../../shared/scalars';
import { applyCorrection, checkCorrection } from './corrections';
import { changeNote, ChangeLogArgs, changeLogAnswer, requireOwnOperator } from '../../shared/record-changes';
import { registerPaging, RegisterPage } from '../../shared/register-pages';
import { createLegalPersonStore, LegalPerson } from './store';

export const MAX_BATCH = 100;
export const PAGE_SIZE = { default: 100, max: 1000 };
/** The department this subgraph is: its operators alone correct its records. */
const DEPARTMENT = 'legal-persons';

export function createContext(db: Knex, caller: InternalCaller) {
  const store = createLegalPersonStore(db);
  return {
    store,
    caller,
    legalPersons: rowLoader(store.byUsccs, (lp) => lp.uscc),
    representedBy: groupLoader(store.byRepresentatives, (lp) => lp.representativeIdNumber),
  };
}
type Context = ReturnType<typeof createContext>;

const register = registerPaging<LegalPerson>({ checkKey: checkUscc, keyOf: (r) => r.uscc, size: PAGE_SIZE });

export const resolvers = {
  Date: DateScalar,
  Query: {
    legalPerson: (_: unknown, args: { uscc: string }, { legalPersons }: Context) =>
      legalPersons.load(validArgument('uscc', checkUscc(args.uscc))),

    legalPersons: (_: unknown, args: { usccs: string[] }, { legalPersons }: Context) => {
      if (args.usccs.length > MAX_BATCH) {
        throw badUserInput(`legalPersons takes at most ${MAX_BATCH} usccs, ${args.usccs.length} were sent`);
      }
      return loadEachChecked(legalPersons, args.usccs, checkUscc, 'usccs');
    },

    allLegalPersons: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; status?: string | null },
      { store, legalPersons }: Context,
    ): Promise<RegisterPage<LegalPerson>> => {
      const page = await register.page(args, (after, limit) => store.page(args.status ?? undefined, after, limit));
      for (const node of page.nodes) legalPersons.prime(node.uscc, node);
      return page;
    },

    legalPersonChanges: (_: unknown, args: ChangeLogArgs, { store }: Context) => changeLogAnswer('uscc', args, store.changesSince),
  },
  Mutation: {
    correctLegalPerson: async (
      _: unknown,
      args: { uscc: string; correction: Record<string, unknown>; reason: string; objectionId?: string | null },
      { store, caller, legalPersons }: Context,
    ) => {
      // Who asks is checked first: a caller who may not correct learns nothing about the record.
      requireOwnOperator(caller, DEPARTMENT, 'correct its records');
      const uscc = validArgument('uscc', checkUscc(args.uscc));
      const correction = checkCorrection(args.correction);
      const note = changeNote(args, caller);
      const corrected = await store.correct(uscc, (current) => applyCorrection(current, correction, note.objectionId), note);
      if (!corrected) throw badUserInput(`No legal person is registered with uscc ${uscc}`, { argument: 'uscc' });
      // The answer's own fields (and any later lookup in this request) see the corrected record.
      legalPersons.clear(uscc).prime(uscc, corrected);
      return corrected;
    },
  },
  LegalPersonConnection: register.connection,
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
