import fs from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { internalSubgraphHeaders } from './internal-headers';
import { stopWithBench } from './stop-with-bench';

/**
 * Peer (c) of the benchmark: a bare `@apollo/gateway` in `@apollo/server`'s standalone server, with
 * default settings, over the bench's supergraph: what a team gets before any tuning.
 * Usage: apollo-gateway.ts <supergraph file> <port>
 */
/**
 * Stock @apollo/gateway refuses a supergraph that links a SECURITY feature it does not implement
 * (`@policy`, `@authenticated`, `@requiresScopes` are Apollo Router features). The bare peer serves
 * those fields unenforced instead, as it would without them: only their `for: SECURITY` goes.
 * Nothing else of the supergraph changes (`@inaccessible` fields stay hidden).
 */
function withoutRouterOnlySecurity(supergraph: string): string {
  return supergraph.replace(/(@link\(url: "https:\/\/specs\.apollo\.dev\/(?:policy|authenticated|requiresScopes)\/v[\d.]+"), for: SECURITY\)/g, '$1)');
}

async function main() {
  const [supergraphFile, port] = process.argv.slice(2);
  const gateway = new ApolloGateway({
    supergraphSdl: withoutRouterOnlySecurity(fs.readFileSync(supergraphFile, 'utf8')),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        async willSendRequest({ request }) {
          for (const [header, value] of Object.entries(await internalSubgraphHeaders(name))) request.http?.headers.set(header, value);
        },
      }),
  });
  const server = new ApolloServer({ gateway });
  await startStandaloneServer(server, { listen: { port: Number(port), host: '127.0.0.1' } });
  const stop = () => server.stop().then(() => process.exit(0));
  stopWithBench(stop);
}

main().catch((e) => {
  console.error(`apollo gateway failed to start: ${e.message}`);
  process.exit(1);
});
