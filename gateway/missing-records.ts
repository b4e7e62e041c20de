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
  /** The department's own name for itself, for the message. */
  description: string;
}

/** How the answer's `dataQuality` extension tells one: its key only where the caller asked for it. */
export interface ToldMissingRecord {
  entity: string;
  key?: string;
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
    missing.push({ entity: type, key, department, description });
  });
  return missing;
}

/**
 * Each missing record once, however many places of the answer named it, as the answer tells it: with
 * its key only where the caller asked for that key (`asked` holds `Type.field`), so that the
 * extension never hands out an idNumber the answer itself does not carry.
 */
export function toldMissing(records: readonly MissingRecord[], asked: ReadonlySet<string>): ToldMissingRecord[] {
  const told = new Map<string, ToldMissingRecord>();
  for (const { entity, key, department, description } of records) {
    const keyField = KEYED_TYPES[entity];
    const shown = keyField && asked.has(`${entity}.${keyField}`) ? key : undefined;
    told.set(`${department}\u0000${entity}\u0000${key}`, {
      entity, ...(shown ? { key: shown } : {}), department, problem: 'NOT_IN_REGISTER',
      message: `The ${department} department (${description}) holds no ${entity}${shown ? ` ${shown}` : ''}, though another department's record names it: its fields here are null. A data-quality defect: raise an objection.`,
    });
  }
  return [...told.values()];
}
