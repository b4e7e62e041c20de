import type { Knex } from 'knex';
import { today } from '../../shared/identifiers';
import { operates } from '../consumers';
import { createAccessStore, grantsByResource, isActive } from '../sharing/access';
import type { Catalog, CatalogItem, CatalogResource, ConditionalResource } from './build';

/**
 * The catalogue as published: the supergraph's catalogue joined with the grants in force in the
 * gateway's store (who holds each conditional resource) and, when a reader is named, whether that
 * consumer may read each item. Grants are read when the catalogue is asked for, so it is as
 * current as the grants themselves.
 */
export interface HeldGrant {
  consumerId: string;
  resource: string;
  masked: boolean;
}

/** A consumer the catalogue answers for: `active` = registered and not suspended. */
export interface CatalogReader {
  consumer: string;
  active: boolean;
  /** Its roles and the department it operates (role DEPARTMENT): it reads that department's items without a grant. */
  roles?: readonly string[];
  department?: string | null;
}

export interface PublishedItem extends CatalogItem {
  /** Conditional: consumers holding a grant in force for its resources (empty for unconditional). */
  grantedTo: string[];
  /** Of those, the ones whose grant says masked. */
  maskedFor: string[];
  /** May the reader read it (a purpose is still needed for conditional items); null without a reader. */
  readable: boolean | null;
}

export interface PublishedResource extends Omit<CatalogResource, 'items'> {
  items: PublishedItem[];
}

export interface PublishedConditionalResource extends ConditionalResource {
  grantedTo: string[];
  maskedFor: string[];
  readable: boolean | null;
}

export interface PublishedCatalog extends Omit<Catalog, 'resources' | 'conditionalResources'> {
  readableBy: string | null;
  resources: PublishedResource[];
  conditionalResources: PublishedConditionalResource[];
}

/** Grants in force today (not revoked, not expired): per consumer and resource the one that decides, as the gateway enforces it. */
export async function grantsInForce(db: Knex, day = today()): Promise<HeldGrant[]> {
  const byConsumer = new Map<string, HeldGrant[]>();
  for (const g of await createAccessStore(db).grants({})) {
    if (!isActive(g, day)) continue;
    const held = byConsumer.get(g.consumerId) ?? [];
    held.push({ consumerId: g.consumerId, resource: g.resource, masked: g.masked });
    byConsumer.set(g.consumerId, held);
  }
  return [...byConsumer.values()].flatMap((held) => [...grantsByResource(held).values()]);
}

/** How a consumer may read an item: in full, masked (its grants say so and the item has a masked form), or not at all. */
export type ItemAccess = 'FULL' | 'MASKED' | 'NONE';

/** The first of an item's policies (resources that must all be granted) that `held` satisfies. */
export function satisfiedPolicy(item: Pick<CatalogItem, 'policies'>, held: ReadonlyMap<string, unknown>): string[] | undefined {
  return item.policies.find((all) => all.length > 0 && all.every((r) => held.has(r)));
}

/**
 * How `reader` may read `item`, as the guard decides it (policy/enforce.ts): an unconditional item and
 * its own department's in full; a conditional one when it holds every resource of one alternative
 * ((a AND b) OR c), masked when the item has a masked form and one of those grants says masked.
 * `held` is the reader's grants in force by resource (`grantsByResource`). A conditional item is
 * still read only with a stated purpose.
 */
export function itemAccess(
  item: Pick<CatalogItem, 'shareType' | 'owner' | 'policies' | 'mask'>,
  reader: { roles: readonly string[]; department?: string | null },
  held: ReadonlyMap<string, { masked: boolean }>,
): ItemAccess {
  if (item.shareType === 'UNCONDITIONAL' || operates(reader, item.owner)) return 'FULL';
  const satisfied = satisfiedPolicy(item, held);
  if (!satisfied) return 'NONE';
  return item.mask && satisfied.some((r) => held.get(r)!.masked) ? 'MASKED' : 'FULL';
}

export function publishCatalog(catalog: Catalog, grants: HeldGrant[], reader: CatalogReader | null = null): PublishedCatalog {
  const holders = (resource: string, masked?: boolean) =>
    [...new Set(grants.filter((g) => g.resource === resource && (masked === undefined || g.masked === masked)).map((g) => g.consumerId))].sort();
  const readerHeld = grantsByResource(reader?.active ? grants.filter((g) => g.consumerId === reader.consumer) : []);
  const readerRoles = { roles: reader?.roles ?? [], department: reader?.department };
  const itemHolders = (item: CatalogItem) => {
    const consumers = [...new Set(grants.map((g) => g.consumerId))];
    return consumers.filter((c) => item.policies.some((all) => all.length > 0 && all.every((r) => grants.some((g) => g.consumerId === c && g.resource === r)))).sort();
  };

  return {
    ...catalog,
    readableBy: reader?.consumer ?? null,
    resources: catalog.resources.map((resource) => ({
      ...resource,
      items: resource.items.map((item) => {
        const grantedTo = item.shareType === 'CONDITIONAL' ? itemHolders(item) : [];
        return {
          ...item,
          grantedTo,
          maskedFor: item.mask ? grantedTo.filter((c) => item.resources.some((r) => holders(r, true).includes(c))) : [],
          readable: reader ? reader.active && itemAccess(item, readerRoles, readerHeld) !== 'NONE' : null,
        };
      }),
    })),
    conditionalResources: catalog.conditionalResources.map((resource) => ({
      ...resource,
      grantedTo: holders(resource.name),
      maskedFor: holders(resource.name, true),
      readable: reader ? reader.active && (operates(readerRoles, resource.owner) || readerHeld.has(resource.name)) : null,
    })),
  };
}
