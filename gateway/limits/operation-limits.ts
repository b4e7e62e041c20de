import { DocumentNode, GraphQLError, validate, ValidationContext, ValidationRule } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import { MaxTokensParserWLexer } from '@escape.tech/graphql-armor-max-tokens';
import type { Config } from '../../shared/config';
import { queryTooComplex } from '../../shared/errors';
import { GatewayContext, principalId } from '../context';
import { pageSizeVariables, sizeOf, withPageSizes } from './page-sizes';
import { BoundedMemo } from '../../shared/bounded-memo';

export type Limits = Config['limits'];

/** The limit a rejection names, as the caller reads it in `extensions.limit`. */
type LimitName = 'maxTokens' | 'maxDepth' | 'maxAliases' | 'maxDirectives' | 'maxCost' | 'maxVerificationLists' | 'maxSchemaIntrospections';

/**
 * A `verifyNaturalPersons` list stands for up to 100 aliased `verifyNaturalPerson` fields, and the
 * cost estimate counts a list of scalars once, whatever its length: aliased lists would let one
 * request verify a hundred times what its aliases allow. So one list per document.
 */
const VERIFICATION_LIST_FIELD = 'verifyNaturalPersons';
const MAX_VERIFICATION_LISTS = 1;

/**
 * `__schema` answers the whole schema (some 50 KB), and graphql-armor leaves introspection out of
 * its depth and cost: a hundred aliased `__schema` fields made one request answer 5 MB in 3 s. One
 * per document is what GraphiQL and code generators ask.
 */
const SCHEMA_FIELD = '__schema';
const MAX_SCHEMA_INTROSPECTIONS = 1;

/** A field asked more than `max` times in one document (aliases, fragments, other operations included) is refused. */
function oncePerDocumentRule(rejections: GraphQLError[], field: string, max: number, limit: LimitName, message: string): ValidationRule {
  return () => {
    let asked = 0;
    return {
      Field(node) {
        if (node.name.value === field && ++asked === max + 1) rejections.push(queryTooComplex(message, limit, max));
      },
    };
  };
}

/** graphql-armor's messages start with "Syntax Error: " (its own convention): not ours to repeat. */
const armorMessage = (error: GraphQLError) => error.message.replace(/^Syntax Error:\s*/, '');

/** The cost limit of one consumer: its override if it has one, the general limit otherwise. */
export function costLimitOf(limits: Limits, consumer: string): number {
  return limits.costByConsumer[consumer] ?? limits.maxCost;
}

/**
 * Rules that collect a rejection instead of throwing: graphql-armor reports through `onReject`,
 * and by default Apollo would turn the report into GRAPHQL_VALIDATION_FAILED; the contract says
 * QUERY_TOO_COMPLEX, naming the limit and its value.
 */
function rejectInto(rejections: GraphQLError[], limit: LimitName, max: number) {
  return [(_ctx: ValidationContext | null, error: GraphQLError) => {
    rejections.push(queryTooComplex(armorMessage(error), limit, max));
  }];
}
const REPORT = { exposeLimits: true, propagateOnRejection: false } as const;

/** Limits on the document's shape, the same for every consumer. */
function shapeRules(limits: Limits, rejections: GraphQLError[]): ValidationRule[] {
  return [
    // Fragments flattened: a depth counts fields, however the query is written (spread into named
    // fragments, as code generators write one per type, each spread counted two levels more).
    maxDepthRule({ ...REPORT, n: limits.maxDepth, flattenFragments: true, onReject: rejectInto(rejections, 'maxDepth', limits.maxDepth) }),
    // Every alias counts, `__typename`'s too (graphql-armor leaves those out by default, so
    // thousands of `t1: __typename` were bounded only by the token limit). Clients that add
    // `__typename` to their selections add it without an alias, which is not counted.
    maxAliasesRule({ ...REPORT, n: limits.maxAliases, allowList: [], onReject: rejectInto(rejections, 'maxAliases', limits.maxAliases) }),
    maxDirectivesRule({ ...REPORT, n: limits.maxDirectives, onReject: rejectInto(rejections, 'maxDirectives', limits.maxDirectives) }),
    oncePerDocumentRule(rejections, VERIFICATION_LIST_FIELD, MAX_VERIFICATION_LISTS, 'maxVerificationLists',
      `${VERIFICATION_LIST_FIELD} is asked more than once: one list of up to 100 requests per document`),
    oncePerDocumentRule(rejections, SCHEMA_FIELD, MAX_SCHEMA_INTROSPECTIONS, 'maxSchemaIntrospections',
      `${SCHEMA_FIELD} is asked more than once: the whole schema once per document`),
  ];
}

