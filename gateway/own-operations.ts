import { createHash } from 'node:crypto';
import { parse } from 'graphql';
import { DATA_QUALITY_CONSUMER } from './consumers';
import { CONTRACT_OPERATIONS } from './contract-operations';
import type { RecordedOperation } from './operations-recorder';
import { OPERATIONS, PERSON_SAMPLE_QUERY, PROJECT_SAMPLE_QUERY } from './playground/src/operations';
import { CONSISTENCY_OPERATIONS } from './quality/consistency';

/** The names `npm run check` gives the operations no consumer sends as such: the playground's, the contract's. */
export const PLAYGROUND = 'playground';
export const CONTRACT = 'contract';
/** Whose operations are OneSource's own, not a consumer system's. */
export const OWN_CONSUMERS: ReadonlySet<string> = new Set([DATA_QUALITY_CONSUMER, PLAYGROUND, CONTRACT]);

/**
 * The operations OneSource itself sends, offers or promises: the consistency checks' (as
 * `data-quality`), the playground's ready-made ones, and the public contract's
 * (`contract-operations.ts`). A schema change that breaks them breaks OneSource, whether or not
 * they have been sent since the gateway's store was made, so `npm run check` judges them beside the
 * recorded ones (a recorded copy of the same document counts once).
 */
export function withOwnOperations(recorded: readonly RecordedOperation[], now = new Date().toISOString()): RecordedOperation[] {
  const own = [
    ...CONSISTENCY_OPERATIONS.map((document) => ({ consumerId: DATA_QUALITY_CONSUMER, document })),
    ...[PROJECT_SAMPLE_QUERY, PERSON_SAMPLE_QUERY, ...OPERATIONS.map((o) => o.query)].map((document) => ({ consumerId: PLAYGROUND, document })),
    ...CONTRACT_OPERATIONS.map((document) => ({ consumerId: CONTRACT, document })),
  ];
  const seen = new Set(recorded.map((r) => `${r.consumerId}\u0000${r.operationHash}`));
  const added = own
    .map(({ consumerId, document }) => ({
      consumerId,
      operationHash: createHash('sha256').update(document).digest('hex'),
      operationName: parse(document).definitions.flatMap((d) => (d.kind === 'OperationDefinition' && d.name ? [d.name.value] : []))[0] ?? null,
      document,
      firstSeen: now,
      lastSeen: now,
      lastWithoutPurpose: null,
    }))
    .filter((op) => !seen.has(`${op.consumerId}\u0000${op.operationHash}`));
  return [...recorded, ...added];
}
