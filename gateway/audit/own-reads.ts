import { createHash } from 'node:crypto';
import { GraphQLResolveInfo, Kind, print, SelectionSetNode } from 'graphql';
import { auditTrailUnavailable } from '../../shared/errors';
import type { InternalCaller } from '../../shared/internal-token';
import { fieldsRead, grantsRead } from './record';
import type { AuditTrail } from './trail';
import { callerId } from '../context';
import { SHARING_SUBGRAPH } from '../sharing';

/**
 * Personal data that the gateway's own subgraph answers from its store (the text of an objection
 * on a person's record, the persons named in a consistency report's samples) is read without a
 * NaturalPerson field in the operation, so the guard, which audits by the shape of the operation,
 * cannot see it. The resolvers that answer it record the read here, before the answer leaves.
 */
export type RecordOwnRead = (
  caller: InternalCaller,
  info: GraphQLResolveInfo,
  /** `grants`: the grants (ids) each subject's conditional items were told under, as the guard records them. */
  read: { subjects: Iterable<string>; fields: string[]; grants?: (subject: string) => Iterable<number> },
) => Promise<void>;

export function ownReads(trail: AuditTrail): RecordOwnRead {
  // Reads one request makes in the same turn (the samples of each rule of one consistency report,
  // resolved side by side) are one look, and one record: a person named by two rules would
  // otherwise see the same look twice in their access log.
  const pending = new Map<string, { bySubject: Map<string, Set<string>>; grantsBySubject: Map<string, Set<number>>; written: Promise<void> }>();
  return (caller, info, read) => {
    const subjects = [...new Set(read.subjects)];
    if (!subjects.length || !read.fields.length) return Promise.resolve();
    const key = caller.requestId ? `${caller.consumer}\u0000${caller.requestId}` : undefined;
    let batch = key ? pending.get(key) : undefined;
    if (!batch) {
      const bySubject = new Map<string, Set<string>>();
      const grantsBySubject = new Map<string, Set<number>>();
      const written = Promise.resolve().then(() => {
        if (key) pending.delete(key);
        return write(trail, caller, info, bySubject, grantsBySubject);
      });
      batch = { bySubject, grantsBySubject, written };
      if (key) pending.set(key, batch);
    }
    for (const subject of subjects) {
      const fields = batch.bySubject.get(subject) ?? new Set<string>();
      read.fields.forEach((f) => fields.add(f));
      batch.bySubject.set(subject, fields);
      const grants = batch.grantsBySubject.get(subject) ?? new Set<number>();
      for (const id of read.grants?.(subject) ?? []) grants.add(id);
      batch.grantsBySubject.set(subject, grants);
    }
    return batch.written;
  };
}

async function write(
  trail: AuditTrail, caller: InternalCaller, info: GraphQLResolveInfo, bySubject: Map<string, Set<string>>, grantsBySubject: Map<string, Set<number>>,
): Promise<void> {
  try {
    await trail.record({
      at: new Date().toISOString(),
      // A citizen as the guard names them: which citizen read, not "citizen".
      consumer: callerId(caller),
      purpose: caller.purpose ?? null,
      requestId: caller.requestId ?? '',
      operationName: clientOperationName(info.operation.name?.value),
      // The operation the gateway's plan sent to this subgraph: the client's own is the guard's to hash.
      operationHash: createHash('sha256').update(print(info.operation)).digest('hex'),
      subjects: [...bySubject.keys()],
      fields: fieldsRead(bySubject),
      outcome: 'COMPLETE',
      grants: grantsRead(grantsBySubject),
    });
  } catch {
    // As in the guard: personal data never leaves without its record.
    throw auditTrailUnavailable();
  }
}

/**
 * The client's operation name, as the guard records it for the same request: the query planner
 * names the operation it sends a subgraph `<client's name>__<subgraph>__<step>`.
 */
export function clientOperationName(planned: string | undefined): string | null {
  return planned?.replace(new RegExp(`__${SHARING_SUBGRAPH}__\\d+$`), '') || null;
}

/** The names of the fields asked directly under the resolver's own field, through fragments too. */
export function selectedFields(info: GraphQLResolveInfo): Set<string> {
  const names = new Set<string>();
  const walk = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) names.add(s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet);
      else walk(info.fragments[s.name.value]?.selectionSet);
    }
  };
  for (const node of info.fieldNodes) walk(node.selectionSet);
  return names;
}
