import type { DocumentNode, OperationDefinitionNode } from 'graphql';
import { Kind } from 'graphql';

// The module's own exports object, which `executeQueryPlan` reads through: `import * as` would give
// esbuild's compiled gateway a copy of it, where replacing a function changes nothing.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const operations: typeof import('@apollo/federation-internals/dist/operations') = require('@apollo/federation-internals/dist/operations');

type OperationFromDocument = typeof operations.operationFromDocument;
type Operation = ReturnType<OperationFromDocument>;
type Schema = Parameters<OperationFromDocument>[0];

interface Remembered {
  /** The rest of the document (its fragments), which must be the very same nodes to reuse the operation. */
  fragments: readonly unknown[];
  operation: Operation;
}

const MEMO = Symbol.for('onesource.operationMemo');

/**
 * Apollo Gateway's `executeQueryPlan` turns the request's document into federation-internals'
 * `Operation` on every request, even when the query plan comes from its cache; for a batch of 100
 * verifications that was 7% of the gateway's CPU and a large share of what it allocates. The
 * document it converts holds the very operation and fragment nodes of the request's parsed
 * document, which Apollo Server parses once per distinct query text (and the guard rewrites once
 * per distinct operation and refusal set), so the same nodes come back for the same operation: the
 * `Operation` built from them the first time is kept with them and reused, for as long as the
 * nodes and the schema live (weak maps, nothing to evict).
 *
 * `executeQueryPlan` reaches `operationFromDocument` through the module's exports at each call, so
 * replacing the export is how this takes effect: the one place OneSource changes a library's
 * behaviour in place. Only the unvalidated conversion that execution makes is remembered; the
 * planner's own, validating, call (on a query-plan cache miss) is untouched.
 * Idempotent; answers whether it took (if not, the gateway logs so and runs without it).
 */
export function rememberExecutedOperations(): boolean {
  const exports = operations as unknown as Record<PropertyKey, unknown>;
  if (exports[MEMO]) return true;
  const build = operations.operationFromDocument;
  const bySchema = new WeakMap<Schema, WeakMap<OperationDefinitionNode, Remembered>>();
  const remembering: OperationFromDocument = (schema, document, options) => {
    const [first, ...fragments] = document.definitions;
    if (options?.validate !== false || options.operationName !== undefined || first?.kind !== Kind.OPERATION_DEFINITION) {
      return build(schema, document, options);
    }
    let operationsOfSchema = bySchema.get(schema);
    if (!operationsOfSchema) bySchema.set(schema, (operationsOfSchema = new WeakMap()));
    const known = operationsOfSchema.get(first);
    if (known && sameNodes(known.fragments, fragments)) return known.operation;
    const operation = build(schema, document as DocumentNode, options);
    operationsOfSchema.set(first, { fragments, operation });
    return operation;
  };
  try {
    Object.assign(exports, { operationFromDocument: remembering, [MEMO]: true });
  } catch {
    return false;
  }
  return operations.operationFromDocument === remembering;
}

function sameNodes(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((node, i) => node === b[i]);
}
