import cluster from 'node:cluster';
import { readConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { startGateway } from '../gateway/server';
import { drainWhenPrimaryGoes, gatewayWorkers, startClusterPrimary } from '../gateway/cluster';
import { prepareGateway } from '../gateway/prepare';
import { stopOnSignals } from './signals';
import { takesNoArguments } from './takes-no-arguments';

/** Longer than a worker's own stop deadline, so the primary outlives its workers' drain. */
const PRIMARY_STOP_DEADLINE_MS = 25_000;

/**
 * The gateway alone, for when the departments already run (npm start runs it for you). With
 * ONESOURCE_GATEWAY_WORKERS > 1 this process is a `node:cluster` primary: it prepares the store
 * once, then forks that many gateway workers sharing the port.
 */
async function main() {
  takesNoArguments('gateway', 'The gateway alone, for when the five departments already run (npm start runs them and it). ONESOURCE_GATEWAY_WORKERS > 1 forks that many workers sharing the port.');
  const config = readConfig();
  const logger = createLogger('gateway', config.logLevel);
  if (cluster.isPrimary) {
    const workers = gatewayWorkers(config, logger);
    if (workers > 1) {
      const primary = startClusterPrimary({ workers, logger, prepare: () => prepareGateway({ config, logger }) });
      // Before the start is done: SIGTERM while the store is being prepared or workers start is a stop too.
      stopOnSignals(primary.stop, logger, PRIMARY_STOP_DEADLINE_MS);
      await primary.started;
      return;
    }
  }
  const running = await startGateway({ config, logger, registryPrepared: cluster.isWorker });
  if (cluster.isWorker) {
    // Ctrl-C reaches the whole process group: a worker leaves it to the primary, which sends SIGTERM.
    process.on('SIGINT', () => {});
    stopOnSignals(running.stop, logger, undefined, ['SIGTERM']);
    drainWhenPrimaryGoes();
  } else {
    stopOnSignals(running.stop, logger);
  }
}

main().catch((e) => {
  console.error(`gateway failed to start: ${e.message}`);
  process.exit(1);
});
