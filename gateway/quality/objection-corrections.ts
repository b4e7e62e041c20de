import { badUserInput, subgraphUnavailable } from '../../shared/errors';
import type { InternalCaller } from '../../shared/internal-token';
import type { Logger } from '../../shared/logger';
import type { Catalog } from '../catalog/build';
import { AskDepartment, askNeeded } from './ask-department';
import { CHANGE_LOGS } from './change-logs';
import type { Objection } from './objections';
import { inWords } from './record-existence';

/**
 * CLOSED says the owner corrected the disputed item. Where the owner corrects it through the graph
 * and logs it (persons, legal persons: change-logs.ts), that is checked, not taken on its word: its
 * change log must hold a correction of the objection's record naming the objection (`objectionId`),
 * made since it was raised, that changed the disputed field. An owner that found its record right
 * rejects the objection instead. For the other owners, and for fields no correction changes, the
 * gateway can read no change: the resolution says what was done.
 */
export type RequireCorrection = (objection: Objection, caller: InternalCaller) => Promise<void>;

/** A change log's entry as asked here: the record's key (under the log's key field) and the fields it changed. */
type LoggedCorrection = { fields: string[]; [key: string]: unknown };

/** Corrections naming one objection: one or two in practice; a page is plenty. */
const CORRECTIONS_ASKED = 100;

export function correctionCheck(deps: { ask: AskDepartment; logger: Logger; catalog: () => Catalog }): RequireCorrection {
  return async (objection, caller) => {
    const log = CHANGE_LOGS.find((l) => l.department === objection.owner && l.entity === objection.entityType);
    if (!log || !(log.corrects as readonly string[]).includes(objection.field)) return;
    const record = `${inWords(objection.entityType)} ${objection.entityKey}`;
    const query = `query ObjectionCorrections($since: String!, $objectionId: ID!) { ${log.field}(since: $since, first: ${CORRECTIONS_ASKED}, objectionId: $objectionId) { ${log.key} fields } }`;
    const variables = { since: objection.raisedAt, objectionId: String(objection.id) };
    const answer = await askNeeded<Record<string, LoggedCorrection[]>>(deps, "could not read an objection's corrections",
      { department: log.department, caller, query, variables }, (data) => Array.isArray(data?.[log.field]));
    const corrections = answer?.[log.field].filter((entry) => entry[log.key] === objection.entityKey);
    if (!corrections) {
      const description = deps.catalog().resources.find((r) => r.owner === log.department)?.ownerDepartment ?? log.department;
      throw subgraphUnavailable(log.department, description,
        `did not answer whether it corrected the ${record} for objection ${objection.id}: the objection stays ${objection.status}. Try again shortly`);
    }
    // A change within the field (credit's log names a change to entries alone `credit.entries`) corrects it too.
    if (!corrections.some((c) => c.fields.some((f) => f === objection.field || f.startsWith(`${objection.field}.`)))) {
      const changed = [...new Set(corrections.flatMap((c) => c.fields))];
      throw badUserInput(
        `objection ${objection.id} disputes the ${record}'s ${objection.field}, and is closed once that is corrected naming it: ` +
          `${log.corrections.join(' or ')}(${log.key}: "${objection.entityKey}", …, objectionId: "${objection.id}") correcting ${objection.field} logs that` +
          (changed.length ? ` (the corrections naming it changed only ${changed.join(', ')})` : '') +
          '; if the record was right after all, reject the objection with the reason',
        { argument: 'id' },
      );
    }
  };
}
