import fs from 'node:fs';
import { createServer } from 'node:http';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import { internalSubgraphHeaders } from './internal-headers';
import { stopWithBench } from './stop-with-bench';

/**
 * Peer (b) of the benchmark: Hive Gateway's runtime (the engine of `@graphql-hive/gateway`) over the
 * bench's supergraph, with its default settings, served by node's http as its documentation shows
 * (https://the-guild.dev/graphql/hive/docs/gateway/deployment/runtimes/nodejs).
 * Usage: hive-gateway.ts <supergraph file> <port>
 */
async function main() {
  const [supergraphFile, port] = process.argv.slice(2);
  const runtime = createGatewayRuntime({
    supergraph: fs.readFileSync(supergraphFile, 'utf8'),
    // The only header a department sees from a gateway is the internal one (none, for now).
    propagateHeaders: { fromClientToSubgraphs: ({ subgraphName }) => internalSubgraphHeaders(subgraphName) },
    logging: 'warn',
  });
  const server = createServer(runtime);
  server.listen(Number(port), '127.0.0.1');
  const stop = () => server.close(() => process.exit(0));
  stopWithBench(stop);
}

main().catch((e) => {
  console.error(`hive gateway failed to start: ${e.message}`);
  process.exit(1);
});
