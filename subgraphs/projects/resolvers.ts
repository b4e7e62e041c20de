import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkDivisionCode, checkProjectCode, divisionPrefix } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { changeNote, ChangeLogArgs, changeLogAnswer, requireOwnOperator } from '../../shared/record-changes';
import { DateScalar } from '../../shared/scalars';
import { applyCorrection, applyStep, checkCorrection, StepProgress } from './corrections';
import { quoted } from '../../shared/text';
import { createProjectStore, InvestmentProject, ProjectFilter, ProjectStore } from './store';

export const PAGE_SIZE = { default: 20, max: 100 };

/** The department this subgraph is: its operators alone change its records. */
const DEPARTMENT = 'projects';

export function createContext(db: Knex, caller: InternalCaller) {
  const store = createProjectStore(db);
  return {
    store,
    caller,
    projects: rowLoader(store.byCodes, (p) => p.projectCode),
    projectsOfApplicant: groupLoader(store.byApplicants, (p) => p.applicantUscc),
    parcelLinks: groupLoader(store.parcelLinks, (l) => l.projectCode),
    approvals: groupLoader(store.approvals, (a) => a.projectCode),
  };
}
type Context = ReturnType<typeof createContext>;

/** Cursors are opaque to callers: the project code, base64url-encoded. */
const encodeCursor = (projectCode: string) => Buffer.from(`project:${projectCode}`).toString('base64url');

/**
 * The project code a cursor stands for. Only a cursor as `encodeCursor` writes it is one: base64url
 * decoding passes over padding and stray characters, and a code checked after trimming would be
 * compared untrimmed (" 2019-…" sorts before every code: the caller was sent back to the first page).
 */
function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const checked = checkProjectCode(decoded.startsWith('project:') ? decoded.slice('project:'.length) : '');
  if (!checked.ok || encodeCursor(checked.value) !== cursor) throw badUserInput(`after is not a cursor this connection gave out: ${quoted(cursor)}`);
  return checked.value;
}

interface Page {
  nodes: InvestmentProject[];
  hasNextPage: boolean;
  endCursor: string | null;
  filter: ProjectFilter;
  store: ProjectStore;
}

export const resolvers = {
  Date: DateScalar,
  Query: {
    investmentProject: (_: unknown, args: { projectCode: string }, { projects }: Context) =>
      projects.load(validArgument('projectCode', checkProjectCode(args.projectCode))),

    investmentProjectChanges: (_: unknown, args: ChangeLogArgs, { store }: Context) => changeLogAnswer('projectCode', args, store.changesSince),

    investmentProjects: async (
      _: unknown,
      args: { first?: number | null; after?: string | null; status?: string | null; regionCode?: string | null },
      { store, projects }: Context,
    ): Promise<Page> => {
      const first = args.first ?? PAGE_SIZE.default;
      if (first < 0 || first > PAGE_SIZE.max) throw badUserInput(`first must lie in [0, ${PAGE_SIZE.max}], not ${first}`);
      const filter: ProjectFilter = {
        status: args.status ?? undefined,
        // An empty regionCode or cursor is refused like any other bad one, not read as "none given".
        regionPrefix: args.regionCode != null ? divisionPrefix(validArgument('regionCode', checkDivisionCode(args.regionCode))) : undefined,
      };
      const after = args.after != null ? decodeCursor(args.after) : undefined;
      // One row past the page says whether there is a next page, even for `first: 0`.
      const rows = await store.page(filter, after, first + 1);
      const nodes = rows.slice(0, first);
      // Later lookups of these projects in the same request are answered from the loader's cache.
      for (const node of nodes) projects.prime(node.projectCode, node);
      // An empty page ends where it began: its endCursor is the `after` it was asked with (null at the
      // start), so a client following endCursor continues from there instead of starting over.
      const endCursor = nodes.length ? encodeCursor(nodes[nodes.length - 1].projectCode) : after !== undefined ? encodeCursor(after) : null;
      return { nodes, hasNextPage: rows.length > first, endCursor, filter, store };
    },
  },
  Mutation: {
    correctInvestmentProject: async (
      _: unknown,
      args: { projectCode: string; correction: Record<string, unknown>; reason: string; objectionId?: string | null },
      { store, caller, projects, parcelLinks }: Context,
    ) => {
      // Who asks is checked first: a caller who may not correct learns nothing about the record.
      requireOwnOperator(caller, DEPARTMENT, 'correct its records');
      const projectCode = validArgument('projectCode', checkProjectCode(args.projectCode));
      const correction = checkCorrection(args.correction);
      const note = changeNote(args, caller);
      const corrected = await store.correct(projectCode, (current, stored) => applyCorrection(current, stored, correction, note.objectionId), note);
      if (!corrected) throw badUserInput(`No project is registered with projectCode ${projectCode}`, { argument: 'projectCode' });
      // The answer's parcels are read after the change.
      parcelLinks.clear(projectCode);
      projects.clear(projectCode).prime(projectCode, corrected);
      return corrected;
    },
    recordApprovalStep: async (
      _: unknown,
      args: StepProgress & { projectCode: string; reason: string; objectionId?: string | null },
      { store, caller, projects, approvals }: Context,
    ) => {
      requireOwnOperator(caller, DEPARTMENT, 'record approval steps');
      const projectCode = validArgument('projectCode', checkProjectCode(args.projectCode));
      const note = changeNote(args, caller);
      const project = await store.recordStep(projectCode, args.department, args.item, (current, steps) => applyStep(current, steps, args), note);
      if (!project) throw badUserInput(`No project is registered with projectCode ${projectCode}`, { argument: 'projectCode' });
      // The answer's approvals are read after the change.
      approvals.clear(projectCode);
      projects.clear(projectCode).prime(projectCode, project);
      return project;
    },
  },
  InvestmentProjectConnection: {
    edges: (page: Page) => page.nodes.map((node) => ({ cursor: encodeCursor(node.projectCode), node })),
    pageInfo: (page: Page) => ({ hasNextPage: page.hasNextPage, endCursor: page.endCursor }),
    totalCount: (page: Page) => page.store.count(page.filter),
  },
  InvestmentProject: {
    __resolveReference: (ref: { projectCode: string }, { projects }: Context) => projects.load(ref.projectCode),
    applicant: (p: InvestmentProject) => ({ uscc: p.applicantUscc }),
    division: (p: InvestmentProject) => ({ code: p.divisionCode }),
    parcels: async (p: InvestmentProject, _: unknown, { parcelLinks }: Context) =>
      (await parcelLinks.load(p.projectCode)).map((l) => ({ parcelCode: l.parcelCode })),
    approvals: (p: InvestmentProject, _: unknown, { approvals }: Context) => approvals.load(p.projectCode),
  },
  LegalPerson: {
    investmentProjects: (lp: { uscc: string }, _: unknown, { projectsOfApplicant }: Context) => projectsOfApplicant.load(lp.uscc),
  },
} as GraphQLResolverMap<Context>;
