import { readSdl } from '../shared/subgraph-server';
import { Supergraph } from '@apollo/federation-internals';
import {
  BreakingChange, DangerousChange, findBreakingChanges, findDangerousChanges, GraphQLSchema, parse, validate,
} from 'graphql';
import type { Config } from '../shared/config';
import { partialAnswerSupergraph } from './partial-answers';
import { SHARING_SCHEMA_FILES, SHARING_SUBGRAPH } from './sharing';
import { composeSupergraph, CompositionError, executableSupergraph, readSubgraphSources, SubgraphSource } from './supergraph';

/**
 * Safe schema change (`npm run check`): would a department's proposed SDL still compose with the
 * others, what would change in the API schema consumers see, and which consumers' recorded
 * operations would stop validating. Pure: sources and recorded operations in, a report out.
 */
export interface RecordedDocument {
  consumerId: string;
  operationName: string | null;
  operationHash: string;
  document: string;
}

export interface BrokenOperation {
  consumerId: string;
  operationName: string | null;
  operationHash: string;
  errors: string[];
}

export interface SchemaChangeReport {
  subgraph: string;
  /** Problems composing the proposed SDL with the others: nothing else is checked then. */
  compositionErrors: string[];
  breakingChanges: { type: string; description: string }[];
  dangerousChanges: { type: string; description: string }[];
  /** Recorded operations that validate against the current API schema and not the proposed one. */
  brokenOperations: BrokenOperation[];
  affectedConsumers: string[];
  /** Recorded operations looked at. */
  operationsChecked: number;
}

/**
 * The SDL the gateway composes now (from ONESOURCE_SCHEMA_DIR), its own sharing subgraph included:
 * consumers' operations may use it too.
 */
export function currentSources(config: Config): SubgraphSource[] {
  return [
    ...readSubgraphSources(config),
    { name: SHARING_SUBGRAPH, url: 'http://gateway/sharing/graphql', sdl: readSdl({ schemaFile: SHARING_SCHEMA_FILES }) },
  ];
}

/**
 * The schema consumers see: the API schema of the supergraph as the gateway serves it (not-shared
 * items removed, and the fields a department may fail to deliver nullable), so a change consumers
 * cannot see, such as relaxing one of those fields, is not reported as breaking.
 */
export function apiSchemaOf(supergraphSdl: string): GraphQLSchema {
  return Supergraph.build(partialAnswerSupergraph(executableSupergraph(supergraphSdl))).apiSchema().toGraphQLJSSchema();
}

export function checkSchemaChange(options: {
  current: SubgraphSource[];
  subgraph: string;
  proposedSdl: string;
  operations: RecordedDocument[];
}): SchemaChangeReport {
  const report: SchemaChangeReport = {
    subgraph: options.subgraph, compositionErrors: [], breakingChanges: [], dangerousChanges: [],
    brokenOperations: [], affectedConsumers: [], operationsChecked: 0,
  };
  const proposedSources = options.current.map((s) => (s.name === options.subgraph ? { ...s, sdl: options.proposedSdl } : s));
  let proposed: string;
  try {
    proposed = composeSupergraph(proposedSources);
  } catch (e) {
    report.compositionErrors = e instanceof CompositionError ? e.problems : [(e as Error).message];
    return report;
  }
  const before = apiSchemaOf(composeSupergraph(options.current));
  const after = apiSchemaOf(proposed);
  const describe = (c: BreakingChange | DangerousChange) => ({ type: c.type, description: c.description });
  report.breakingChanges = findBreakingChanges(before, after).map(describe);
  report.dangerousChanges = findDangerousChanges(before, after).map(describe);

  for (const op of options.operations) {
    let document;
    try {
      document = parse(op.document);
    } catch {
      continue; // recorded only after validation, so this is not expected; nothing to compare
    }
    // Operations already invalid today are not this change's doing.
    if (validate(before, document).length) continue;
    report.operationsChecked++;
    const errors = validate(after, document);
    if (errors.length) {
      report.brokenOperations.push({ consumerId: op.consumerId, operationName: op.operationName, operationHash: op.operationHash, errors: errors.map((e) => e.message) });
    }
  }
  report.affectedConsumers = [...new Set(report.brokenOperations.map((o) => o.consumerId))].sort();
  return report;
}

/** 0: safe to publish; 1: it does not compose, or it breaks recorded operations (or, strict, any breaking change). */
export function exitCodeOf(report: SchemaChangeReport, strict = false): 0 | 1 {
  if (report.compositionErrors.length || report.brokenOperations.length) return 1;
  return strict && report.breakingChanges.length ? 1 : 0;
}
