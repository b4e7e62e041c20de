import { badUserInput } from '../../shared/errors';
import { CorrectionDecided, decidedChange, requireCorrectionFields, requireObjectionAnswered } from '../../shared/record-changes';
import { judgeProject, readApprovals, statusDisagrees } from './import';
import type { ApprovalStep, InvestmentProject } from './store';

/**
 * Development & Reform's changes to its own records: a project corrected (correctInvestmentProject)
 * and the progress of its parallel approval (recordApprovalStep). Each is judged by the import's
 * own rules (import.ts), so nothing is stored that a load would refuse, and logged for change
 * notices in the same transaction (store.ts).
 *
 * A correction (as asked, and as decided: the values that change) is values of the project's own
 * row, and the parcels it builds on: the whole list, replacing its links.
 */
export type CorrectableValues = Pick<InvestmentProject, 'name' | 'totalInvestment' | 'status' | 'declaredOn' | 'applicantUscc' | 'divisionCode'>;
export type InvestmentProjectCorrection = Partial<CorrectableValues> & { parcelCodes?: string[] };

const CORRECTABLE = ['name', 'totalInvestment', 'status', 'declaredOn', 'applicantUscc', 'divisionCode'] as const;
/** How the change log names what changed: InvestmentProject's own field names. */
const CHANGED_FIELDS: Record<keyof CorrectableValues, string> = {
  name: 'name', totalInvestment: 'totalInvestment', status: 'status', declaredOn: 'declaredOn', applicantUscc: 'applicant', divisionCode: 'division',
};

/** Each value given, checked on its own: known, and not removed (every one is required; the parcels may be `[]`). */
export function checkCorrection(input: Record<string, unknown>): InvestmentProjectCorrection {
  requireCorrectionFields(input, [...CORRECTABLE, 'parcelCodes']);
  return input as InvestmentProjectCorrection;
}

/** A project past review (approved, refused, building, built): its steps are settled. */
const SETTLED_PROJECTS: ReadonlySet<string> = new Set(['APPROVED', 'REJECTED', 'UNDER_CONSTRUCTION', 'COMPLETED']);

/** A project's parcels as the change log keeps them: one value, the codes in order. */
const parcelsInLog = (codes: readonly string[]) => (codes.length ? codes.join('; ') : null);

/**
 * The values that change, and their field names; the project they make is judged as an import judges
 * a line, with its approval steps as stored: a step is not decided before the project was declared.
 */
export function applyCorrection(
  current: InvestmentProject,
  stored: { steps: readonly ApprovalStep[]; parcelCodes: readonly string[] },
  correction: InvestmentProjectCorrection,
  /** The accepted objection the correction answers, if any (checked by the gateway before it is sent): every item set then changes. */
  objectionId: string | null = null,
): CorrectionDecided<InvestmentProjectCorrection> {
  const { steps } = stored;
  const judged = judgeProject({
    projectCode: current.projectCode, name: current.name, totalInvestment: current.totalInvestment, status: current.status,
    declaredOn: current.declaredOn, applicantUscc: current.applicantUscc, divisionCode: current.divisionCode, parcelCodes: [...stored.parcelCodes], ...correction,
  });
  if (!judged.ok) throw badUserInput(`Invalid correction: ${judged.reasons.join('; ')}`, { argument: 'correction' });
  const p = judged.row.project;
  const next: CorrectableValues = {
    name: p.name, totalInvestment: Number(p.total_investment), status: p.status, declaredOn: p.declared_on, applicantUscc: p.applicant_uscc, divisionCode: p.division_code,
  };
  const changed = CORRECTABLE.filter((k) => next[k] !== current[k]);
  const parcelCodes = judged.row.parcels.map((p) => p.parcel_code).sort();
  const parcelsBefore = parcelsInLog([...stored.parcelCodes].sort());
  const parcelsChanged = parcelsInLog(parcelCodes) !== parcelsBefore;
  if (!changed.length && !parcelsChanged) throw badUserInput(`nothing to correct: ${current.projectCode} already has these values`, { argument: 'correction' });
  // Back under review, a project's settled steps could be changed again (recordApprovalStep), and
  // its status then set back: the settled steps are reopened only as an objection's answer.
  if (changed.includes('status') && SETTLED_PROJECTS.has(current.status) && !SETTLED_PROJECTS.has(next.status) && objectionId == null) {
    throw badUserInput(
      `Invalid correction: project ${current.projectCode} is ${current.status}, past review, and its approval steps are settled; it goes back to ${next.status} only in answer to an accepted data objection (objectionId)`,
      { argument: 'correction' },
    );
  }
  const disagrees = changed.includes('status') ? statusDisagrees(next.status, steps) : null;
  if (disagrees) throw badUserInput(`Invalid correction: ${disagrees} (record them with recordApprovalStep first)`, { argument: 'correction' });
  const decidedEarlier = changed.includes('declaredOn') ? steps.filter((s) => s.decidedOn && s.decidedOn < next.declaredOn) : [];
  if (decidedEarlier.length) {
    const named = decidedEarlier.map((s) => `${s.department} ${s.item} (${s.status} on ${s.decidedOn})`).join(', ');
    throw badUserInput(
      `Invalid correction: declaredOn ${next.declaredOn} is after the approval step${decidedEarlier.length > 1 ? 's' : ''} ${named} of ${current.projectCode} decided; a step is not decided before its project is declared`,
      { argument: 'correction' },
    );
  }
  const decided = decidedChange(changed, current, next, CHANGED_FIELDS) as CorrectionDecided<InvestmentProjectCorrection>;
  const withParcels = !parcelsChanged ? decided : {
    values: { ...decided.values, parcelCodes },
    fields: [...decided.fields, 'parcels'],
    previous: { ...decided.previous, parcels: parcelsBefore },
  };
  requireObjectionAnswered(objectionId, correction, withParcels.fields, { ...CHANGED_FIELDS, parcelCodes: 'parcels' });
  return withParcels;
}

