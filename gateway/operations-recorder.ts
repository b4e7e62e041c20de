import { createHash } from 'node:crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, DocumentNode, parse, print, visit } from 'graphql';
import type { Knex } from 'knex';
import type { Logger } from '../shared/logger';
import { GatewayContext, principalId } from './context';
import { identifierDigits } from './personal-literals';
import { PERSONAL_DIGITS, withoutPersonalDigits } from '../shared/personal-digits';

/**
 * Records each distinct operation document each consumer sends (`recorded_operations`), so that
 * `npm run check` can tell a department which consumers a schema change would break. Only valid
 * operations are recorded (after validation). Each distinct (consumer, document) costs one upsert
 * per process per day, remembered in memory; `last_seen` therefore has the day's precision.
 */
export interface RecordedOperation {
  consumerId: string;
  operationHash: string;
  operationName: string | null;
  document: string;
  firstSeen: string;
  lastSeen: string;
  /** When it was last sent without a purpose (X-Purpose); null: not since that was recorded. */
  lastWithoutPurpose: string | null;
}

const MEMORY_LIMIT = 50_000;

/** An operation document as it is kept, and the hash it is kept under. */
export interface KeptDocument {
  document: string;
  hash: string;
}

/**
 * The document as it is kept: every literal that may be personal (`personal-literals.ts`) blanked,
 * strings to "" and identifiers written as digits to 0. A literal idNumber or name in the query
 * text is personal data, which belongs in the audit trail alone; blanked, the document still
 * validates against a proposed schema as it did (a String or ID literal is not checked for its
 * content, and enum values and the numbers an Int holds are kept). A document without such
 * literals is kept as sent, under its own hash.
 */
export function keptDocument(document: DocumentNode, source: string, sourceHash: string): KeptDocument {
  let literals = false;
  const found = () => ((literals = true), BREAK);
  visit(document, { StringValue: found, IntValue: (node) => (identifierDigits(node.value) ? found() : undefined) });
  // An idNumber's digits in a name (an alias `p35042619590509…`, the operation's name) or a comment.
  if (!literals && !PERSONAL_DIGITS.test(source)) return { document: source, hash: sourceHash };
  // Printed, the document loses its comments; in its names each distinct run gets a placeholder of
  // its own (`_1`, `_2`), the same wherever it is written, so the names stay as distinct as they were.
  const runs = new Map<string, number>();
  const blanked = print(visit(document, {
    StringValue: (node) => ({ ...node, value: '', block: false }),
    IntValue: (node) => (identifierDigits(node.value) ? { ...node, value: '0' } : undefined),
    Name: (node) => (PERSONAL_DIGITS.test(node.value) ? { ...node, value: withoutPersonalDigits(node.value, (n) => `_${n}`, runs) } : undefined),
  }));
  return { document: blanked, hash: createHash('sha256').update(blanked).digest('hex') };
}

/** `keptDocument` for a stored document text (what the migration that blanked old records uses). */
export function keptDocumentText(source: string, sourceHash: string): KeptDocument {
  return keptDocument(parse(source, { noLocation: true }), source, sourceHash);
}

export function createOperationRecorder(db: Knex, logger: Logger) {
  const written = new Map<string, string>();
  return {
    /**
     * `kept` is worked out only when the operation is written: once per process and day, and once
     * more that day when it is first sent without a purpose.
     */
    async record(
      consumerId: string, queryHash: string, operationName: string | null, purposeStated: boolean, kept: () => KeptDocument, now = new Date().toISOString(),
    ): Promise<void> {
      const key = `${consumerId}\u0000${queryHash}\u0000${purposeStated}`;
      const day = now.slice(0, 10);
      if (written.get(key) === day) return;
      if (written.size >= MEMORY_LIMIT) written.clear();
      written.set(key, day);
      try {
        const { document, hash } = kept();
        await db('recorded_operations')
          .insert({
            consumer_id: consumerId, operation_hash: hash, operation_name: operationName ? withoutPersonalDigits(operationName).slice(0, 100) : null, document,
            first_seen: now, last_seen: now, last_without_purpose: purposeStated ? null : now,
          })
          .onConflict(['consumer_id', 'operation_hash'])
          .merge(purposeStated ? ['last_seen'] : ['last_seen', 'last_without_purpose']);
      } catch (err) {
        // A missed record costs only a less complete `check`; the consumer's request goes on.
        written.delete(key);
        logger.warn({ err }, 'could not record the operation');
      }
    },
  };
}
export type OperationRecorder = ReturnType<typeof createOperationRecorder>;

export async function recordedOperations(db: Knex): Promise<RecordedOperation[]> {
  const rows = await db('recorded_operations').select().orderBy(['consumer_id', 'operation_hash']);
  return rows.map((r: any) => ({
    consumerId: r.consumer_id, operationHash: r.operation_hash, operationName: r.operation_name,
    document: r.document, firstSeen: r.first_seen, lastSeen: r.last_seen, lastWithoutPurpose: r.last_without_purpose,
  }));
}

/** The Apollo Server plugin: records once the operation has parsed and validated. */
export function operationRecorderPlugin(recorder: OperationRecorder): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, request, queryHash, operationName, document }) {
          const query = request.query;
          if (!query || !contextValue.principal) return;
          // Citizens are one consumer here: their idNumbers belong in the audit trail only.
          const consumer = contextValue.principal.kind === 'SYSTEM' ? principalId(contextValue.principal) : 'citizen';
          await recorder.record(consumer, queryHash, operationName ?? null, !!contextValue.purpose, () => keptDocument(document, query, queryHash));
        },
      };
    },
  };
}
