import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { DateScalar } from '../../shared/scalars';
import { applyCorrection, checkCorrection } from './corrections';
import { changeNote, changeWindow, requireOwnOperator } from '../../shared/record-changes';
import { createPersonStore, NaturalPerson } from './store';

export const MAX_BATCH = 100;
export const PAGE_SIZE = { default: 100, max: 1000 };
/** The department this subgraph is: its operators alone correct its records. */
const DEPARTMENT = 'persons';

export function createContext(db: Knex, caller: InternalCaller) {
  const store = createPersonStore(db);
  return { store, caller, persons: rowLoader(store.byIdNumbers, (p) => p.idNumber) };
}
type Context = ReturnType<typeof createContext>;

/** Cursors are opaque to callers: the idNumber, base64url-encoded. */
const encodeCursor = (idNumber: string) => Buffer.from(idNumber).toString('base64url');

function decodeCursor(cursor: string): string {
  const checked = checkIdNumber(Buffer.from(cursor, 'base64url').toString());
  // The decoded number must be written exactly as this connection wrote it, not merely valid.
  if (!checked.ok || encodeCursor(checked.value) !== cursor) throw badUserInput(`after is not a cursor this connection gave out: "${cursor}"`, { argument: 'after' });
  return checked.value;
}

interface Page {
  nodes: NaturalPerson[];
  hasNextPage: boolean;
}

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

    allNaturalPersons: async (_: unknown, args: { first?: number | null; after?: string | null }, { store, persons }: Context): Promise<Page> => {
      const first = args.first ?? PAGE_SIZE.default;
      if (first < 1 || first > PAGE_SIZE.max) throw badUserInput(`first must lie in [1, ${PAGE_SIZE.max}], not ${first}`, { argument: 'first' });
      const after = args.after == null ? undefined : decodeCursor(args.after);
      // One more than asked tells whether another page follows, in the same statement.
      const rows = await store.page(after, first + 1);
      const nodes = rows.slice(0, first);
      for (const node of nodes) persons.prime(node.idNumber, node);
      return { nodes, hasNextPage: rows.length > first };
    },

    naturalPersonChanges: async (_: unknown, args: { since: string; first?: number | null }, { store }: Context) => {
      const { since, first } = changeWindow(args);
      return (await store.changesSince(since, first)).map(({ key, ...change }) => ({ idNumber: key, ...change }));
    },
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
      const corrected = await store.correct(idNumber, (current) => applyCorrection(current, correction), note);
      if (!corrected) throw badUserInput(`No person is registered with idNumber ${idNumber}`, { argument: 'idNumber' });
      // The answer's own fields (and any later lookup in this request) see the corrected record.
      persons.clear(idNumber).prime(idNumber, corrected);
      return corrected;
    },
  },
  NaturalPersonConnection: {
    edges: (page: Page) => page.nodes.map((node) => ({ cursor: encodeCursor(node.idNumber), node })),
    pageInfo: (page: Page) => ({
      hasNextPage: page.hasNextPage,
      endCursor: page.nodes.length ? encodeCursor(page.nodes[page.nodes.length - 1].idNumber) : null,
    }),
  },
  NaturalPerson: {
    __resolveReference: (ref: { idNumber: string }, { persons }: Context) => persons.load(ref.idNumber),
    householdDivision: (person: NaturalPerson) => ({ code: person.householdDivisionCode }),
  },
} as GraphQLResolverMap<Context>;