/** A bounded set of what has already passed, so a repeated operation is not measured again. */
class Passed {
  private readonly keys = new Set<string>();
  constructor(private readonly size: number) {}
  has(key: string) {
    return this.keys.has(key);
  }
  add(key: string) {
    if (this.keys.size >= this.size) this.keys.delete(this.keys.values().next().value as string);
    this.keys.add(key);
  }
}

/**
 * The gateway's limits, as one Apollo Server plugin, all checked before the operation reaches the
 * guard and the query planner:
 * - tokens, depth, aliases and directives when the source arrives, before Apollo parses and
 *   validates it (validation of thousands of aliases is itself costly): the source is lexed with
 *   graphql-armor's token-counting parser, which stops at the limit, and the shape rules run on
 *   that document alone;
 * - the operation named by `operationName` must exist, and its kind (query, mutation,
 *   subscription) be one the graph has (otherwise Apollo reaches the gateway's executor and answers 500);
 * - the cost estimate, per consumer, on every request (Apollo caches validated documents, so a
 *   per-consumer rule cannot live in validation).
 */
export function operationLimitsPlugin(limits: Limits): ApolloServerPlugin<GatewayContext> {
  const shapePassed = new Passed(5000);
  const costPassed = new Passed(5000);
  const pageSizes = new BoundedMemo<string[]>(5000);
  // Errors this plugin throws before Apollo's own error handling starts (see unexpectedErrorProcessingRequest).
  const ours = new WeakSet<Error>();
  const refuse = (error: GraphQLError): never => {
    ours.add(error);
    throw error;
  };
  return {
    // Apollo answers an error thrown from didResolveSource with a bare 500; an error rethrown here
    // reaches its HTTP error answer instead, with our code and status (graphql-armor does the same).
    async unexpectedErrorProcessingRequest({ error }) {
      if (ours.has(error)) throw error;
    },
    async requestDidStart() {
      return {
        async didResolveSource({ source, queryHash, schema }) {
          if (shapePassed.has(queryHash)) return;
          const rejections: GraphQLError[] = [];
          let document: DocumentNode;
          try {
            document = new MaxTokensParserWLexer(source, {
              n: limits.maxTokens,
              exposeLimits: true,
              propagateOnRejection: true,
              onReject: rejectInto(rejections, 'maxTokens', limits.maxTokens),
            }).parseDocument();
          } catch {
            if (rejections.length) refuse(rejections[0]);
            return; // a syntax error: Apollo's own parse reports it (GRAPHQL_PARSE_FAILED) next
          }
          validate(schema, document, shapeRules(limits, rejections));
          if (rejections.length) refuse(rejections[0]);
          shapePassed.add(queryHash);
        },

        async didResolveOperation({ schema, document, operation, request, queryHash, contextValue }) {
          if (!operation) {
            throw new GraphQLError(
              request.operationName
                ? `The document has no operation named "${String(request.operationName).slice(0, 100)}"`
                : 'The document has several operations: name one with operationName',
              { extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400 } } },
            );
          }
          // graphql-js 16 does not validate this: a subscription on a schema without any would reach
          // the planner and fail there as a 500.
          if (!schema.getRootType(operation.operation)) {
            throw new GraphQLError(`The graph has no ${operation.operation} operations`, {
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
          const maxCost = costLimitOf(limits, principalId(contextValue.principal));
          // The same document costs what its page sizes and key lists make it: their sizes are part of the key.
          const sizes = pageSizes.get(queryHash, () => pageSizeVariables(schema, document)).map((name) => sizeOf(request.variables?.[name]));
          const key = `${queryHash}\u0000${maxCost}\u0000${sizes.join(',')}`;
          if (costPassed.has(key)) return;
          const rejections: GraphQLError[] = [];
          const estimated = withPageSizes(schema, document, operation, request.variables);
          validate(schema, estimated, [costLimitRule({ ...REPORT, maxCost, onReject: rejectInto(rejections, 'maxCost', maxCost) })]);
          if (rejections.length) throw rejections[0];
          costPassed.add(key);
        },
      };
    },
  };
}
