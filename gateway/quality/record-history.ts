import { GraphQLError } from 'graphql';
import type { InternalCaller } from '../../shared/internal-token';
import type { AskDepartment, DepartmentAnswer } from './ask-department';
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
  /** What the changed fields held before, where the log keeps it; null otherwise. */
  previous: PreviousValue[] | null;
}

export interface PreviousValue {
  field: string;
  value: string | null;
}

/** Entries asked of a log at once (the most a log gives), and pages at most: a record's whole history, read oldest first. */
const HISTORY_PAGE = 5_000;
const MAX_PAGES = 20;
const HISTORY_TIMEOUT_MS = 10_000;
const GATEWAY_CALLER: InternalCaller = { consumer: 'onesource-gateway', kind: 'SYSTEM', roles: [], purpose: '变更记录 record history' };

/** A log entry's `previous` (JSON text by field) as the graph lists it. */
function previousValues(json: string | null | undefined): PreviousValue[] | null {
  if (!json) return null;
  return Object.entries(JSON.parse(json) as Record<string, unknown>).map(([field, value]) => ({ field, value: value == null ? null : String(value) }));
}

/** The change logs that keep `entity`'s records, of `departments` (all, where not given). */
export const logsOf = (entity: string, departments?: readonly string[]): ChangeLogOf[] =>
  CHANGE_LOGS.filter((log) => log.entity === entity && (!departments || departments.includes(log.department)));

export function recordHistory(ask: AskDepartment) {
  async function changesIn(log: ChangeLogOf, key: string): Promise<RecordChange[]> {
    const query = `query($key: ID!, $since: String!, $afterId: ID, $first: Int) {
      ${log.field}(since: $since, afterId: $afterId, key: $key, first: $first) { id fields changedAt changedBy reason objectionId${'keepsPrevious' in log ? ' previous' : ''} } }`;
    const entries: any[] = [];
    // Paged from the last entry, as change notices are: the logs give oldest first, at most a page at once.
    for (let page = 0, since = '1970-01-01T00:00:00Z', afterId: string | null = null; page < MAX_PAGES; page++) {
      const answer: DepartmentAnswer<Record<string, any[]>> | null = await ask<Record<string, any[]>>(log.department, GATEWAY_CALLER, query, { key, since, afterId, first: HISTORY_PAGE }, HISTORY_TIMEOUT_MS).catch(() => null);
      const batch: any[] | undefined = answer?.data?.[log.field];
      if (!batch) {
        throw new GraphQLError(`The ${log.department} department's change log did not answer: its changes to this record cannot be listed now. Try again shortly`, {
          extensions: { code: 'SUBGRAPH_UNAVAILABLE', department: log.department },
        });
      }
      entries.push(...batch);
      if (batch.length < HISTORY_PAGE) break;
      ({ changedAt: since, id: afterId } = batch[batch.length - 1]);
    }
    return entries.map((c) => ({
      department: log.department, fields: c.fields, changedAt: c.changedAt, changedBy: c.changedBy, reason: c.reason, objection: c.objectionId, previous: previousValues(c.previous),
    }));
  }

  /** The newest `first` changes to the record in `logs`, newest first. */
  return async (logs: readonly ChangeLogOf[], key: string, first: number): Promise<RecordChange[]> => {
    const all = (await Promise.all(logs.map((log) => changesIn(log, key)))).flat();
    return all.sort((a, b) => b.changedAt.localeCompare(a.changedAt)).slice(0, first);
  };
}
export type RecordHistory = ReturnType<typeof recordHistory>;
