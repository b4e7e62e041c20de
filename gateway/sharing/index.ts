import { GraphQLError } from 'graphql';
import type { Knex } from 'knex';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { badUserInput, validArgument } from '../../shared/errors';
import { checkIdNumber, RECORD_NUMBER, today } from '../../shared/identifiers';
import type { InternalCaller } from '../../shared/internal-token';
import { DateScalar } from '../../shared/scalars';
import type { Subgraph } from '../../shared/subgraph-server';
import { quoted } from '../../shared/text';
import { projectPath } from '../../shared/project-root';
import { createConsumerRegistry, operates, ROLE } from '../consumers';
import { citizenId } from '../context';
import { migrations } from '../migrations';
import type { ShareRules } from '../policy/share-rules';
import { AccessApplication, AccessGrant, AccessRuleError, createAccessStore, isActive, Visible } from './access';
import { answerUsageReport, UsageSource } from '../usage/query';
import type { Catalog } from '../catalog/build';
import { publishedCatalog } from '../catalog/query';
import { qualityResolvers, QualityServices } from '../quality/resolvers';
import type { SubjectIndex } from '../audit/subject-index';
import { fieldsReadAbout, grantsReadAbout, outcomeAbout } from '../audit/record';
import { inWords, STATE_PURPOSE, statedPurpose } from '../purpose';
import { grantsUsed, resourcesNeededBy } from './grants-used';
import { readsByConsumer, ReadItems } from '../audit/reads-by-consumer';

export const SHARING_SUBGRAPH = 'sharing';

const forbidden = (message: string) => new GraphQLError(message, { extensions: { code: 'FORBIDDEN' } });
/** A record number from an `ID` argument, written as the gateway gives them out (`RECORD_NUMBER`); anything else is BAD_USER_INPUT. */
function recordNumber(argument: string, raw: string): number {
  const n = RECORD_NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n)) throw badUserInput(`${argument} must be a record number, not "${String(raw).slice(0, 40)}"`, { argument });
  return n;
}

/** What the sharing subgraph answers from besides its store. */
export interface SharingServices {
  /** The share rules of the supergraph now being served. */
  rules: () => ShareRules;
  /** Who was read, by person: caught up before the access log is read. */
  auditSubjects: SubjectIndex;
  usage?: UsageSource;
  catalog?: () => Catalog;
  quality?: QualityServices;
}

function createContext(db: Knex, caller: InternalCaller, { rules, auditSubjects, usage, catalog, quality }: SharingServices) {
  return { db, caller, rules: rules(), access: createAccessStore(db), consumers: createConsumerRegistry(db), auditSubjects, usage, catalog, quality };
}
type Context = ReturnType<typeof createContext>;

const isAuditor = (c: InternalCaller) => c.kind === 'SYSTEM' && c.roles.includes(ROLE.AUDITOR);

/**
 * Whether a read took items of `resource`, as `grantsUsed` tells it: by the grants its record names,
 * or (a record written before they were kept) by its items and the catalogue. A resource neither the
 * catalogue lists as conditional nor any grant names is refused by name.
 */
async function tookResource(db: Knex, catalog: Catalog | undefined, consumer: string, resource: string): Promise<(read: ReadItems) => boolean> {
  // Every grant of it, ever: a record names a grant revoked since, or of a resource gone from the catalogue.
  const granted: { id: number; consumer_id: string }[] = await db('access_grants').where({ resource }).select('id', 'consumer_id');
  const grants = new Set(granted.filter((g) => g.consumer_id === consumer).map((g) => Number(g.id)));
  const conditional = catalog?.conditionalResources.map((r) => r.name) ?? [];
  if (!conditional.includes(resource) && !granted.length) {
    throw badUserInput(`${quoted(resource)} is not a conditional resource${conditional.length ? `: one of ${conditional.join(', ')}` : ''}`, { argument: 'resource' });
  }
  const needed = catalog ? resourcesNeededBy(catalog) : undefined;
  return (read) => (read.grants ? read.grants.some((id) => grants.has(id)) : needed?.(read.fields).includes(resource) ?? false);
}
const ownedResources = (ctx: Context) =>
  ctx.caller.roles.includes(ROLE.DEPARTMENT) ? ctx.rules.resources().filter((r) => r.owner === ctx.caller.department).map((r) => r.name) : [];

