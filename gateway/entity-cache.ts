import { Kind, parse, visit } from 'graphql';
import { BoundedMemo } from '../shared/bounded-memo';
import type { GraphQLDataSource } from '@apollo/gateway';
import type { GatewayGraphQLResponse } from '@apollo/server-gateway-interface';
import type { SubgraphSource } from './supergraph';

/**
 * The entity cache: fields of an entity a department marks `@cacheControl(maxAge: N)` in its own
 * SDL are kept by the gateway for N seconds and answered without calling the department again.
 *
 * Why: the five-department review asks geo three times for division names (the project's, the
 * applicant's, the representative's household division), each a call in its own step of the
 * query plan, for a code table that changes once a year. The department still is the one source:
 * it decides what may be kept and for how long, and only for types it serves alike to every
 * caller (share rules are applied before the plan, so a kept answer never widens what a consumer
 * reads). A kept answer is not a call: the department's call counts and timings stay its own.
 */

/** Per department, the entity types it lets the gateway keep, with how long (ms). */
export type EntityCacheAges = ReadonlyMap<string, ReadonlyMap<string, number>>;

export function entityCacheAges(sources: readonly SubgraphSource[]): EntityCacheAges {
  const ages = new Map<string, Map<string, number>>();
  for (const { name, sdl } of sources) {
    const types = new Map<string, number>();
    for (const definition of parse(sdl).definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
      const directive = definition.directives?.find((d) => d.name.value === 'cacheControl');
      const maxAge = directive?.arguments?.find((a) => a.name.value === 'maxAge')?.value;
      if (maxAge?.kind === Kind.INT && Number(maxAge.value) > 0) types.set(definition.name.value, Number(maxAge.value) * 1000);
    }
    if (types.size) ages.set(name, types);
  }
  return ages;
}

/**
 * Per department, the fields it marks `@cacheControl(maxAge: 0)`: served per request (geo's
 * `boundary`, at most 10 a request, up to a megabyte each). A fetch asking for one is never kept,
 * nor merged with other requests' fetches (`gateway/fetch-merging.ts`): the department counts its
 * limit per call, and a merged call would spend one request's allowance on the others.
 */
export function perRequestFields(sources: readonly SubgraphSource[]): ReadonlyMap<string, ReadonlySet<string>> {
  const fields = new Map<string, Set<string>>();
  for (const { name, sdl } of sources) {
    for (const definition of parse(sdl).definitions) {
      if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
      for (const field of definition.fields ?? []) {
        const maxAge = field.directives?.find((d) => d.name.value === 'cacheControl')?.arguments?.find((a) => a.name.value === 'maxAge')?.value;
        if (maxAge?.kind === Kind.INT && Number(maxAge.value) === 0) (fields.get(name) ?? fields.set(name, new Set()).get(name)!).add(field.name.value);
      }
    }
  }
  return fields;
}

/** Whether a fetch's query asks for any of `fields` (by name, anywhere in it); remembered per query text. */
export function asksForAny(fields: () => ReadonlySet<string> | undefined): (query: string) => boolean {
  const answers = new BoundedMemo<boolean>(2000);
  return (query) => {
    const named = fields();
    if (!named?.size) return false;
    return answers.get(`${[...named].join(',')}\u0000${query}`, () => {
      let found = false;
      try {
        visit(parse(query), { Field: (node) => { if (named.has(node.name.value)) found = true; } });
      } catch {
        return false; // not ours to judge: the department answers a query it cannot parse
      }
      return found;
    });
  };
}

/** Entries kept per department at most; the oldest go first. Divisions number in the hundreds. */
const MAX_ENTRIES = 20_000;

interface Kept {
  entity: unknown;
  until: number;
}

/**
 * One department's kept entities, keyed by the fetch's query text and other variables (which
 * fields) and the representation (which entity). A fetch is answered from here only when every
 * entity it asks for is kept and fresh; otherwise it goes to the department whole, and a clean
 * answer is kept.
 */
