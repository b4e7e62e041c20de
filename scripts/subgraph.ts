import { Command, InvalidArgumentError } from 'commander';
import { readConfig } from '../shared/config';
import { DEPARTMENTS, DepartmentName, envName, isDepartmentName } from '../shared/departments';
import { createLogger } from '../shared/logger';
import { startSubgraph } from '../shared/subgraph-server';
import { departments } from '../subgraphs';
import { stopOnSignals } from './signals';
import { exitOnWrongUsage } from './exit';

/** `npm run subgraph -- <name>`: one department's subgraph alone, over its own store. */
const program = new Command('subgraph')
  .description("Run one department's subgraph alone, over its own store (README: \"Running one department's subgraph\").")
  .argument('<name>', `the department: ${DEPARTMENTS.map((d) => d.name).join(', ')}`, (name: string) => {
    if (!isDepartmentName(name)) throw new InvalidArgumentError(`one of ${DEPARTMENTS.map((d) => d.name).join(', ')}`);
    return name;
  })
  .addHelpText(
    'after',
    [
      '',
      'Settings (environment):',
      `  ONESOURCE_<NAME>_PORT          its port (${DEPARTMENTS.map((d) => `ONESOURCE_${envName(d.name)}_PORT`).join(', ')})`,
      '  ONESOURCE_DATA_DIR             its SQLite store and the gateway key it trusts (default .data)',
      '  ONESOURCE_<NAME>_MYSQL_URL     its own MySQL-compatible server; or ONESOURCE_MYSQL_URL for all',
      "  ONESOURCE_GATEWAY_JWKS_URL     the gateway's key, fetched when the first call comes (else <data dir>/keys)",
      '',
      'GraphQL (POST /graphql) answers only calls the gateway signed. GET /health answers anyone whether it and its store are up.',
    ].join('\n'),
  )
  .showHelpAfterError()
  .exitOverride(exitOnWrongUsage);

async function main() {
  program.parse();
  const [name] = program.processedArgs as [DepartmentName];
  const config = readConfig();
  const logger = createLogger(name, config.logLevel);
  const running = await startSubgraph(departments[name], { config, logger });
  stopOnSignals(running.stop, logger);
}

main().catch((e) => {
  console.error(`subgraph failed to start: ${e.message}`);
  process.exit(1);
});
