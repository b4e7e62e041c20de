import type { Knex } from 'knex';
import { isPlumbing } from '../catalog/build';
import { ALL, dayOf } from './recorder';
import type { FieldOwners } from './owners';

export interface UsageTotal {
  /** Consumer id, department, Type.field, type name or day, by section. */
  key: string;
  /** `fieldReaders` only: the consumer that read the field `key`. */
  consumer?: string;
  department: string | null;
  requests: number;
  items: number;
  errors: number;
  errorsByCode: { code: string; count: number }[];
  averageLatencyMs: number | null;
  maxLatencyMs: number | null;
  /** Departments only: the gateway's calls to it (query plan fetches). */
  calls: number | null;
  failedCalls: number | null;
  averageCallMs: number | null;
}

export interface ZombieCandidate {
  /** Type.field, or the type name of a resource. */
  name: string;
  department: string;
  kind: 'FIELD' | 'RESOURCE';
  /** The public contract names it (or, for a resource, one of its fields): unused, and still not to be retired. */
  promised: boolean;
}

export interface UsageReport {
  from: string;
  to: string;
  consumers: UsageTotal[];
  departments: UsageTotal[];
  resources: UsageTotal[];
  fields: UsageTotal[];
  /** Per data item and consumer: who reads what (for a department operator, of its own fields). */
  fieldReaders: UsageTotal[];
  days: UsageTotal[];
  /**
   * Data items and resources the catalogue publishes (catalog/build.ts) that nobody read in the
   * `unusedForDays` days up to `to`: not Relay plumbing, not root operations.
   */
  unusedForDays: number;
  zombieCandidates: ZombieCandidate[];
}

export interface UsageQuery {
  from: string;
  to: string;
  /** A department operator's view: only the rows of its own department. */
  department?: string;
  unusedForDays: number;
  owners: FieldOwners;
  /** Departments whose fields count as shared data (the gateway's own records are not). */
  departments: readonly string[];
}

type Row = Record<string, any>;
const num = (v: unknown) => Number(v ?? 0);

