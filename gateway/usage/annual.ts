import type { Knex } from 'knex';
import { DEPARTMENTS } from '../../shared/departments';
import { buildCatalog } from '../catalog/build';
import type { Readiness } from '../operations/readiness';
import { FieldOwners } from './owners';
import { usageReport, UsageReport, ZombieCandidate } from './report';

/**
 * 三数一率, the yearly figures of a sharing platform, from the supergraph (what is shared) and the
 * gateway's own records (what was used). Definitions, as README "Usage statistics" gives them:
 * - systems connected: registered consumer systems that made at least one request in the year;
 * - items shared: the data items the catalogue publishes (catalog/build.ts), conditional or not, in
 *   its resources: fields of the departments' types, not @inaccessible ones, not Relay plumbing
 *   (connections, edges, PageInfo) nor the root operations (queries, mutations);
 * - applications served: requests the gateway answered for consumers in the year, with the
 *   conditional-sharing applications approved in the year beside it;
 * - connectivity rate: departments answering a signed probe now / departments, and, measured over
 *   the year, the share of the gateway's calls to departments that were answered.
 */
export interface AnnualFigures {
  year: number;
  systemsConnected: { connected: number; registered: number };
  itemsShared: { items: number; unconditional: number; conditional: number; resources: number };
  applicationsServed: { requests: number; applicationsApproved: number; applicationsDecided: number };
  connectivity: { answering: number | null; departments: number; rate: number | null; calls: number; answeredCalls: number; callRate: number | null };
  departments: { department: string; provided: number; used: number; requests: number; items: number; errors: number; averageCallMs: number | null }[];
  unusedForDays: number;
  zombieCandidates: ZombieCandidate[];
}

export async function annualFigures(
  db: Knex,
  options: { year: number; supergraphSdl: string; unusedForDays: number; readiness: Readiness | null; today?: string },
): Promise<AnnualFigures> {
  const { year } = options;
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const from = `${year}-01-01`;
  const yearEnd = `${year}-12-31`;
  const to = yearEnd < today ? yearEnd : today;
  const departmentNames = DEPARTMENTS.map((d) => d.name) as readonly string[];
  const owners = FieldOwners.fromSupergraph(options.supergraphSdl);
  const report: UsageReport = await usageReport(db, { from, to: to < from ? from : to, unusedForDays: options.unusedForDays, owners, departments: departmentNames });

  // What is shared is what the catalogue publishes, counted by the catalogue's own rules.
  const catalog = buildCatalog(options.supergraphSdl, departmentNames);
  const sharedFields = catalog.resources.flatMap((r) => r.items);

  const consumers = (await db('consumers').select('id')) as { id: string }[];
  const connected = new Set(report.consumers.filter((c) => c.requests > 0).map((c) => c.key));
  const decided = (await db('access_applications').whereNotNull('decided_at').where('decided_at', '>=', from).andWhere('decided_at', '<', `${year + 1}-01-01`).select('status')) as { status: string }[];
  const requests = report.consumers.reduce((n, c) => n + c.requests, 0);
  // Calls to the five departments: the gateway's own subgraph (sharing) has a row too, and always answers.
  const departmentRows = report.departments.filter((d) => departmentNames.includes(d.key));
  const calls = departmentRows.reduce((n, d) => n + (d.calls ?? 0), 0);
  const failedCalls = departmentRows.reduce((n, d) => n + (d.failedCalls ?? 0), 0);
  const answering = options.readiness ? options.readiness.departments.filter((d) => d.status === 'UP').length : null;

  return {
    year,
    systemsConnected: { connected: consumers.filter((c) => connected.has(c.id)).length, registered: consumers.length },
    itemsShared: {
      items: sharedFields.length,
      unconditional: sharedFields.filter((f) => f.shareType === 'UNCONDITIONAL').length,
      conditional: sharedFields.filter((f) => f.shareType === 'CONDITIONAL').length,
      resources: catalog.resources.length,
    },
    applicationsServed: {
      requests,
      applicationsApproved: decided.filter((d) => d.status === 'APPROVED').length,
      applicationsDecided: decided.length,
    },
    connectivity: {
      answering,
      departments: departmentNames.length,
      rate: answering === null ? null : answering / departmentNames.length,
      calls,
      answeredCalls: calls - failedCalls,
      callRate: calls ? (calls - failedCalls) / calls : null,
    },
    departments: departmentNames.map((department) => {
      const row = report.departments.find((d) => d.key === department);
      const provided = sharedFields.filter((f) => f.owner === department);
      const used = new Set(report.fields.filter((f) => f.department === department && f.requests > 0).map((f) => f.key));
      return {
        department,
        provided: provided.length,
        used: provided.filter((f) => used.has(f.coordinate)).length,
        requests: row?.requests ?? 0,
        items: row?.items ?? 0,
        errors: row?.errors ?? 0,
        averageCallMs: row?.averageCallMs ?? null,
      };
    }),
    unusedForDays: options.unusedForDays,
    zombieCandidates: report.zombieCandidates,
  };
}