/**
 * Who may see which applications and grants: auditors all; a consumer its own; a department
 * operator its own too (it may apply for another department's resource) and those for its
 * department's resources.
 */
function visibility(ctx: Context): Visible {
  if (isAuditor(ctx.caller)) return {};
  const own = ctx.caller.consumer;
  return ctx.caller.roles.includes(ROLE.DEPARTMENT) ? { consumerId: own, resources: ownedResources(ctx) } : { consumerId: own };
}

function requireOwner(ctx: Context, resource: string): void {
  const owner = ctx.rules.resources().find((r) => r.name === resource)?.owner;
  if (!ctx.caller.roles.includes(ROLE.DEPARTMENT) || ctx.caller.department !== owner) {
    throw forbidden(`Only the owning department (${owner ?? 'unknown'}) decides on ${resource}`);
  }
}

/** The items of `resource`, and whether any has a masked form (@catalog(mask:)). */
function maskableItems(rules: ShareRules, resource: string): { fields: string[]; maskable: boolean } {
  const fields = rules.resources().find((r) => r.name === resource)?.fields ?? [];
  return { fields, maskable: fields.some((coordinate) => rules.field(...(coordinate.split('.') as [string, string]))?.mask) };
}


async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AccessRuleError) throw badUserInput(e.message);
    throw e;
  }
}

/**
 * Who read, as the person the log is about sees it: another citizen only as `citizen`. The trail
 * names a citizen by their idNumber (`citizen:<idNumber>`), for the auditor; a person whose data
 * another citizen read (a correction's reason, an objection's history naming them) learns that a
 * citizen read it, not who, which would give them that citizen's birth date, sex and county.
 */
function readerShownToCitizen(consumer: string, idNumber: string): string {
  return consumer.startsWith(citizenId('')) && consumer !== citizenId(idNumber) ? 'citizen' : consumer;
}

