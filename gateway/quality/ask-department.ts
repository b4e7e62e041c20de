import type { InternalCaller, InternalSigner } from '../../shared/internal-token';
import type { Logger } from '../../shared/logger';
import { keepAliveClient } from '../subgraph-http';

/**
 * How the gateway's own subgraph asks a department something outside the federated graph (its
 * change log, whether it holds a record): straight to the department with an internal token
 * signed for it alone, as the gateway's query plans do, on the gateway's client. Straight, not
 * through the gateway: there the guard would record the question as a read of the person and
 * leave a read receipt for change notices, though nothing of the person is passed on to anyone.
 */

export interface DepartmentAnswer<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/**
 * One GraphQL request to a department; throws when no JSON comes back in time (down, hung, a
 * proxy's page). `timeoutMs` replaces the department's own timeout for a question known to be long.
 */
export type AskDepartment = <T = Record<string, any>>(
  department: string, caller: InternalCaller, query: string, variables: Record<string, unknown>, timeoutMs?: number,
) => Promise<DepartmentAnswer<T>>;

/** The client the gateway's query plans call departments with, and its keep-alive pool. */
const post = keepAliveClient();

export function departmentAsker(deps: {
  sign: InternalSigner;
  /** Each department's subgraph URL. */
  subgraphUrl: (department: string) => string;
  /** How long the department has to answer: its configured timeout, as for the gateway's own calls. */
  timeoutMs: (department: string) => number;
}): AskDepartment {
  return async (department, caller, query, variables, timeoutMs = deps.timeoutMs(department)) => {
    const headers: Record<string, string> = { authorization: `Bearer ${await deps.sign(department, caller)}` };
    // The department's log lines then carry the request that asked, as they do for query-plan fetches.
    if (caller.requestId) headers['x-request-id'] = caller.requestId;
    const reply = await post(deps.subgraphUrl(department), {
      headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(timeoutMs),
    });
    if (!reply.contentType.includes('json')) throw new Error(`HTTP ${reply.status}, not JSON but ${reply.contentType || 'no content type'}`);
    const answer: unknown = JSON.parse(reply.body);
    if (!answer || typeof answer !== 'object' || Array.isArray(answer)) throw new Error(`HTTP ${reply.status}, JSON but not a GraphQL answer`);
    return { ...(answer as Omit<DepartmentAnswer<never>, 'status'>), status: reply.status };
  };
}

/**
 * Asks a department something the gateway cannot decide without (does it hold this record, has it
 * corrected it): its data when it answered without any error and `usable` accepts the data, else
 * undefined with why logged (`what` says what could not be done). Any error, even beside data, is
 * a question the department could not answer, not a "no"; the caller refuses as SUBGRAPH_UNAVAILABLE.
 */
export async function askNeeded<T>(
  deps: { ask: AskDepartment; logger: Logger },
  what: string,
  question: { department: string; caller: InternalCaller; query: string; variables: Record<string, unknown> },
  usable: (data: T | null | undefined) => boolean,
): Promise<T | undefined> {
  const { department, caller, query, variables } = question;
  try {
    const answer = await deps.ask<T>(department, caller, query, variables);
    if (!answer.errors?.length && usable(answer.data)) return answer.data!;
    deps.logger.warn({ subgraph: department, requestId: caller.requestId, status: answer.status, reason: answer.errors?.[0]?.message }, what);
  } catch (err) {
    deps.logger.warn({ subgraph: department, requestId: caller.requestId, reason: (err as Error).message }, `${what}: no answer`);
  }
  return undefined;
}