export interface StepProgress {
  department: string;
  item: string;
  status: string;
  decidedOn?: string | null;
  /** The accepted objection the change answers, if any (checked by the gateway before it is sent). */
  objectionId?: string | null;
}

/** How far a step has come: the parallel approval moves forward, and a decision (APPROVED, REJECTED) ends it. */
const STEP_PROGRESS: Record<string, number> = { PENDING: 0, IN_PROGRESS: 1, APPROVED: 2, REJECTED: 2 };
const DECIDED = (status: string) => STEP_PROGRESS[status] === 2;

/**
 * One approval step's new status and decision date, judged as an import judges a step (a decided
 * step has its date, not before the declaration nor in the future; one not decided has none). The
 * step must be one of the project's: a new department's step is the platform's to add, by a load.
 */
export function applyStep(project: InvestmentProject, steps: readonly ApprovalStep[], progress: StepProgress): { status: string; decidedOn: string | null } {
  const step = steps.find((s) => s.department === progress.department.trim() && s.item === progress.item.trim());
  if (!step) {
    const listed = steps.map((s) => `${s.department} ${s.item}`).join(', ') || 'none';
    throw badUserInput(`project ${project.projectCode} has no approval step ${progress.department} ${progress.item}: its steps are ${listed}`, { argument: 'item' });
  }
  const read = readApprovals([{ department: step.department, item: step.item, status: progress.status, decidedOn: progress.decidedOn ?? null }], project.declaredOn);
  if (read.reasons.length) throw badUserInput(`Invalid step: ${read.reasons.join('; ').replaceAll('approvals[0].', '')}`, { argument: 'decidedOn' });
  const next = { status: read.approvals[0].status, decidedOn: read.approvals[0].decided_on };
  const stands = `the step ${step.department} ${step.item} is ${step.status}${step.decidedOn ? ` since ${step.decidedOn}` : ''}`;
  if (next.status === step.status && next.decidedOn === step.decidedOn) throw badUserInput(`nothing to record: ${stands} already`, { argument: 'status' });
  // Progress moves forward, and a decision stands but for its date: a step recorded in error, or one
  // of a project past review, is set right only in answer to an accepted objection (objectionId).
  if (progress.objectionId == null) {
    const inError = 'one recorded in error is set right in answer to an accepted data objection (objectionId)';
    if (SETTLED_PROJECTS.has(project.status)) {
      throw badUserInput(`project ${project.projectCode} is ${project.status}: its approval steps are settled; ${inError}`, { argument: 'projectCode' });
    }
    if (DECIDED(step.status) && next.status !== step.status) throw badUserInput(`${stands}: a decision stands, but for its date; ${inError}`, { argument: 'status' });
    if (STEP_PROGRESS[next.status] < STEP_PROGRESS[step.status]) {
      throw badUserInput(`${stands}: a step moves forward (PENDING, IN_PROGRESS, then APPROVED or REJECTED); ${inError}`, { argument: 'status' });
    }
  }
  // The project's status agrees with its steps after as before, as a load of it must: a step set
  // right under a settled project (an objection's answer) comes with the project's own correction.
  const disagrees = statusDisagrees(project.status, steps.map((s) => (s === step ? { ...s, status: next.status } : s)));
  if (disagrees) {
    throw badUserInput(`project ${project.projectCode} would disagree with its steps (${disagrees}): correct its status with correctInvestmentProject first`, { argument: 'status' });
  }
  return next;
}
