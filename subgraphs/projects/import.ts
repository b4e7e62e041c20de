import type { Knex } from 'knex';
import { checkParcelCode, checkProjectCode, checkUscc, divisionPrefix, isCalendarDate, PROJECT_KINDS, ProjectKindCode, today } from '../../shared/identifiers';
import { checkCountyCode, ImportRules, insertRows, Judged, RawRecord, recordFields, rowsInTable, StoredRecord, validKey, keysInTable } from '../../shared/importing';
import { controlCharacterIn } from '../../shared/text';

const STATUSES = ['DECLARED', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'UNDER_CONSTRUCTION', 'COMPLETED'] as const;
const APPROVAL_STATUSES = ['PENDING', 'IN_PROGRESS', 'APPROVED', 'REJECTED'] as const;

/** A project with the rows of its two link tables: parcels and parallel approval steps. */
export interface ProjectImportRow {
  project: {
    project_code: string;
    name: string;
    total_investment: number;
    status: string;
    kind: string;
    industry_code: string;
    declared_on: string;
    applicant_uscc: string;
    division_code: string;
  };
  parcels: { project_code: string; parcel_code: string }[];
  approvals: { project_code: string; step: number; department: string; item: string; status: string; decided_on: string | null }[];
}

export type Approval = Omit<ProjectImportRow['approvals'][number], 'project_code' | 'step'>;

const STEP_FIELDS = ['department', 'item', 'status', 'decidedOn'] as const;

/** The approval steps, in order: JSON objects `{department, item, status, decidedOn}`. */
export function readApprovals(value: unknown, declaredOn: string): { approvals: Approval[]; reasons: string[] } {
  const reasons: string[] = [];
  if (!Array.isArray(value)) return { approvals: [], reasons: ['approvals must be a list of {department, item, status, decidedOn}'] };
  const approvals = value.map((step: unknown, i): Approval => {
    const at = `approvals[${i}]`;
    const isObject = !!step && typeof step === 'object' && !Array.isArray(step);
    if (!isObject) {
      reasons.push(`${at} must be an object {${STEP_FIELDS.join(', ')}}, not ${JSON.stringify(step)}`);
      return { department: '', item: `#${i}`, status: 'PENDING', decided_on: null };
    }
    const s = step as Record<string, unknown>;
    // A key the step does not have (a typo such as decidedAt, an opinion the store does not keep) is
    // named, not dropped: its value would be lost without a word.
    const unknown = Object.keys(s).filter((k) => !(STEP_FIELDS as readonly string[]).includes(k));
    if (unknown.length) reasons.push(`${at} has no field ${unknown.join(', ')}: a step is {${STEP_FIELDS.join(', ')}}`);
    const text = (name: string, max: number) => {
      const v = s[name];
      const control = typeof v === 'string' ? controlCharacterIn(v.trim()) : undefined;
      if (typeof v !== 'string' || !v.trim()) reasons.push(`${at}.${name} is required`);
      else if ([...v.trim()].length > max) reasons.push(`${at}.${name} is longer than ${max} characters`);
      else if (control) reasons.push(`${at}.${name} cannot contain control characters (${control})`);
      return typeof v === 'string' ? v.trim() : '';
    };
    const department = text('department', 40);
    const item = text('item', 60);
    const status = s.status as Approval['status'];
    if (!(APPROVAL_STATUSES as readonly unknown[]).includes(status)) {
      reasons.push(`${at}.status must be one of ${APPROVAL_STATUSES.join(', ')}, not ${JSON.stringify(s.status)}`);
    }
    const decided = status === 'APPROVED' || status === 'REJECTED';
    const decidedOn = s.decidedOn === undefined || s.decidedOn === null || s.decidedOn === '' ? null : s.decidedOn;
    if (decidedOn !== null && (typeof decidedOn !== 'string' || !isCalendarDate(decidedOn))) {
      reasons.push(`${at}.decidedOn must be a real date written YYYY-MM-DD, not ${JSON.stringify(decidedOn)}`);
    } else if (decidedOn !== null && !decided) {
      reasons.push(`${at}.decidedOn is given but the step is ${status}, not decided`);
    } else if (decidedOn === null && decided) {
      reasons.push(`${at}.decidedOn is required for a step that is ${status}`);
    } else if (decidedOn !== null && (decidedOn < declaredOn || decidedOn > today())) {
      reasons.push(`${at}.decidedOn ${decidedOn} is ${decidedOn > today() ? 'in the future' : `before declaredOn ${declaredOn}`}`);
    }
    return { department, item, status, decided_on: decidedOn as string | null };
  });
  const seen = new Set<string>();
  for (const a of approvals) {
    // Not joined by a space: department "A B" with item "C" is another step than "A" with "B C".
    const key = JSON.stringify([a.department, a.item]);
    if (seen.has(key)) reasons.push(`approvals list ${a.department} ${a.item} twice`);
    seen.add(key);
  }
  return { approvals, reasons };
}

