import { badUserInput, subgraphUnavailable } from '../../shared/errors';
import type { InternalCaller } from '../../shared/internal-token';
import type { Logger } from '../../shared/logger';
import type { Catalog } from '../catalog/build';
import { AskDepartment, askNeeded } from './ask-department';
import { CHANGE_LOGS } from './change-logs';
import type { Objection } from './objections';
import { inWords } from './record-existence';

/**
 * CLOSED says the owner corrected its record. Where the owner corrects through the graph and logs
 * it (persons, legal persons: change-logs.ts), that is checked, not taken on its word: its change
 * log must hold a correction of the objection's record naming the objection (`objectionId`), made
 * since it was raised. An owner that found its record right rejects the objection instead. The
 * other owners keep no change log the gateway can read: their resolution says what they did.
 */
export type RequireCorrection = (objection: Objection, caller: InternalCaller) => Promise<void>;

/** Corrections naming one objection: one or two in practice; a page is plenty. */
const CORRECTIONS_ASKED = 100;

export function correctionCheck(deps: { ask: AskDepartment; logger: Logger; catalog: () => Catalog }): RequireCorrection {
  return async (objection, caller) => {
    const log = CHANGE_LOGS.find((l) => l.department === objection.owner && l.entity === objection.entityType);
    if (!log) return;
    const record = `${inWords(objection.entityType)} ${objection.entityKey}`;
    const query = `query ObjectionCorrections($since: String!, $objectionId: ID!) { ${log.field}(since: $since, first: ${CORRECTIONS_ASKED}, objectionId: $objectionId) { ${log.key} } }`;
    const variables = { since: objection.raisedAt, objectionId: String(objection.id) };
    const answer = await askNeeded<Record<string, Record<string, string>[]>>(deps, "could not read an objection's corrections",
      { department: log.department, caller, query, variables }, (data) => Array.isArray(data?.[log.field]));
    const corrected = answer?.[log.field].map((entry) => entry[log.key]);
    if (!corrected) {
      const description = deps.catalog().resources.find((r) => r.owner === log.department)?.ownerDepartment ?? log.department;
      throw subgraphUnavailable(log.department, description,
        `did not answer whether it corrected the ${record} for objection ${objection.id}: the objection stays ${objection.status}. Try again shortly`);
    }
    if (!corrected.includes(objection.entityKey)) {
      throw badUserInput(
        `objection ${objection.id} is closed once the ${record} is corrected naming it: ${log.correction}(${log.key}: "${objection.entityKey}", …, objectionId: "${objection.id}") ` +
          'logs that; if the record was right after all, reject the objection with the reason',
        { argument: 'id' },
      );
    }
  };
}
