import { badUserInput, subgraphUnavailable } from '../../shared/errors';
import type { InternalCaller } from '../../shared/internal-token';
import type { Logger } from '../../shared/logger';
import type { CatalogResource } from '../catalog/build';
import { AskDepartment, askNeeded } from './ask-department';

/**
 * An objection is about a record its owner holds: one about a person the persons register does not
 * know would sit in the department's queue with nothing to correct. So the owner is asked first,
 * with `_entities` and the key field alone: the answer says that the record exists and nothing of
 * it, and nothing is read for the consumer, so nothing is audited beyond what the objection itself
 * records when its raiser reads it back. A department that does not answer leaves the question
 * open; an objection that could not be checked is refused as SUBGRAPH_UNAVAILABLE, not accepted.
 */
export type RequireRecord = (record: Pick<CatalogResource, 'name' | 'owner' | 'ownerDepartment' | 'keys'>, key: string, caller: InternalCaller) => Promise<void>;

/** `NaturalPerson` → `natural person`, as a refusal says it. */
export const inWords = (entity: string) => entity.replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase();

export function recordExistence(ask: AskDepartment, logger: Logger): RequireRecord {
  return async (record, key, caller) => {
    // Every kind of record an objection names has a key of one field (KEY_CHECKS in resolvers.ts).
    const [keyField] = record.keys;
    const query = `query ObjectionRecord($representations: [_Any!]!) { _entities(representations: $representations) { ... on ${record.name} { ${keyField} } } }`;
    const representations = [{ __typename: record.name, [keyField]: key }];
    const found = await askNeeded<{ _entities?: unknown[] }>({ ask, logger }, "could not check an objection's record",
      { department: record.owner, caller, query, variables: { representations } }, (data) => Array.isArray(data?._entities) && data._entities.length === 1);
    if (!found) {
      throw subgraphUnavailable(record.owner, record.ownerDepartment,
        `did not answer whether it holds the ${inWords(record.name)} ${key}: an objection that cannot be checked is not raised. Try again shortly`);
    }
    if (found._entities![0] == null) throw badUserInput(`there is no ${inWords(record.name)} ${key}`, { argument: 'key' });
  };
}
