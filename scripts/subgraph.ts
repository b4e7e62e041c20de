import { readConfig } from '../shared/config';
import { DEPARTMENTS, isDepartmentName } from '../shared/departments';
import { createLogger } from '../shared/logger';
import { startSubgraph } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { stopOnSignals } from './signals';

/** `npm run subgraph -- <name>`: one department's subgraph alone, over its own store. */
async function main() {
  const name = process.argv[2];
  if (!name || !isDepartmentName(name)) {
    console.error(`usage: npm run subgraph -- <${DEPARTMENTS.map((d) => d.name).join('|')}>`);
    process.exit(2);
  }
  const config = readConfig();
  const logger = createLogger(name, config.logLevel);
  const running = await startSubgraph(departments[name], { config, logger });
  stopOnSignals(running.stop, logger);
}

main().catch((e) => {
  console.error(`subgraph failed to start: ${e.message}`);
  process.exit(1);
});
