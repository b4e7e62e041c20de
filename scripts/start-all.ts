import { readConfig } from '../shared/config';
import { DEPARTMENTS } from '../shared/departments';
import { createLogger } from '../shared/logger';
import { ensureKeyPair } from '../shared/keys';
import { DEFAULT_PLAN } from '../shared/seed/population';
import { supervise, Supervised, waitUntilAnswering } from './processes';
import { seedDepartments } from './seeding';
import { ensurePlaygroundBuilt } from './build-playground';
import { stopOnSignals } from './signals';

/**
 * `npm start`: seeds any empty store, starts the five departments' subgraphs as separate
 * processes and then the gateway, restarts whichever crashes, and stops them all on Ctrl-C.
 */
async function main() {
  const config = readConfig();
  const logger = createLogger('start', config.logLevel);
  const seeded = await seedDepartments(config, DEFAULT_PLAN, DEPARTMENTS.map((d) => d.name), { ifEmpty: true });
  if (seeded.length) logger.info({ seeded }, 'seeded empty stores');
  if (await ensurePlaygroundBuilt()) logger.info('built the playground');

  // The departments verify the gateway's internal tokens with its public key: make it first.
  await ensureKeyPair(config.dataDir, 'gateway-signing');

  const children: Supervised[] = [];
  const stopAll = async () => {
    await Promise.all(children.map((c) => c.stop()));
  };
  stopOnSignals(stopAll, logger);

  for (const { name } of DEPARTMENTS) children.push(supervise(name, 'scripts/subgraph.ts', [name], process.env, logger));
  await Promise.all(DEPARTMENTS.map(({ name }) => waitUntilAnswering(config.subgraphs[name].url)));
  children.push(supervise('gateway', 'scripts/gateway.ts', [], process.env, logger));
  await waitUntilAnswering(`http://127.0.0.1:${config.gatewayPort}/health`);

  console.log(`
OneSource is up.
  Playground:  http://localhost:${config.gatewayPort}/
  GraphQL:     http://localhost:${config.gatewayPort}/graphql
  Stores:      ${config.mysqlUrl ? 'MySQL' : `SQLite in ${config.dataDir}`}
Press Ctrl-C to stop.`);
}

main().catch((e) => {
  console.error(`start failed: ${e.message}`);
  process.exit(1);
});