/** Totals over [from, to] (UTC days, both included) from the usage tables. */
export async function usageReport(db: Knex, q: UsageQuery): Promise<UsageReport> {
  const inRange = (b: Knex.QueryBuilder) => b.where('day', '>=', q.from).andWhere('day', '<=', q.to);
  const rows: Row[] = await inRange(db('usage_daily').select('*'));
  const errorRows: Row[] = await inRange(db('usage_errors').select('*'));
  const own = (r: Row) => !q.department || r.department === q.department;

  // Which rows make each section. A department operator's totals per consumer and day are those
  // of its department's rows; everyone else's are the whole-request rows.
  const requestLevel = (r: Row) => (q.department ? r.department === q.department && r.coordinate === ALL : r.department === ALL && r.coordinate === ALL);
  const departmentLevel = (r: Row) => r.department !== ALL && r.coordinate === ALL && own(r);
  const fieldLevel = (r: Row) => r.coordinate !== ALL && own(r);
  const typeOf = (r: Row) => String(r.coordinate).split('.')[0];

  const sum = (selected: Row[], keyOf: (r: Row) => string, errorSelect: (r: Row) => boolean, withCalls = false) => {
    const totals = new Map<string, UsageTotal & { latencyTotal: number; callMs: number }>();
    for (const r of selected) {
      const key = keyOf(r);
      const t = totals.get(key) ?? {
        key, department: null, requests: 0, items: 0, errors: 0, errorsByCode: [], averageLatencyMs: null, maxLatencyMs: null,
        calls: withCalls ? 0 : null, failedCalls: withCalls ? 0 : null, averageCallMs: null, latencyTotal: 0, callMs: 0,
      };
      t.requests += num(r.requests);
      t.items += num(r.items);
      t.errors += num(r.errors);
      t.latencyTotal += num(r.latency_ms_total);
      t.maxLatencyMs = Math.max(t.maxLatencyMs ?? 0, num(r.latency_ms_max));
      if (withCalls) {
        t.calls! += num(r.fetches);
        t.failedCalls! += num(r.fetch_failures);
        t.callMs += num(r.fetch_ms_total);
      }
      if (r.department !== ALL) t.department = r.department;
      totals.set(key, t);
    }
    const codes = new Map<string, Map<string, number>>();
    for (const e of errorRows.filter(errorSelect)) {
      const byCode = codes.get(keyOf(e)) ?? new Map<string, number>();
      byCode.set(e.code, (byCode.get(e.code) ?? 0) + num(e.errors));
      codes.set(keyOf(e), byCode);
    }
    return [...totals.values()]
      .map(({ latencyTotal, callMs, ...t }) => ({
        ...t,
        averageLatencyMs: t.requests ? round(latencyTotal / t.requests) : null,
        maxLatencyMs: t.requests ? round(t.maxLatencyMs ?? 0) : null,
        averageCallMs: t.calls ? round(callMs / t.calls) : null,
        errorsByCode: [...(codes.get(t.key) ?? new Map<string, number>())].map(([code, count]) => ({ code, count })).sort((a, b) => a.code.localeCompare(b.code)),
      }))
      .sort((a, b) => a.key.localeCompare(b.key));
  };

  const fieldRows = rows.filter(fieldLevel);
  // A resource's requests are not the sum of its fields' (one request reads several): counted as
  // the largest of its fields', a lower bound; items and errors do add up.
  const resources = sum(fieldRows, typeOf, fieldLevel).map((t) => {
    const perField = new Map<string, number>();
    for (const r of fieldRows) if (typeOf(r) === t.key) perField.set(`${r.day}\u0000${r.consumer_id}\u0000${r.coordinate}`, num(r.requests));
    const perDayConsumer = new Map<string, number>();
    for (const [k, n] of perField) {
      const dc = k.split('\u0000').slice(0, 2).join('\u0000');
      perDayConsumer.set(dc, Math.max(perDayConsumer.get(dc) ?? 0, n));
    }
    return { ...t, requests: [...perDayConsumer.values()].reduce((a, b) => a + b, 0) };
  });

  // Zombie candidates: the data items the catalogue publishes of the departments (of this
  // department, for its operator) that no row in the window mentions, and its resources none of
  // whose items was read. As in the catalogue, Relay plumbing (connections, edges, PageInfo) and the
  // root operations (queries, mutations) are how data is reached, not data items of their own.
  // The window ends at `to`, or today if `to` is later: days to come hold no use yet, and a window
  // reaching into them would call a field read every day unused. Today as the rows count days, in
  // UTC (China's date would reach a day ahead from midnight to 08:00 there).
  const now = dayOf(new Date());
  const windowEnd = q.to < now ? q.to : now;
  const windowStart = addDays(windowEnd, -(q.unusedForDays - 1));
  const used = new Set(
    (await db('usage_daily').distinct('coordinate').where('day', '>=', windowStart).andWhere('day', '<=', windowEnd).andWhere('coordinate', '<>', ALL).andWhere('requests', '>', 0))
      .map((r: Row) => r.coordinate as string),
  );
  const published = q.owners.all().filter((f) => !ROOT_TYPES.has(f.typeName) && !isPlumbing(f.typeName));
  const shared = published.filter((f) => q.departments.includes(f.owner) && (!q.department || f.owner === q.department));
  const zombieCandidates: ZombieCandidate[] = shared
    .filter((f) => !used.has(f.coordinate))
    .map((f) => ({ name: f.coordinate, department: f.owner, kind: 'FIELD' as const, promised: f.promised }));
  // A resource is its owner's to retire (the catalogue's owner of the type), not every department's
  // that adds a field to it: credit's `credit` does not make NaturalPerson credit's.
  const resourceOwners = new Map<string, string>();
  for (const f of published) {
    if (q.departments.includes(f.typeOwner) && (!q.department || f.typeOwner === q.department)) resourceOwners.set(f.typeName, f.typeOwner);
  }
  for (const [typeName, owner] of resourceOwners) {
    const fields = published.filter((f) => f.typeName === typeName);
    if (!fields.some((f) => used.has(f.coordinate))) zombieCandidates.push({ name: typeName, department: owner, kind: 'RESOURCE', promised: fields.some((f) => f.promised) });
  }
  zombieCandidates.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));

  return {
    from: q.from,
    to: q.to,
    consumers: sum(rows.filter(requestLevel), (r) => r.consumer_id, requestLevel),
    departments: sum(rows.filter(departmentLevel), (r) => r.department, departmentLevel, true),
    resources,
    fields: sum(fieldRows, (r) => r.coordinate, fieldLevel),
    fieldReaders: sum(fieldRows, (r) => `${r.coordinate}\u0000${r.consumer_id}`, fieldLevel).map((t) => {
      const [field, consumer] = t.key.split('\u0000');
      return { ...t, key: field, consumer };
    }),
    days: sum(rows.filter(requestLevel), (r) => r.day, requestLevel),
    unusedForDays: q.unusedForDays,
    zombieCandidates,
  };
}

/** The root operation types: their fields are entry points, which the catalogue does not publish as items. */
const ROOT_TYPES = new Set(['Query', 'Mutation', 'Subscription']);

const round = (n: number) => Math.round(n * 10) / 10;

export function addDays(day: string, days: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
