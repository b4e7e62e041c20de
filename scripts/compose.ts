import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { makeDataDirectory } from '../shared/db';
import { readConfig } from '../shared/config';
import { composeSupergraph, readSubgraphSources } from '../gateway/supergraph';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run compose`: composes the five departments' SDL (as the gateway reads them) into
 * .data/supergraph.graphql. It takes no file: a proposed change is checked by `npm run check`,
 * and an argument given here is refused rather than ignored (it would pass a proposal unread).
 */
new Command('compose')
  .description("Compose the five departments' SDL, as the gateway reads them, into <data dir>/supergraph.graphql; fail listing every composition error.")
  .addHelpText('after', '\nTo check a proposed schema.graphql before publishing it: npm run check -- <subgraph> <file>\nExit code: 0 composed, 1 composition errors, 2 wrong usage.')
  .showHelpAfterError('(a proposal is checked with: npm run check -- <subgraph> <file>)')
  .exitOverride(exitOnWrongUsage)
  .parse();

try {
  // Inside the try: a bad ONESOURCE_* setting is one line naming it, as every command says it.
  const config = readConfig();
  const sources = readSubgraphSources(config);
  const sdl = composeSupergraph(sources);
  const file = path.join(config.dataDir, 'supergraph.graphql');
  // The department stores go in this directory later.
  makeDataDirectory(config.dataDir);
  fs.writeFileSync(file, sdl);
  console.log(`Composed ${sources.length} subgraphs into ${file}`);
} catch (e) {
  console.error(`compose: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
