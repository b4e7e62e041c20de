import { GraphQLError } from 'graphql';
import type { InternalCaller } from '../../shared/internal-token';
import type { AskDepartment } from './ask-department';
import { CHANGE_LOGS, ChangeLogOf } from './change-logs';

/**
 * A record's history: the changes its owners logged (a persons correction, a credit entry withdrawn),
 * newest first, asked of each department whose log keeps that kind of record. The logs stay in the
 * departments' stores (一数一源); the gateway reads them with its own token, as for change notices.
 */

export interface RecordChange {
  department: string;
  fields: string[];
  changedAt: string;
  changedBy: string;
  reason: string;
  objection: string | null;
}

/** Entries read of one record's log: more than any record is changed through the graph, and the page a log gives at most. */
const HISTORY_ASKED = 5_000;
const HISTORY_TIMEOUT_MS = 10_000;
const GATEWAY_CALLER: InternalCaller = { consumer: 'onesource-gateway', kind: 'SYSTEM', roles: [], purpose: '变更记录 record history' };

/** The change logs that keep `entity`'s records, of `departments` (all, where not given). */
export const logsOf = (entity: string, departments?: readonly string[]): ChangeLogOf[] =>
  CHANGE_LOGS.filter((log) => log.entity === entity && (!departments || departments.includes(log.department)));

export function recordHistory(ask: AskDepartment) {
  async function changesIn(log: ChangeLogOf, key: string): Promise<RecordChange[]> {
    const query = `query($key: ID!, $first: Int) { ${log.field}(since: "1970-01-01T00:00:00Z", key: $key, first: $first) { fields changedAt changedBy reason objectionId } }`;
    const answer = await ask<Record<string, any[]>>(log.department, GATEWAY_CALLER, query, { key, first: HISTORY_ASKED }, HISTORY_TIMEOUT_MS).catch(() => null);
    const entries = answer?.data?.[log.field];
    if (!entries) {
      throw new GraphQLError(`The ${log.department} department's change log did not answer: its changes to this record cannot be listed now. Try again shortly`, {
        extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: log.department },
      });
    }
    return entries.map((c) => ({ department: log.department, fields: c.fields, changedAt: c.changedAt, changedBy: c.changedBy, reason: c.reason, objection: c.objectionId }));
  }

  /** The newest `first` changes to the record in `logs`, newest first. */
  return async (logs: readonly ChangeLogOf[], key: string, first: number): Promise<RecordChange[]> => {
    const all = (await Promise.all(logs.map((log) => changesIn(log, key)))).flat();
    return all.sort((a, b) => b.changedAt.localeCompare(a.changedAt)).slice(0, first);
  };
}
export type RecordHistory = ReturnType<typeof recordHistory>;
