import type { Knex } from 'knex';

export interface InvestmentProject {
  projectCode: string;
  name: string;
  totalInvestment: number;
  status: string;
  kind: string;
  industryCode: string;
  declaredOn: string;
  applicantUscc: string;
  divisionCode: string;
}

export interface ApprovalStep {
  projectCode: string;
  department: string;
  item: string;
  status: string;
  decidedOn: string | null;
}

export interface ProjectFilter {
  status?: string;
  /** Code prefix of the division (35 = province, 3501 = city, 350102 = county). */
  regionPrefix?: string;
}

const PROJECT_COLUMNS = {
  projectCode: 'project_code',
  name: 'name',
  totalInvestment: 'total_investment',
  status: 'status',
  kind: 'kind',
  industryCode: 'industry_code',
  declaredOn: 'declared_on',
  applicantUscc: 'applicant_uscc',
  divisionCode: 'division_code',
};

const toProject = (row: InvestmentProject): InvestmentProject => ({ ...row, totalInvestment: Number(row.totalInvestment) });

export function createProjectStore(db: Knex) {
  const filtered = (filter: ProjectFilter) => {
    const q = db('investment_projects');
    if (filter.status) q.where('status', filter.status);
    if (filter.regionPrefix) q.where('division_code', 'like', `${filter.regionPrefix}%`);
    return q;
  };
  return {
    async byCodes(codes: readonly string[]): Promise<InvestmentProject[]> {
      return (await db('investment_projects').select(PROJECT_COLUMNS).whereIn('project_code', codes)).map(toProject);
    },
    async byApplicants(usccs: readonly string[]): Promise<InvestmentProject[]> {
      const rows = await db('investment_projects').select(PROJECT_COLUMNS).whereIn('applicant_uscc', usccs).orderBy('project_code');
      return rows.map(toProject);
    },
    /** Up to `limit` projects after the `after` code, in code order (keyset pagination: no OFFSET). */
    async page(filter: ProjectFilter, after: string | undefined, limit: number): Promise<InvestmentProject[]> {
      const q = filtered(filter).select(PROJECT_COLUMNS).orderBy('project_code').limit(limit);
      if (after) q.where('project_code', '>', after);
      return (await q).map(toProject);
    },
    async count(filter: ProjectFilter): Promise<number> {
      const [{ n }] = await filtered(filter).count({ n: '*' });
      return Number(n);
    },
    parcelLinks: (codes: readonly string[]): Promise<{ projectCode: string; parcelCode: string }[]> =>
      db('project_parcels')
        .select({ projectCode: 'project_code', parcelCode: 'parcel_code' })
        .whereIn('project_code', codes)
        .orderBy(['project_code', 'parcel_code']),
    approvals: (codes: readonly string[]): Promise<ApprovalStep[]> =>
      db('approval_steps')
        .select({ projectCode: 'project_code', department: 'department', item: 'item', status: 'status', decidedOn: 'decided_on' })
        .whereIn('project_code', codes)
        .orderBy(['project_code', 'step']),
  };
}
export type ProjectStore = ReturnType<typeof createProjectStore>;
