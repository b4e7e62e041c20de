import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { Kind, parse, print, visit } from 'graphql';
import type { Config } from '../shared/config';
import { DEPARTMENTS, DepartmentName, schemaPath } from '../shared/departments';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** Where the gateway reads a department's SDL: `<ONESOURCE_SCHEMA_DIR>/<name>/schema.graphql` (the repo's by default). */
export function schemaFile(config: Pick<Config, 'schemaDir'>, name: DepartmentName): string {
  return config.schemaDir ? path.join(config.schemaDir, name, 'schema.graphql') : schemaPath(name);
}

/** The published SDL of every department, with the URL the gateway calls it at. */
export function readSubgraphSources(config: Config, overrides: Partial<Record<DepartmentName, string>> = {}): SubgraphSource[] {
  return DEPARTMENTS.map(({ name }) => ({
    name,
    url: config.subgraphs[name].url,
    sdl: overrides[name] ?? fs.readFileSync(schemaFile(config, name), 'utf8'),
  }));
}

export class CompositionError extends Error {
  constructor(readonly problems: string[]) {
    super(`The subgraphs do not compose:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Composes the supergraph with @apollo/composition, or throws every composition error spelled out. */
export function composeSupergraph(sources: SubgraphSource[]): string {
  const services = sources.map((s) => {
    try {
      return { name: s.name, url: s.url, typeDefs: parse(s.sdl) };
    } catch (e) {
      throw new CompositionError([`${s.name}: ${(e as Error).message}`]);
    }
  });
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`));
  }
  return result.supergraphSdl;
}

/**
 * The supergraph Apollo Gateway executes. The gateway refuses security features it does not
 * enforce (`@policy`, for: SECURITY); OneSource enforces them itself (gateway/guard.ts), from the
 * full supergraph, so the copy handed to the gateway leaves them out.
 */
export function executableSupergraph(supergraphSdl: string): string {
  const document = visit(parse(supergraphSdl), {
    Directive(node) {
      if (node.name.value === 'policy') return null;
      if (node.name.value === 'link' && node.arguments?.some((a) => a.value.kind === Kind.STRING && a.value.value.startsWith('https://specs.apollo.dev/policy/'))) return null;
      return undefined;
    },
    DirectiveDefinition: (node) => (node.name.value === 'policy' ? null : undefined),
    ScalarTypeDefinition: (node) => (node.name.value === 'policy__Policy' ? null : undefined),
  });
  return print(document);
}