/**
 * The most parcels one project builds on. Far beyond any real project's, and small enough that its
 * codes, as a correction's log keeps what they were (one text), fit the log's column.
 */
export const MAX_PARCELS = 1_000;

/**
 * Why a project's status disagrees with its approval steps, or null: a project approved (or being
 * built, or built) has every step approved; a project refused has a step refused. (A project with
 * no steps on file says nothing either way.)
 */
export function statusDisagrees(status: string, steps: readonly { department: string; item: string; status: string }[]): string | null {
  if (!steps.length) return null;
  if (['APPROVED', 'UNDER_CONSTRUCTION', 'COMPLETED'].includes(status)) {
    const open = steps.filter((s) => s.status !== 'APPROVED');
    if (open.length) return `status ${status} needs every approval step APPROVED, and ${open.map((s) => `${s.department} ${s.item} is ${s.status}`).join(', ')}`;
  }
  if (status === 'REJECTED' && !steps.some((s) => s.status === 'REJECTED')) return 'status REJECTED needs an approval step REJECTED, and none is';
  return null;
}

/**
 * One investment project, with its parcels (`parcelCodes`: a JSON array, or `;`-separated in a CSV
 * cell) and its approval steps (`approvals`: a JSON array, in a CSV cell as JSON text). The
 * applicant and parcels belong to other departments, so their keys are checked by format only;
 * the kind and industry are read from the projectCode and must agree with it.
 */
export function judgeProject(record: RawRecord): Judged<ProjectImportRow> {
  const f = recordFields(record);
  const projectCode = f.identifier('projectCode', checkProjectCode);
  const name = f.text('name', 120);
  // 万元, DECIMAL(14,2)
  const totalInvestment = f.amount('totalInvestment', { above: true, max: 999_999_999_999.99 });
  const status = f.choice('status', STATUSES);
  const kind = f.optional('kind', (n) => f.choice(n, Object.values(PROJECT_KINDS)));
  const industryCode = f.optional('industryCode', (n) => f.text(n, 2));
  const declaredOn = f.date('declaredOn');
  const applicantUscc = f.identifier('applicantUscc', checkUscc);
  const divisionCode = f.identifier('divisionCode', checkCountyCode);
  const parcelCodes = f.list('parcelCodes');
  const approvalsValue = f.optional('approvals', f.json);

  const [year, region, industry, kindCode] = projectCode.split('-');
  // What the projectCode says (checkProjectCode has refused any kind but 01-03).
  const codedKind = PROJECT_KINDS[kindCode as ProjectKindCode];
  if (f.valid('projectCode')) {
    if (kind !== null && f.valid('kind') && kind !== codedKind) f.complain(`kind ${kind} disagrees with the projectCode, which says ${codedKind}`);
    if (industryCode !== null && f.valid('industryCode') && industryCode !== industry) {
      f.complain(`industryCode ${industryCode} disagrees with the projectCode, which says ${industry}`);
    }
    if (f.valid('divisionCode') && !divisionCode.startsWith(divisionPrefix(region))) {
      f.complain(`divisionCode ${divisionCode} is not inside the projectCode's region ${region}`);
    }
    if (f.valid('declaredOn') && declaredOn.slice(0, 4) < year) f.complain(`declaredOn ${declaredOn} is before the projectCode's year ${year}`);
  }
  const parcels = [...new Set(parcelCodes.map((code, i) => {
    const checked = checkParcelCode(code);
    if (!checked.ok) f.complain(`parcelCodes[${i}]: ${checked.reason}`, 'parcelCodes');
    return checked.ok ? checked.value : code;
  }))];
  if (parcels.length < parcelCodes.length) f.complain('parcelCodes lists a parcel twice', 'parcelCodes');
  if (parcelCodes.length > MAX_PARCELS) f.complain(`parcelCodes lists ${parcelCodes.length} parcels: a project builds on at most ${MAX_PARCELS}`, 'parcelCodes');
  let approvals: Approval[] = [];
  if (approvalsValue !== null && f.valid('approvals')) {
    const read = readApprovals(approvalsValue, declaredOn);
    read.reasons.forEach((r) => f.complain(r, 'approvals'));
    approvals = read.approvals;
    const disagrees = f.valid('status') && !read.reasons.length ? statusDisagrees(status, approvals) : null;
    if (disagrees) f.complain(disagrees, 'approvals');
  }

  return f.result(() => ({
    project: {
      project_code: projectCode,
      name,
      total_investment: totalInvestment,
      status,
      kind: codedKind,
      industry_code: industry,
      declared_on: declaredOn,
      applicant_uscc: applicantUscc,
      division_code: divisionCode,
    },
    parcels: parcels.map((parcel_code) => ({ project_code: projectCode, parcel_code })),
    approvals: approvals.map((a, i) => ({ project_code: projectCode, step: i + 1, ...a })),
  }));
}

