import fs from 'node:fs';
import path from 'node:path';
import { composeServices } from '@apollo/composition';
import { DocumentNode, GraphQLError, Kind, parse, print, visit } from 'graphql';
import type { Config } from '../shared/config';
import { DEPARTMENTS, DepartmentName, schemaPath } from '../shared/departments';
import { projectPath } from '../shared/project-root';

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
  /** The file the SDL was read from, named in its syntax errors. */
  file?: string;
}

/** Where the gateway reads a department's SDL: `<ONESOURCE_SCHEMA_DIR>/<name>/schema.graphql` (the repo's by default). */
export function schemaFile(config: Pick<Config, 'schemaDir'>, name: DepartmentName): string {
  return config.schemaDir ? path.join(config.schemaDir, name, 'schema.graphql') : schemaPath(name);
}

/** The published SDL of every department, with the URL the gateway calls it at. */
export function readSubgraphSources(config: Config, overrides: Partial<Record<DepartmentName, string>> = {}): SubgraphSource[] {
  return DEPARTMENTS.map(({ name }) => {
    const url = config.subgraphs[name].url;
    const override = overrides[name];
    if (override !== undefined) return { name, url, sdl: override };
    const file = schemaFile(config, name);
    return { name, url, sdl: readSchemaFile(config, name, file), file };
  });
}

/** Where ONESOURCE_SCHEMA_DIR points, as a message says it. */
export function schemaDirSetting(config: Pick<Config, 'schemaDir'>): string {
  return !config.schemaDir || config.schemaDir === projectPath('subgraphs')
    ? "ONESOURCE_SCHEMA_DIR is not set: the repo's subgraphs/"
    : `ONESOURCE_SCHEMA_DIR=${config.schemaDir}`;
}

/** A department's published SDL; a file that is not there is named with the setting that points there. */
function readSchemaFile(config: Pick<Config, 'schemaDir'>, name: DepartmentName, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw e;
    throw new Error(`${name}: no SDL file at ${file} (${schemaDirSetting(config)}). The gateway composes from <ONESOURCE_SCHEMA_DIR>/<department>/schema.graphql, one for each of ${DEPARTMENTS.map((d) => d.name).join(', ')}.`);
  }
}

/** "legal-persons: subgraphs/legal-persons/schema.graphql:84:3: Syntax Error: ...": where an SDL does not parse. */
function syntaxProblem(source: SubgraphSource, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const at = e instanceof GraphQLError ? e.locations?.[0] : undefined;
  if (!at) return `${source.name}: ${source.file ? `${source.file}: ` : ''}${message}`;
  const where = source.file ? `${source.file}:${at.line}:${at.column}` : `line ${at.line}, column ${at.column}`;
  return `${source.name}: ${where}: ${message}`;
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
      throw new CompositionError([syntaxProblem(s, e)]);
    }
  });
  const result = composeServices(services);
  if (result.errors) {
    throw new CompositionError(result.errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`));
  }
  const supergraph = parse(result.supergraphSdl);
  const refused = [...policiesOffFields(supergraph), ...fieldsTakenOver(supergraph)];
  if (refused.length) throw new CompositionError(refused);
  return result.supergraphSdl;
}

/**
 * `@policy` where OneSource would not enforce it. Federation allows it on a type, an interface, a
 * scalar or an enum, meaning every field of it (or returning it); the guard, the catalogue and
 * `check` read it on fields only (gateway/catalog/declarations.ts), so a type's policy would be
 * served to everyone and catalogued as unconditional. Refused, the supergraph never loads.
 */
function policiesOffFields(supergraph: DocumentNode): string[] {
  const problems: string[] = [];
  for (const def of supergraph.definitions) {
    if (!('name' in def) || !def.name || !('directives' in def) || !def.directives?.some((d) => d.name.value === 'policy')) continue;
    problems.push(`POLICY_NOT_ON_FIELD: @policy on ${def.name.value} is not enforced here: OneSource enforces @policy on fields only; declare it on each field of ${def.name.value} it covers (and on each field returning it)`);
  }
  return problems;
}

/**
 * A field one department takes over from another with `@override(from: …)`. Federation allows it,
 * as a way to move a field between subgraphs; here it would let a department serve another's data
 * item from its own store without the holder changing anything, against one source per data item
 * (一数一源). Refused, the supergraph never loads (a hot reload keeps serving the last one). A field
 * that truly moves is declared by its new department first: while both declare it the SDLs do not
 * compose and consumers are served as before, until the old department publishes its SDL without
 * it. `npm run check` reports the refusal as it reports any composition error.
 */
function fieldsTakenOver(supergraph: DocumentNode): string[] {
  const departmentOf = new Map<string, string>();
  const overrides: { coordinate: string; by: string; from: string }[] = [];
  for (const def of supergraph.definitions) {
    if (def.kind === Kind.ENUM_TYPE_DEFINITION && def.name.value === 'join__Graph') {
      for (const value of def.values ?? []) {
        const name = value.directives?.find((d) => d.name.value === 'join__graph')?.arguments?.find((a) => a.name.value === 'name')?.value;
        if (name?.kind === Kind.STRING) departmentOf.set(value.name.value, name.value);
      }
    }
    if (def.kind !== Kind.OBJECT_TYPE_DEFINITION && def.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    for (const field of def.fields ?? []) {
      for (const join of field.directives ?? []) {
        if (join.name.value !== 'join__field') continue;
        const argument = (name: string) => join.arguments?.find((a) => a.name.value === name)?.value;
        const from = argument('override');
        const graph = argument('graph');
        if (from?.kind === Kind.STRING && graph?.kind === Kind.ENUM) overrides.push({ coordinate: `${def.name.value}.${field.name.value}`, by: graph.value, from: from.value });
      }
    }
  }
  return overrides.map(({ coordinate, by, from }) => {
    const taker = departmentOf.get(by) ?? by;
    return `FIELD_OVERRIDDEN: ${coordinate} is taken over by ${taker} from ${from} (@override): one source per data item (一数一源), so ${from}, which holds it, resolves it. If it truly moves, ${taker} declares it without @override and ${from} publishes its SDL without it: until both have, the SDLs do not compose and the gateway keeps serving the supergraph it has`;
  });
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
