import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { loadEachChecked } from '../../shared/batch';
import { stepLoaders } from '../../shared/step-reads';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { DateScalar } from '../../shared/scalars';
import { controlCharacterIn } from '../../shared/text';
import { applyCorrection, checkCorrection } from './corrections';
import { changeNote, ChangeLogArgs, changeLogAnswer, requireOwnOperator } from '../../shared/record-changes';
import { registerPaging, RegisterPage } from '../../shared/register-pages';
import { createPersonStore, NaturalPerson } from './store';
import { verification } from './verification';

/** A verification without a name is a request gone wrong, not a person whose name differs. */
/**
 * Why a name to verify cannot be checked at all, or undefined: blank, or holding a control or
 * format character (a zero-width space pasted with it), which no registered name has (imports and
 * corrections refuse them). Answered MISMATCH, such a name would say the applicant gave another
 * name, and be recorded as a check of the person.
 */
function unverifiableName(name: string): string | undefined {
  if (!name.trim()) return 'the name to verify is blank: send the name the applicant gave';
  const control = controlCharacterIn(name);
  if (control) return `the name to verify holds a control or format character (${control}), which no registered name has: send the name as the applicant wrote it`;
  return undefined;
}

export const MAX_BATCH = 100;
export const PAGE_SIZE = { default: 100, max: 1000 };
/** The department this subgraph is: its operators alone correct its records. */
const DEPARTMENT = 'persons';

export function createContext(db: Knex, caller: InternalCaller) {
  const store = createPersonStore(db);
  // A lookup reads the whole record, a verification the name alone: one statement a plan step.
  const reads = stepLoaders({ wide: store.byIdNumbers, narrow: store.namesByIdNumbers }, (p) => p.idNumber);
  return { store, caller, persons: reads.wide, registeredNames: reads.narrow };
}
type Context = ReturnType<typeof createContext>;

const register = registerPaging<NaturalPerson>({ checkKey: checkIdNumber, keyOf: (r) => r.idNumber, size: PAGE_SIZE });

export const resolvers = {
  Date: DateScalar,
  Query: {
    naturalPerson: (_: unknown, args: { idNumber: string }, { persons }: Context) =>
      persons.load(validArgument('idNumber', checkIdNumber(args.idNumber))),

    naturalPersons: (_: unknown, args: { idNumbers: string[] }, { persons }: Context) => {
      if (args.idNumbers.length > MAX_BATCH) {
        throw badUserInput(`naturalPersons takes at most ${MAX_BATCH} idNumbers, ${args.idNumbers.length} were sent`);
      }
      return loadEachChecked(persons, args.idNumbers, checkIdNumber, 'idNumbers');
    },

    verifyNaturalPerson: async (_: unknown, args: { idNumber: string; name: string }, { registeredNames }: Context) => {
      const idNumber = validArgument('idNumber', checkIdNumber(args.idNumber));
      const unverifiable = unverifiableName(args.name);
      if (unverifiable) throw badUserInput(`Invalid name: ${unverifiable}`, { argument: 'name' });
      return verification(await registeredNames.load(idNumber), args.name);
    },

    verifyNaturalPersons: async (_: unknown, args: { requests: { idNumber: string; name: string }[] }, { registeredNames }: Context) => {
      if (args.requests.length > MAX_BATCH) {
        throw badUserInput(`verifyNaturalPersons takes at most ${MAX_BATCH} requests, ${args.requests.length} were sent`);
      }
      const checked = args.requests.map((r, i) => {
        const id = checkIdNumber(r.idNumber);
        if (!id.ok) return badUserInput(`Invalid requests[${i}].idNumber: ${id.reason}`, { argument: `requests[${i}].idNumber` });
        const unverifiable = unverifiableName(r.name);
        return unverifiable ? badUserInput(`Invalid requests[${i}].name: ${unverifiable}`, { argument: `requests[${i}].name` }) : id.value;
      });
      const loaded = await registeredNames.loadMany(checked.filter((c): c is string => typeof c === 'string'));
      // An error in the list is null at its place, with the error at that index (graphql-js).
      let next = 0;
      return checked.map((c, i) => {
        if (typeof c !== 'string') return c;
        const person = loaded[next++];
        return person instanceof Error ? person : verification(person, args.requests[i].name);
      });
    },

    allNaturalPersons: async (_: unknown, args: { first?: number | null; after?: string | null }, { store, persons }: Context): Promise<RegisterPage<NaturalPerson>> => {
      const page = await register.page(args, (after, limit) => store.page(after, limit));
      for (const node of page.nodes) persons.prime(node.idNumber, node);
      return page;
    },

    naturalPersonChanges: (_: unknown, args: ChangeLogArgs, { store }: Context) => changeLogAnswer('idNumber', args, store.changesSince),
  },
  Mutation: {
    correctNaturalPerson: async (
      _: unknown,
      args: { idNumber: string; correction: Record<string, unknown>; reason: string; objectionId?: string | null },
      { store, caller, persons }: Context,
    ) => {
      // Who asks is checked first: a caller who may not correct learns nothing about the record.
      requireOwnOperator(caller, DEPARTMENT, 'correct its records');
      const idNumber = validArgument('idNumber', checkIdNumber(args.idNumber));
      const correction = checkCorrection(idNumber, args.correction);
      const note = changeNote(args, caller);
      const corrected = await store.correct(idNumber, (current) => applyCorrection(current, correction, note.objectionId), note);
      if (!corrected) throw badUserInput(`No person is registered with idNumber ${idNumber}`, { argument: 'idNumber' });
      // The answer's own fields (and any later lookup in this request) see the corrected record.
      persons.clear(idNumber).prime(idNumber, corrected);
      return corrected;
    },
  },
  NaturalPersonConnection: register.connection,
  NaturalPerson: {
    __resolveReference: (ref: { idNumber: string }, { persons }: Context) => persons.load(ref.idNumber),
    householdDivision: (person: NaturalPerson) => ({ code: person.householdDivisionCode }),
  },
} as GraphQLResolverMap<Context>;
