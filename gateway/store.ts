import type { Knex } from 'knex';
import type { Config } from '../shared/config';
import { migrate, openStore } from '../shared/db';
import { migrations } from './migrations';

/** The gateway's own store (`.data/gateway.sqlite`, or `onesource_gateway`): consumers, grants, audit trail. */
export async function openGatewayStore(config: Config): Promise<Knex> {
  const db = await openStore(config, 'gateway');
  await migrate(db, migrations);
  return db;
}
