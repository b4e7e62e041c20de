import { readConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { startGateway } from '../gateway/server';
import { stopOnSignals } from './signals';

/** The gateway alone, for when the departments already run (npm start runs it for you). */
async function main() {
  const config = readConfig();
  const logger = createLogger('gateway', config.logLevel);
  const running = await startGateway({ config, logger });
  stopOnSignals(running.stop, logger);
}

main().catch((e) => {
  console.error(`gateway failed to start: ${e.message}`);
  process.exit(1);
});
