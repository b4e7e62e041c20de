import type { Knex } from 'knex';
import { writeTransaction } from '../../shared/db';
import { insertRows } from '../../shared/importing';
import { ChangeNote, CorrectionDecided, createChangeLog } from '../../shared/record-changes';
import type { InvestmentProjectCorrection } from './corrections';

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

/** A project as its row stores it (the columns, unaliased). */
const fromRow = (row: Record<string, string>): InvestmentProject =>
  toProject(Object.fromEntries(Object.entries(PROJECT_COLUMNS).map(([field, column]) => [field, row[column]])) as unknown as InvestmentProject);

/** The row's columns a correction changes: its parcels are links, not columns (`replaceParcels`). */
const toColumns = ({ parcelCodes: _links, ...values }: InvestmentProjectCorrection) =>
  Object.fromEntries(Object.entries(values).map(([field, value]) => [PROJECT_COLUMNS[field as keyof typeof PROJECT_COLUMNS], value]));

/** A correction's parcels replace the project's links, where it changes them. */
async function replaceParcels(projectCode: string, { parcelCodes }: InvestmentProjectCorrection, trx: Knex.Transaction): Promise<void> {
  if (!parcelCodes) return;
  await trx('project_parcels').where('project_code', projectCode).delete();
  await insertRows(trx, 'project_parcels', parcelCodes.map((parcel_code) => ({ project_code: projectCode, parcel_code })));
}

/** What a correction changes, decided from the project, its approval steps and its parcels as they are when locked (corrections.ts). */
export type CorrectionDecision = (current: InvestmentProject, stored: { steps: ApprovalStep[]; parcelCodes: string[] }) => CorrectionDecided<InvestmentProjectCorrection>;
/** A step's new status and date, decided from the project and its steps as they are when locked. */
export type StepDecision = (project: InvestmentProject, steps: ApprovalStep[]) => { status: string; decidedOn: string | null };

const STEP_COLUMNS = { projectCode: 'project_code', department: 'department', item: 'item', status: 'status', decidedOn: 'decided_on' };

/** The approval steps of projects, each project's in order: for a page of answers, or one project under a correction's lock (`db` its transaction). */
const stepsOf = (db: Knex, codes: readonly string[]): Promise<ApprovalStep[]> =>
  db('approval_steps').select(STEP_COLUMNS).whereIn('project_code', codes).orderBy(['project_code', 'step']);

/** The parcel links of projects, each project's in code order, as `stepsOf` reads steps. */
const parcelLinksOf = (db: Knex, codes: readonly string[]): Promise<{ projectCode: string; parcelCode: string }[]> =>
  db('project_parcels').select({ projectCode: 'project_code', parcelCode: 'parcel_code' }).whereIn('project_code', codes).orderBy(['project_code', 'parcel_code']);

export function createProjectStore(db: Knex) {
  const changes = createChangeLog(db);
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
    parcelLinks: (codes: readonly string[]) => parcelLinksOf(db, codes),
    approvals: (codes: readonly string[]) => stepsOf(db, codes),
    /** Corrects a project and logs it, in one transaction (shared/record-changes.ts); null when there is none. */
    correct: (projectCode: string, decide: CorrectionDecision, note: ChangeNote) =>
      changes.correct(
        {
          table: 'investment_projects', keyColumn: 'project_code', key: projectCode, read: fromRow, write: toColumns,
          writeBeside: (values: InvestmentProjectCorrection, trx) => replaceParcels(projectCode, values, trx),
        },
        async (current, trx) => decide(current, {
          steps: await stepsOf(trx, [projectCode]),
          parcelCodes: (await parcelLinksOf(trx, [projectCode])).map((link) => link.parcelCode),
        }),
        note,
      ),
    /**
     * Records one approval step's progress and logs it (field `approvals`), in one transaction with
     * the project's row locked, so that two departments' steps of one project are recorded one after
     * the other. Null when there is no such project.
     */
    async recordStep(projectCode: string, department: string, item: string, decide: StepDecision, note: ChangeNote): Promise<InvestmentProject | null> {
      return writeTransaction(db, async (trx) => {
        const row = await trx('investment_projects').where('project_code', projectCode).forUpdate().first();
        if (!row) return null;
        const project = fromRow(row);
        const steps = await stepsOf(trx, [projectCode]);
        const next = decide(project, steps);
        await trx('approval_steps').where({ project_code: projectCode, department: department.trim(), item: item.trim() }).update({ status: next.status, decided_on: next.decidedOn });
        // The step as it stood, in words: the log keeps scalar values by field.
        const before = steps.find((s) => s.department === department.trim() && s.item === item.trim());
        const previous = before ? { approvals: `${before.department} ${before.item}: ${before.status}${before.decidedOn ? ` (${before.decidedOn})` : ''}` } : null;
        await changes.append(trx, projectCode, ['approvals'], note, previous);
        return project;
      });
    },
    changesSince: changes.since,
  };
}
export type ProjectStore = ReturnType<typeof createProjectStore>;
