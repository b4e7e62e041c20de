import fs from 'node:fs';
import path from 'node:path';
import { readConfig } from '../shared/config';
import { composeSupergraph, readSubgraphSources } from '../gateway/supergraph';

/** `npm run compose`: composes the five departments' SDL into .data/supergraph.graphql. */
const config = readConfig();
try {
  const sdl = composeSupergraph(readSubgraphSources(config));
  const file = path.join(config.dataDir, 'supergraph.graphql');
  fs.mkdirSync(config.dataDir, { recursive: true });
  fs.writeFileSync(file, sdl);
  console.log(`Composed ${readSubgraphSources(config).length} subgraphs into ${file}`);
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
}