export class EntityCache {
  private readonly kept = new Map<string, Kept>();

  constructor(
    /** The department's cacheable types now (they follow its SDL when the supergraph reloads). */
    private readonly ages: () => ReadonlyMap<string, number> | undefined,
    private readonly now: () => number = Date.now,
    /** Whether a fetch asks for a field served per request (`perRequestFields`), which is never kept. */
    private readonly perRequest: (query: string) => boolean = () => false,
  ) {}

  answer(query: string, variables: Record<string, unknown> | undefined): GatewayGraphQLResponse | undefined {
    const keys = this.keys(query, variables);
    if (!keys) return undefined;
    const now = this.now();
    const entities: unknown[] = [];
    for (const { key } of keys) {
      const hit = this.kept.get(key);
      if (!hit || hit.until <= now) return undefined;
      entities.push(hit.entity);
    }
    return { data: { _entities: entities } } as GatewayGraphQLResponse;
  }

  remember(query: string, variables: Record<string, unknown> | undefined, response: GatewayGraphQLResponse): void {
    const keys = this.keys(query, variables);
    const entities = (response.data as { _entities?: unknown[] } | null | undefined)?._entities;
    if (!keys || response.errors?.length || !Array.isArray(entities) || entities.length !== keys.length) return;
    const now = this.now();
    keys.forEach(({ key, maxAgeMs, typename }, i) => {
      if (entities[i] == null) return; // "no such entity" is not kept: it may be added any time
      // An answer that is not the entity asked for is the department's fault of the moment; Apollo
      // reports it for this request, but kept it would be served for the whole max-age.
      if (!isEntityOf(entities[i], typename)) return;
      if (this.kept.size >= MAX_ENTRIES) this.kept.delete(this.kept.keys().next().value as string);
      this.kept.set(key, { entity: entities[i], until: now + maxAgeMs });
    });
  }

  /** Cache keys of an `_entities` fetch whose every representation is of a cacheable type; else null. */
  private keys(query: string, variables: Record<string, unknown> | undefined): { key: string; maxAgeMs: number; typename: string }[] | null {
    // Only an entity fetch is looked at further: every other fetch leaves here without its variables
    // being copied (a batch of 100 aliased verifications is a root fetch with 200 of them).
    const representations = variables?.representations;
    const ages = this.ages();
    if (!ages || !Array.isArray(representations) || representations.length === 0 || this.perRequest(query)) return null;
    const { representations: _, ...others } = variables!;
    // The fetch's other variables are part of which fields it asks (an @include's condition travels with it).
    const fetch = `${query}\u0000${JSON.stringify(others)}`;
    const keys: { key: string; maxAgeMs: number; typename: string }[] = [];
    for (const representation of representations) {
      const typename = (representation as { __typename?: string })?.__typename ?? '';
      const maxAgeMs = ages.get(typename);
      if (!maxAgeMs) return null;
      keys.push({ key: `${fetch}\u0000${JSON.stringify(representation)}`, maxAgeMs, typename });
    }
    return keys;
  }
}

/** An object, and of the type asked for when it says its type (a fetch need not ask for `__typename`). */
function isEntityOf(entity: unknown, typename: string): boolean {
  if (typeof entity !== 'object' || entity === null || Array.isArray(entity)) return false;
  const said = (entity as { __typename?: unknown }).__typename;
  return said === undefined || said === typename;
}

/** Answers a data source's entity fetches from `cache` when it can; calls the source otherwise. */
export function withEntityCache<S extends GraphQLDataSource<any>>(source: S, cache: EntityCache): S {
  const process = source.process.bind(source);
  source.process = async (options) => {
    const query = options.request.query ?? '';
    const kept = cache.answer(query, options.request.variables);
    if (kept) return kept;
    const response = await process(options);
    cache.remember(query, options.request.variables, response);
    return response;
  };
  return source;
}
