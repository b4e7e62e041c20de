import { readConfig } from '../../shared/config';
import { createLogger } from '../../shared/logger';
import { startGateway } from '../../gateway/server';
import { stopOnSignals } from '../signals';
import type { Principal } from '../../gateway/context';

/**
 * Target (a′) of the benchmark: OneSource's own gateway with its trust layer off (no consumer
 * token check, no share rules, no audit record), every request as drc-approval. Everything else
 * (limits, resilience, usage, metrics, the subgraph client) is the same, so OneSource ÷ this is
 * what identity, policy and audit cost. Only this entry can turn the layer off: it is not a setting.
 */
async function main() {
  const config = readConfig();
  const logger = createLogger('gateway-open', config.logLevel);
  let principal: Promise<Principal> | undefined;
  const running = await startGateway({
    config,
    logger,
    withoutTrustLayer: (registry) => (principal ??= registry.byId('drc-approval').then((consumer) => {
      if (!consumer) throw new Error('drc-approval is not registered');
      return { kind: 'SYSTEM', consumer };
    })),
  });
  stopOnSignals(running.stop, logger);
}

main().catch((e) => {
  console.error(`gateway (trust layer off) failed to start: ${e.message}`);
  process.exit(1);
});
