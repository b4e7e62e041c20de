import type { Knex } from 'knex';
import type { Catalog } from '../catalog/build';
import { grantsByResource } from './access';
import { dayInChina } from '../../shared/identifiers';

/**
 * Under which grant an audited read of conditional data was made, and the purpose that grant was
 * approved for (国发〔2016〕51号: a consumer applies with a purpose, the owner approves that purpose).
 * Set beside the purpose the consumer stated for the read (X-Purpose), it lets an auditor, and the
 * person read, see whether data was used for what it was shared for.
 *
 * A record names the grants that allowed its read (`016_audit_grants`), in its hash-chained content;
 * for a record written before, they are worked out from what is kept anyway (the record's fields and
 * time, the grants and applications, never deleted), by the catalogue as it now stands.
 */
export interface GrantUsed {
  resource: string;
  /** The consumer's grant of `resource` in force at the record's time; null if none was. */
  grantId: number | null;
  approvedPurpose: string | null;
  grantedAt: string | null;
  masked: boolean | null;
  /** Named by the record itself, not worked out afterwards. */
  recorded: boolean;
}

export interface AuditedRead {
  consumer: string;
  at: string;
  /** As the record keeps them: `NaturalPerson.credit.entries.kind`, or a root field's name. */
  fields: readonly string[];
  /** The grants the record names; null for a record written before they were kept. */
  grants: readonly number[] | null;
}

/** The conditional resources a read's item paths needed, as the catalogue now stands. */
export function resourcesNeeded(catalog: Catalog, fields: readonly string[]): string[] {
  return resourcesNeededBy(catalog)(fields);
}

/** `resourcesNeeded` for many reads: the catalogue's lookups made once. */
export function resourcesNeededBy(catalog: Catalog): (fields: readonly string[]) => string[] {
  const typeOf = new Map(catalog.resources.flatMap((r) => r.items.map((item) => [item.coordinate, item.format.replace(/[[\]!]/g, '')] as const)));
  const grantedBy = new Map<string, string[]>();
  for (const resource of catalog.conditionalResources) {
    for (const coordinate of resource.items) grantedBy.set(coordinate, [...(grantedBy.get(coordinate) ?? []), resource.name]);
  }
  return (fields) => {
    const needed = new Set<string>();
    for (const field of fields) {
      const [first, ...rest] = field.split('.');
      // A root field (verifyNaturalPerson, allNaturalPersons) is kept by its name alone.
      let type: string | undefined = rest.length ? first : 'Query';
      for (const name of rest.length ? rest : [first]) {
        const coordinate = `${type}.${name}`;
        // Everything under a conditional item was read under its grant too.
        grantedBy.get(coordinate)?.forEach((r) => needed.add(r));
        type = typeOf.get(coordinate);
        if (!type) break;
      }
    }
    return [...needed].sort();
  };
}

interface GrantRow {
  id: number;
  consumer_id: string;
  resource: string;
  masked: boolean;
  granted_at: string;
  valid_until: string | null;
  revoked_at: string | null;
  purpose: string | null;
}

/** In force at `at`: granted by then, not yet revoked, and `at`'s day in China (as the guard judged it, `isActive`) within its validity. */
const inForceAt = (grant: GrantRow, at: string) =>
  grant.granted_at <= at && (!grant.revoked_at || grant.revoked_at > at) && (!grant.valid_until || grant.valid_until >= dayInChina(at));

const GRANT_COLUMNS = ['g.id', 'g.consumer_id', 'g.resource', 'g.masked', 'g.granted_at', 'g.valid_until', 'g.revoked_at', 'a.purpose'];

const grantsWithPurpose = (db: Knex) => db('access_grants as g').leftJoin('access_applications as a', 'a.id', 'g.application_id').select(GRANT_COLUMNS);

const readGrants = (rows: (GrantRow & { masked: number | boolean })[]): GrantRow[] => rows.map((g) => ({ ...g, masked: Boolean(g.masked) }));

const used = (grant: GrantRow, recorded: boolean): GrantUsed =>
  ({ resource: grant.resource, grantId: grant.id, approvedPurpose: grant.purpose, grantedAt: grant.granted_at, masked: grant.masked, recorded });

/**
 * For each read, the grants it used: at most two queries for the whole page, whatever its length.
 * Without the catalogue, a record from before records named their grants gets null (not known).
 */
export async function grantsUsed(db: Knex, catalog: Catalog | undefined, reads: readonly AuditedRead[]): Promise<(GrantUsed[] | null)[]> {
  const named = [...new Set(reads.flatMap((read) => read.grants ?? []))];
  const byId = new Map(named.length ? readGrants(await grantsWithPurpose(db).whereIn('g.id', named)).map((g) => [Number(g.id), g]) : []);

  const older = catalog ? reads.filter((read) => read.grants === null) : [];
  const neededBy = catalog ? resourcesNeededBy(catalog) : () => [];
  const needed = new Map(older.map((read) => [read, neededBy(read.fields)]));
  const resources = [...new Set([...needed.values()].flat())];
  const grants: GrantRow[] = resources.length
    ? readGrants(await grantsWithPurpose(db)
        .whereIn('g.consumer_id', [...new Set(older.map((r) => r.consumer))])
        .whereIn('g.resource', resources)
        .orderBy('g.granted_at', 'desc'))
    : [];

  return reads.map((read) => {
    if (read.grants !== null) {
      return read.grants.flatMap((id) => (byId.has(id) ? [used(byId.get(id)!, true)] : [])).sort((a, b) => a.resource.localeCompare(b.resource));
    }
    const resources = needed.get(read);
    if (!resources) return null;
    return resources.map((resource) => {
      // Where two were in force (a store from before approvals superseded), the one that decided.
      const grant = grantsByResource(grants.filter((g) => g.consumer_id === read.consumer && g.resource === resource && inForceAt(g, read.at))).get(resource);
      return grant ? used(grant, false) : { resource, grantId: null, approvedPurpose: null, grantedAt: null, masked: null, recorded: false };
    });
  });
}