/** A project as a load writes it: its row, its parcels' codes (in order) and its approval steps. */
function projectAsStored(row: ProjectImportRow): StoredRecord {
  return { ...row.project, parcel_codes: row.parcels.map((p) => p.parcel_code).sort(), approvals: row.approvals };
}

/** The stored projects among these rows', as `projectAsStored` writes them: three queries a batch. */
async function storedProjects(db: Knex, rows: readonly ProjectImportRow[]): Promise<Map<string, StoredRecord>> {
  const projects = await rowsInTable(db, 'investment_projects', 'project_code', rows.map((r) => r.project));
  for (const project of projects.values()) Object.assign(project, { parcel_codes: [], approvals: [] });
  const codes = [...projects.keys()];
  for (let i = 0; i < codes.length; i += 500) {
    const chunk = codes.slice(i, i + 500);
    const parcels: { project_code: string; parcel_code: string }[] = await db('project_parcels').select('project_code', 'parcel_code').whereIn('project_code', chunk).orderBy('parcel_code');
    const approvals: StoredRecord[] = await db('approval_steps').select('*').whereIn('project_code', chunk).orderBy('step');
    for (const p of parcels) (projects.get(p.project_code)!.parcel_codes as string[]).push(p.parcel_code);
    for (const a of approvals) (projects.get(String(a.project_code))!.approvals as StoredRecord[]).push(a);
  }
  return projects;
}

/** 投资项目库 loads projects into investment_projects, with their parcel links and approval steps. */
export const projectImport: ImportRules<ProjectImportRow> = {
  entity: 'investment projects',
  keyField: 'projectCode',
  fields: {
    required: ['projectCode', 'name', 'totalInvestment', 'status', 'declaredOn', 'applicantUscc', 'divisionCode'],
    optional: ['kind', 'industryCode', 'parcelCodes', 'approvals'],
  },
  judge: judgeProject,
  keyOf: (row) => row.project.project_code,
  asStored: projectAsStored,
  storedRows: storedProjects,
  keyOfRecord: (record) => validKey(record, 'projectCode', checkProjectCode),
  storedKeys: (db, keys) => keysInTable(db, 'investment_projects', 'project_code', keys),
  async insert(db, rows) {
    // Projects first: the link tables refer to them.
    await insertRows(db, 'investment_projects', rows.map((r) => r.project));
    await insertRows(db, 'project_parcels', rows.flatMap((r) => r.parcels));
    await insertRows(db, 'approval_steps', rows.flatMap((r) => r.approvals));
  },
};
