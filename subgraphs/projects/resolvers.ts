import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { groupLoader, rowLoader } from '../../shared/batch';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkDivisionCode, checkProjectCode, divisionPrefix } from '../../shared/identifiers';
import { DateScalar } from '../../shared/scalars';
import { quoted } from '../../shared/text';
import { createProjectStore, InvestmentProject, ProjectFilter, ProjectStore } from './store';

export const PAGE_SIZE = { default: 20, max: 100 };

export function createContext(db: Knex) {
  const store = createProjectStore(db);
  return {
    store,
    projects: rowLoader(store.byCodes, (p) => p.projectCode),
    projectsOfApplicant: groupLoader(store.byApplicants, (p) => p.applicantUscc),
    parcelLinks: groupLoader(store.parcelLinks, (l) => l.projectCode),
    approvals: groupLoader(store.approvals, (a) => a.projectCode),
  };
}
type Context = ReturnType<typeof createContext>;

/** Cursors are opaque to callers: the project code, base64url-encoded. */
const encodeCursor = (projectCode: string) => Buffer.from(`project:${projectCode}`).toString('base64url');

function decodeCursor(cursor: string): string {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const code = decoded.startsWith('project:') ? decoded.slice('project:'.length) : '';
  if (!checkProjectCode(code).ok) throw badUserInput(`after is not a cursor this connection gave out: ${quoted(cursor)}`);
  return code;
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
