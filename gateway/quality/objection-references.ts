import type { ApolloServerPlugin } from '@apollo/server';
import { FieldNode, FragmentDefinitionNode, GraphQLError, Kind, SelectionSetNode, valueFromASTUntyped } from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { quoted } from '../../shared/text';
import { ROLE } from '../consumers';
import type { GatewayContext } from '../context';
import { ANSWERED_ONLY_FOR, CHANGE_LOGS, ChangeLogOf, CORRECTION_CHANGES } from './change-logs';
import type { ObjectionStore } from './objections';
import { RECORD_NUMBER } from '../../shared/identifiers';

/** The corrections that may say which objection they answer, by mutation, with the record each names. */
const CORRECTIONS = new Map<string, ChangeLogOf>(CHANGE_LOGS.flatMap((log) => log.corrections.map((correction) => [correction, log] as const)));

const refused = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', argument: 'objectionId', http: { status: 400 } } });

/**
 * A correction that says it answers an objection (`objectionId`) must name one its owner accepted,
 * about that very record and an item this correction changes: the change log and every change
 * notice carry the id. The department does
 * not hold the objections, the gateway does, so the gateway checks before the correction is sent.
 */
export function objectionReferencesPlugin(objections: Pick<ObjectionStore, 'byId'>): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request, contextValue, schema }) {
          if (operation?.operation !== 'mutation') return;
          // The variables as the operation runs with them: a variable left out takes its default.
          const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {});
          const variables = coerced.coerced ?? request.variables;
          const fragments = new Map<string, FragmentDefinitionNode>();
          for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
          for (const field of rootFields(operation.selectionSet, fragments)) {
            const correction = CORRECTIONS.get(field.name.value);
            // Only the owning department's operators may correct: anyone else is refused by the
            // department itself, and learns nothing here about which objections exist.
            if (!correction || !correctsFor(contextValue, correction.department)) continue;
            const argument = (name: string) => {
              const node = field.arguments?.find((a) => a.name.value === name)?.value;
              return node && valueFromASTUntyped(node, variables);
            };
            const given = argument('objectionId');
            if (given == null) continue;
            const raw = String(given); // an ID may be written as an Int literal
            // As the objection's number is written: the department logs the id as given, and closing
            // the objection finds its correction by that number ("01" answered objection 1 for good).
            const written = RECORD_NUMBER.test(raw);
            const objection = written ? await objections.byId(Number(raw)) : null;
            const numberWrittenOtherwise = !written && /^\s*[+-]?\d/.test(raw); // "01", "1.0", " 1", "1e0"
            if (!objection) throw refused(`objectionId ${quoted(raw)} names no data objection${numberWrittenOtherwise ? ': write the objection\'s number as its id gives it' : ''}`);
            const key = correction.check(String(argument(correction.key) ?? ''));
            if (objection.entityType !== correction.entity || (key.ok && key.value !== objection.entityKey)) {
              throw refused(`objection ${objection.id} is not about this ${correction.entity}`);
            }
            // The change log says which objection a change answered: only one about an item this correction changes.
            // Here "changes" is "sets": the department, which sees the values, refuses an item set to the
            // value it has already (requireObjectionAnswered, shared/record-changes.ts).
            const changes = CORRECTION_CHANGES[field.name.value as keyof typeof CORRECTION_CHANGES];
            const changed = 'item' in changes ? [changes.item] : itemsSet(argument(changes.input), changes.renamed);
            if (objection.owner !== correction.department || !changed.includes(objection.field)) {
              throw refused(
                `objection ${objection.id} disputes ${objection.entityType}.${objection.field}, which the ${objection.owner} department decides: ` +
                  `this ${field.name.value} does not change it`,
              );
            }
            const guarded = Object.entries(ANSWERED_ONLY_FOR[field.name.value as keyof typeof ANSWERED_ONLY_FOR] ?? {})
              .find(([item, disputes]) => changed.includes(item) && !disputes.includes(objection.field));
            if (guarded) {
              throw refused(
                `objection ${objection.id} disputes ${objection.entityType}.${objection.field}: a correction answering it does not also set ${guarded[0]}, ` +
                  `which only an objection about ${guarded[1].join(' or ')} may take back from past review; set ${guarded[0]} on its own, or in answer to such an objection`,
              );
            }
            if (objection.status !== 'ACCEPTED') {
              throw refused(`objection ${objection.id} is ${objection.status}: a correction answers an objection its owner accepted`);
            }
          }
        },
      };
    },
  };
}

/** The items a correction input sets (a null removes a value: that changes it too), under the change log's names. */
function itemsSet(input: unknown, renamed: Record<string, string>): string[] {
  if (!input || typeof input !== 'object') return [];
  return Object.entries(input).filter(([, value]) => value !== undefined).map(([name]) => renamed[name] ?? name);
}

function correctsFor(context: GatewayContext, department: string): boolean {
  const { principal } = context;
  return principal.kind === 'SYSTEM' && principal.consumer.roles.includes(ROLE.DEPARTMENT) && principal.consumer.department === department;
}

function* rootFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): Generator<FieldNode> {
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) yield s;
    else if (s.kind === Kind.INLINE_FRAGMENT) yield* rootFields(s.selectionSet, fragments, seen);
    else if (!seen.has(s.name.value) && fragments.has(s.name.value)) {
      seen.add(s.name.value);
      yield* rootFields(fragments.get(s.name.value)!.selectionSet, fragments, seen);
    }
  }
}
