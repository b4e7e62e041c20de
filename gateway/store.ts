import type { Knex } from 'knex';
import type { Config } from '../shared/config';
import { migrate, openStore, storeFound, StoreFound } from '../shared/db';
import { migrations } from './migrations';

/** The gateway's own store (`.data/gateway.sqlite`, or `onesource_gateway`): consumers, grants, audit trail. */
export async function openGatewayStore(config: Config): Promise<Knex> {
  const db = await openStore(config, 'gateway');
  await migrate(db, migrations);
  return db;
}

/**
 * Whether the gateway's store is there (`none` if not) and OneSource's (`onesource`: it records the
 * gateway's first migration) or something else (`foreign`), creating and changing nothing.
 */
export function gatewayStoreFound(config: Config): Promise<StoreFound> {
  return storeFound(config, 'gateway', migrations[0].name);
}