const resolvers = {
  Date: DateScalar,
  Query: {
    accessLog: async (_: unknown, args: { idNumber: string; first?: number; after?: string }, ctx: Context) => {
      const idNumber = validArgument('idNumber', checkIdNumber(args.idNumber));
      const own = ctx.caller.kind === 'CITIZEN' && ctx.caller.subject === idNumber;
      if (!own && !isAuditor(ctx.caller)) throw forbidden('The access log is open to auditors and to the person it is about');
      // Who read a person, and why, is about that person: an auditor states why they look (a
      // complaint, an inspection), and the person sees it in their log, as every look is recorded
      // (the guard records accessLog as a read of the person it names).
      if (!own && !ctx.caller.purpose) {
        throw new GraphQLError(`Reading the access log of someone else is recorded: ${STATE_PURPOSE}`, {
          extensions: { code: 'FORBIDDEN', missing: 'PURPOSE' },
        });
      }
      const first = args.first ?? 20;
      if (first < 1 || first > 100) throw badUserInput(`first must lie in [1, 100], not ${first}`);
      // A cursor is `seq:<record number>` as this log wrote it; anything else ("seq:", "seq:1e1") is not one.
      const cursor = args.after ? /^seq:([1-9]\d{0,15})$/.exec(Buffer.from(args.after, 'base64url').toString()) : undefined;
      if (cursor === null) throw badUserInput(`after is not a cursor this log gave out: ${quoted(String(args.after))}`);
      const before = cursor ? Number(cursor[1]) : undefined;
      // Every record committed before this question is in the index when it is read.
      await ctx.auditSubjects.catchUp();
      const q = ctx.db('audit_subjects as s')
        .join('audit_trail as t', 't.seq', 's.seq')
        .select('t.seq', 't.consumer_id', 't.purpose', 't.at', 't.operation_name', 't.request_id', 't.fields', 't.outcome', 't.partial_subjects', 't.grants')
        .where('s.id_number', idNumber)
        .orderBy('s.seq', 'desc')
        .limit(first + 1);
      if (before !== undefined) q.where('s.seq', '<', before);
      const rows = await q;
      const consumers = new Map((await ctx.consumers.all()).map((c) => [c.id, c.name]));
      const reads = rows.slice(0, first).map((r: any) => ({
        seq: r.seq, consumer: own ? readerShownToCitizen(r.consumer_id, idNumber) : r.consumer_id, consumerName: consumers.get(r.consumer_id) ?? null, purpose: r.purpose, at: r.at,
        operationName: r.operation_name, requestId: r.request_id, fields: fieldsReadAbout(r.fields, idNumber), outcome: outcomeAbout(r.outcome, r.partial_subjects, idNumber), grants: grantsReadAbout(r.grants, idNumber),
      }));
      const used = await grantsUsed(ctx.db, ctx.catalog?.(), reads);
      const edges = reads.map(({ seq, ...read }, i) => ({
        cursor: Buffer.from(`seq:${seq}`).toString('base64url'),
        node: { ...read, grantsUsed: used[i] },
      }));
      return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null } };
    },
    auditTrail: async (
      _: unknown, args: { consumer: string; from: string; to: string; resource?: string | null; first?: number | null; after?: string | null }, ctx: Context,
    ) => {
      if (!isAuditor(ctx.caller)) throw forbidden('The audit trail by consumer is open to auditors');
      const consumers = new Map((await ctx.consumers.all()).map((c) => [c.id, c.name]));
      if (!consumers.has(args.consumer)) throw badUserInput(`there is no consumer ${quoted(args.consumer)}: one of ${[...consumers.keys()].join(', ')}`, { argument: 'consumer' });
      const catalog = ctx.catalog?.();
      const page = await readsByConsumer(ctx.db, {
        ...args, first: args.first ?? 20, after: args.after ?? undefined, keep: args.resource == null ? undefined : await tookResource(ctx.db, catalog, args.consumer, args.resource),
      });
      const used = await grantsUsed(ctx.db, catalog, page.reads);
      const edges = page.reads.map(({ cursor, ...read }, i) => ({
        cursor,
        node: { ...read, consumerName: consumers.get(read.consumer) ?? null, grantsUsed: used[i] },
      }));
      return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor } };
    },
    me: (_: unknown, __: unknown, ctx: Context) => (ctx.caller.kind === 'SYSTEM' ? ctx.consumers.byId(ctx.caller.consumer) : null),
    sharedResources: (_: unknown, __: unknown, ctx: Context) => ctx.rules.resources(),
    catalog: (_: unknown, args: { consumer?: string | null }, ctx: Context) => {
      if (!ctx.catalog) throw new GraphQLError('The catalogue is not available', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
      const reader = args.consumer ?? (ctx.caller.kind === 'SYSTEM' ? ctx.caller.consumer : null);
      return publishedCatalog(ctx.db, ctx.catalog(), reader);
    },
    usageReport: (_: unknown, args: { from: string; to: string; unusedForDays?: number | null }, ctx: Context) =>
      answerUsageReport(ctx.db, ctx.caller, ctx.usage, args),
    accessApplications: (_: unknown, args: { status?: string }, ctx: Context) => ctx.access.applications({ ...visibility(ctx), status: args.status }),
    accessGrants: (_: unknown, __: unknown, ctx: Context) => ctx.access.grants(visibility(ctx)),
  },
  Mutation: {
    applyForAccess: (_: unknown, args: { resource: string; purpose: string }, ctx: Context) =>
      guarded(async () => {
        if (ctx.caller.kind !== 'SYSTEM') throw forbidden('Only registered consumer systems apply for access');
        const resource = ctx.rules.resources().find((r) => r.name === args.resource);
        if (!resource) {
          throw badUserInput(`${args.resource} is not a conditional resource: one of ${ctx.rules.resources().map((r) => r.name).join(', ')}`);
        }
        if (operates(ctx.caller, resource.owner)) {
          throw badUserInput(`${args.resource} is your own department's (${resource.owner}): its operators read it without a grant, stating a purpose (X-Purpose)`);
        }
        const purpose = statedPurpose(args.purpose);
        if (!purpose) throw badUserInput('purpose: state what the data is for, in words (at least two letters)');
        return ctx.access.apply(ctx.caller.consumer, args.resource, purpose, new Date().toISOString());
      }),
    decideAccessApplication: (
      _: unknown,
      args: { id: string; approve: boolean; reason: string; masked?: boolean | null; validUntil?: string | null },
      ctx: Context,
    ) =>
      guarded(async () => {
        const application = await ctx.access.application(recordNumber('id', args.id));
        if (!application) throw badUserInput(`there is no application ${args.id}`);
        requireOwner(ctx, application.resource);
        if (!inWords(args.reason)) throw badUserInput('A decision states its reasons, in words (at least two letters)', { argument: 'reason' });
        if (args.validUntil && args.validUntil < today()) throw badUserInput(`validUntil ${args.validUntil} is in the past`);
        const { fields, maskable } = maskableItems(ctx.rules, application.resource);
        // A masked grant must have something to mask: else it would read in full while saying masked.
        if (args.approve && args.masked && !maskable) {
          throw badUserInput(`masked: none of ${application.resource}'s items (${fields.join(', ')}) has a masked form (@catalog(mask:)): approve it unmasked, or refuse it`);
        }
        return ctx.access.decide(application.id, {
          actor: ctx.caller.consumer, approve: args.approve, reason: args.reason.trim(),
          masked: args.masked ?? null, maskable, validUntil: args.validUntil ?? null, now: new Date().toISOString(),
        });
      }),
    revokeAccessGrant: (_: unknown, args: { id: string; reason: string }, ctx: Context) =>
      guarded(async () => {
        const grant = await ctx.access.grant(recordNumber('id', args.id));
        if (!grant) throw badUserInput(`there is no grant ${args.id}`);
        requireOwner(ctx, grant.resource);
        if (!inWords(args.reason)) throw badUserInput('A revocation states its reasons, in words (at least two letters)', { argument: 'reason' });
        return ctx.access.revoke(grant.id, ctx.caller.consumer, args.reason.trim(), new Date().toISOString());
      }),
  },
  AccessApplication: {
    consumer: (a: AccessApplication) => a.consumerId,
    overdue: (a: AccessApplication) => a.status === 'PENDING' && today() > a.deadline,
    history: async (a: AccessApplication, _: unknown, ctx: Context) => ctx.access.eventsOf([a.id]),
  },
  AccessGrant: {
    consumer: (g: AccessGrant) => g.consumerId,
    active: (g: AccessGrant) => isActive(g, today()),
  },
} as GraphQLResolverMap<Context>;

/** The SDL of the gateway's own subgraph: sharing records, and data quality (objections, checks, change notices). */
export const SHARING_SCHEMA_FILES = [projectPath('gateway', 'sharing', 'schema.graphql'), projectPath('gateway', 'quality', 'schema.graphql')];

/** The gateway's own subgraph, over the gateway's store, composed into the graph like the departments. */
export function sharingSubgraph(services: SharingServices): Subgraph<Context> {
  return {
    name: SHARING_SUBGRAPH,
    schemaFile: SHARING_SCHEMA_FILES,
    resolvers: {
      ...resolvers,
      Query: { ...resolvers.Query, ...qualityResolvers.Query },
      Mutation: { ...resolvers.Mutation, ...qualityResolvers.Mutation },
      Objection: qualityResolvers.Objection,
      ConsistencyRuleResult: qualityResolvers.ConsistencyRuleResult,
    } as GraphQLResolverMap<Context>,
    migrations,
    createContext: (db, caller) => createContext(db, caller, services),
  };
}
