import type { Config } from '../shared/config';
import { localUrl } from '../shared/http';
import { ensureKeyPair } from '../shared/keys';
import type { Logger } from '../shared/logger';
import { ShareRules } from './policy/share-rules';
import { SHARING_SCHEMA_FILES, SHARING_SUBGRAPH } from './sharing';
import { readSdl } from '../shared/subgraph-server';
import { prepareConsumerRegistry } from './sharing/seed';
import { openGatewayStore } from './store';
import { composeSupergraph, readSubgraphSources, SubgraphSource } from './supergraph';

/**
 * The subgraphs the gateway composes: the five departments' SDL files as they are now, and its
 * own sharing subgraph, served by the gateway itself at `port`.
 */
export function gatewaySubgraphSources(config: Config, port: number): SubgraphSource[] {
  const sharingSdl = readSdl({ schemaFile: SHARING_SCHEMA_FILES });
  return [...readSubgraphSources(config), { name: SHARING_SUBGRAPH, url: localUrl(config.host, port, `/${SHARING_SUBGRAPH}/graphql`), sdl: sharingSdl }];
}

/**
 * The gateway's one-time work on a fresh data directory and store: its signing key (and the dev
 * identity provider's), the store's migrations and the consumer registry (seeded, or checked not
 * to be empty: prepareConsumerRegistry). `startGateway` does it too (each step does nothing when
 * already done); under `node:cluster` the primary does it once before forking, so that workers
 * starting together never race to write a key file, run a migration or seed the registry twice,
 * and the workers leave the registry to it (`registryPrepared`).
 */
export async function prepareGateway({ config, logger }: { config: Config; logger: Logger }): Promise<void> {
  await ensureKeyPair(config.dataDir, 'gateway-signing');
  if (config.auth.devTokens) await ensureKeyPair(config.dataDir, 'dev-idp');
  const db = await openGatewayStore(config);
  try {
    const rules = ShareRules.fromSupergraph(composeSupergraph(gatewaySubgraphSources(config, config.gatewayPort)));
    await prepareConsumerRegistry(db, rules.resources(), { seed: config.seedEmptyStores, logger });
  } finally {
    await db.destroy();
  }
}
