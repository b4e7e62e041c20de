import type { Knex } from 'knex';
import { createConsumerRegistry } from '../consumers';
import type { Catalog } from './build';
import { CatalogReader, grantsInForce, publishCatalog, PublishedCatalog } from './grants';

/**
 * The catalogue as one answer: the current supergraph's catalogue, the grants in force now, and
 * (when a reader is named) whether that consumer may read each item. Used by the `catalog` query,
 * `/catalog.json` and `/catalog`, so all three say the same.
 */
export async function publishedCatalog(db: Knex, catalog: Catalog, readerId: string | null = null): Promise<PublishedCatalog> {
  let reader: CatalogReader | null = null;
  if (readerId) {
    const consumer = await createConsumerRegistry(db).byId(readerId);
    // An unknown or suspended consumer may read nothing: answered as such, not as an error.
    reader = { consumer: readerId, active: consumer?.status === 'ACTIVE', roles: consumer?.roles ?? [], department: consumer?.department ?? null };
  }
  return publishCatalog(catalog, await grantsInForce(db), reader);
}
