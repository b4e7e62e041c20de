import { KEYED_TYPES } from './policy/operation-shape';

/**
 * A record one department names (a company's legal representative, a project's applicant) that the
 * department owning it does not hold. Federation answers such an entity with null fields and no
 * error, so a caller read `name: null` as "no name". Collected per request by the department data
 * sources, told in the answer's `dataQuality` extension by the guard.
 */
export interface MissingRecord {
  entity: string;
  key: string;
  department: string;
  problem: 'NOT_IN_REGISTER';
  message: string;
}

/**
 * The representations a department answered null for, without an error at that entity (a failure
 * is told as one already): the records it does not hold.
 */
export function missingRecords(
  department: string,
  description: string,
  representations: unknown,
  data: Record<string, unknown> | null | undefined,
  errors: readonly { path?: readonly (string | number)[] }[] | undefined,
): MissingRecord[] {
  const entities = data?._entities;
  if (!Array.isArray(representations) || !Array.isArray(entities)) return [];
  const failed = new Set((errors ?? []).filter((e) => e.path?.[0] === '_entities').map((e) => e.path![1]));
  const missing: MissingRecord[] = [];
  entities.forEach((entity, i) => {
    if (entity !== null || failed.has(i)) return;
    const representation = representations[i] as Record<string, unknown> | undefined;
    const type = String(representation?.__typename ?? '');
    const keyField = KEYED_TYPES[type] ?? Object.keys(representation ?? {}).find((k) => k !== '__typename');
    const key = keyField ? String(representation?.[keyField] ?? '') : '';
    if (!type || !key) return;
    missing.push({
      entity: type, key, department, problem: 'NOT_IN_REGISTER',
      message: `The ${department} department (${description}) holds no ${type} ${key}, though another department's record names it: its fields here are null. A data-quality defect: raise an objection.`,
    });
  });
  return missing;
}

/** Each missing record once, however many places of the answer named it. */
export function distinctMissing(records: readonly MissingRecord[]): MissingRecord[] {
  const seen = new Map<string, MissingRecord>();
  for (const r of records) seen.set(`${r.department}\u0000${r.entity}\u0000${r.key}`, r);
  return [...seen.values()];
}
