import { readConfig } from '../shared/config';
import { DEPARTMENTS, envName } from '../shared/departments';
import { localUrl } from '../shared/http';
import { createLogger } from '../shared/logger';
import { ensureKeyPair } from '../shared/keys';
import { DEFAULT_PLAN } from '../shared/seed/population';
import { canListen, supervise, Supervised, waitUntilAnswering } from './processes';
import { seedDepartments } from './seeding';
import { ensurePlaygroundBuilt } from './build-playground';
import { stopOnSignals } from './signals';
import { takesNoArguments } from './takes-no-arguments';

/**
 * `npm start`: seeds any empty store (not in production: ONESOURCE_SEED_EMPTY_STORES), starts the five departments' subgraphs as separate
 * processes and then the gateway, restarts whichever crashes, and stops them all on Ctrl-C.
 */
async function main() {
  takesNoArguments('start', 'Seeds any empty store, starts the five departments\' subgraphs and the gateway, restarts whichever crashes, and stops them all on Ctrl-C.');
  const config = readConfig();
  const logger = createLogger('start', config.logLevel);
  // Another OneSource (or anything else) on these ports would answer the start-up checks in place
  // of processes that cannot bind: say so now, instead of "up" and a restart loop.
  const ports = [
    { variable: 'ONESOURCE_GATEWAY_PORT', port: config.gatewayPort },
    ...DEPARTMENTS.map(({ name }) => ({ variable: `ONESOURCE_${envName(name)}_PORT`, port: config.subgraphs[name].port })),
  ];
  for (const { variable, port } of ports) {
    if (!(await canListen(port, config.host))) throw new Error(`port ${port} (${variable}) on ${config.host} is in use: is OneSource already running? Stop it, or choose other ports`);
  }

  if (config.seedEmptyStores) {
    const seeded = await seedDepartments(config, DEFAULT_PLAN, DEPARTMENTS.map((d) => d.name), { ifEmpty: true });
    if (seeded.length) logger.info({ seeded }, 'seeded empty stores');
  }
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
  await waitUntilAnswering(localUrl(config.host, config.gatewayPort, '/health'));

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
