import type { InternalCaller } from '../../shared/internal-token';
import type { AskDepartment } from './ask-department';
import { CHANGE_LOGS, ChangeLogOf, noticesGoTo } from './change-logs';
import type { EntityReads } from './entity-reads';
import type { ItemAccess } from '../catalog/grants';

/**
 * Change notices: when an owner corrects or changes a person or a legal person, the consumers that
 * read that record lately can learn of it with `changesSince`, so an approval in progress can react
 * (a representative deceased, an applicant revoked). The owners keep their change logs in their
 * own stores; the gateway asks them with its internal token (the log fields are @inaccessible, not
 * part of the public graph) and keeps only the records the calling consumer read.
 */

export interface ChangeNotice {
  entity: string;
  key: string;
  fields: string[];
  changedAt: string;
  reason: string;
  objection: string | null;
  lastReadAt: string;
}

/**
 * The reason told in place of the owner's to a reader that may not read every changed field in full
 * (a reason often says the new value: 本人申请变更手机号码为139…). Worded so that it says nothing
 * of which fields those are, nor whether any were left out of the fields told.
 */
export const REASON_WITHHELD = "withheld: the owner's reason is told only to a reader that may read every changed item in full";

/** The owner's reason for a change of `entity`'s `fields`, as a reader with `access` is told it. */
export function reasonTold(entity: string, fields: readonly string[], reason: string, access: (coordinate: string) => ItemAccess): string {
  return fields.every((field) => access(`${entity}.${field}`) === 'FULL') ? reason : REASON_WITHHELD;
}

/** Change-log entries asked for at once. */
const CHANGE_PAGE = 5_000;
const CHANGE_LOG_TIMEOUT_MS = 10_000;

/** The gateway itself, as the caller of a department's change log. */
const GATEWAY_CALLER: InternalCaller = { consumer: 'onesource-gateway', kind: 'SYSTEM', roles: [], purpose: '变更通知 change notices' };

interface LoggedChange {
  id: string;
  key: string;
  fields: string[];
  changedAt: string;
  reason: string;
  objectionId: string | null;
}

export function changeNotices(deps: {
  ask: AskDepartment;
  reads: EntityReads;
  /** How far back a read counts. */
  days: number;
  /** Change-log entries asked for at once (a test sets a few). */
  pageSize?: number;
}) {
  const pageSize = deps.pageSize ?? CHANGE_PAGE;
  async function changeLog(log: ChangeLogOf, since: string, afterId: string | null, first: number): Promise<LoggedChange[]> {
    const query = `query($since: String!, $afterId: ID, $first: Int) { ${log.field}(since: $since, afterId: $afterId, first: $first) { id ${log.key} fields changedAt reason objectionId } }`;
    // A page of thousands of entries takes longer than a query-plan fetch is given.
    const answer = await deps.ask<Record<string, any[]>>(log.department, GATEWAY_CALLER, query, { since, afterId, first }, CHANGE_LOG_TIMEOUT_MS);
    if (!answer.data?.[log.field]) throw new Error(`the ${log.department} department's change log did not answer: ${answer.errors?.[0]?.message ?? answer.status}`);
    return answer.data[log.field].map((c) => ({ id: c.id, key: c[log.key], fields: c.fields, changedAt: c.changedAt, reason: c.reason, objectionId: c.objectionId }));
  }

  /** `access`: how the consumer may read each field (`Type.field`) in this request. */
  return async function changesSince(consumer: string, access: (coordinate: string) => ItemAccess, since: string, first: number, now = new Date()): Promise<ChangeNotice[]> {
    await deps.reads.flush();
    const readSince = new Date(now.getTime() - deps.days * 86_400_000).toISOString();
    const notices: ChangeNotice[] = [];
    for (const log of CHANGE_LOGS) {
      // A log is read to its end, a page at a time, each page kept only for what concerns the
      // caller; there is no cap on pages, for a cap would hide for good what lies beyond it: a
      // caller pages on from its last notice, and a load of more entries than the cap, none of
      // them its records, would leave it nothing to page on from. It stops early once this log's
      // own notices fill the answer: any later one of its would come after the answer's last.
      const told: ChangeNotice[] = [];
      // Each page goes on from the last entry, not from its time: a load logs thousands of entries
      // with one time, and "after that time" would skip those of them the page did not hold.
      for (let from = since, afterId: string | null = null; ; ) {
        const page = await changeLog(log, from, afterId, pageSize);
        const read = await deps.reads.readBy(consumer, noticesGoTo(log), [...new Set(page.map((c) => c.key))], readSince);
        for (const c of page) {
          const lastReadAt = read.get(c.key);
          if (!lastReadAt) continue;
          const fields = c.fields.filter((field) => access(`${log.entity}.${field}`) !== 'NONE');
          if (!fields.length) continue;
          told.push({ entity: log.entity, key: c.key, fields, changedAt: c.changedAt, reason: reasonTold(log.entity, c.fields, c.reason, access), objection: c.objectionId, lastReadAt });
        }
        if (page.length < pageSize) break;
        const last = page[page.length - 1];
        // Full once the instant of its `first`-th notice is read to its end (firstInstants keeps all of it).
        if (told.length >= first && last.changedAt > told[first - 1].changedAt) break;
        ({ changedAt: from, id: afterId } = last);
      }
      notices.push(...told);
    }
    return firstInstants(notices.sort((a, b) => a.changedAt.localeCompare(b.changedAt)), first);
  };
}

/**
 * The first `first` notices, and any more of the same instant as the last of them: a caller pages
 * on with `since` = the last `changedAt`, which the logs read as "after", so notices of one instant
 * (a load logs all its entries at once) cut in two would lose their second half for good.
 */
export function firstInstants<T extends { changedAt: string }>(sorted: readonly T[], first: number): T[] {
  let end = Math.min(first, sorted.length);
  while (end > 0 && end < sorted.length && sorted[end].changedAt === sorted[end - 1].changedAt) end++;
  return sorted.slice(0, end);
}
export type ChangesSince = ReturnType<typeof changeNotices>;
