import { applyCorrection, applyStep } from '../corrections';
import { organizationCodeCheckCharacter, usccCheckCharacter } from '../../../shared/identifiers';
import type { ApprovalStep, InvestmentProject } from '../store';

const project: InvestmentProject = {
  projectCode: '2019-350821-34-03-000011', name: '厂房建设', totalInvestment: 1000, status: 'APPROVED', kind: 'FILING',
  industryCode: '34', declaredOn: '2019-09-01', applicantUscc: '91350100MA2XYZ1234', divisionCode: '350821',
};
const step = (department: string, item: string, status = 'APPROVED', decidedOn: string | null = '2019-09-19'): ApprovalStep =>
  ({ projectCode: project.projectCode, department, item, status, decidedOn });
const steps = [step('发展和改革委员会', '企业投资项目备案'), step('自然资源局', '建设项目用地预审与选址意见书')];

describe('an approval step set right in answer to an objection', () => {
  it("is refused where the project's status would no longer agree with its steps, as a load of it would be", () => {
    for (const status of ['REJECTED', 'PENDING']) {
      expect(() => applyStep(project, steps, { department: '发展和改革委员会', item: '企业投资项目备案', status, decidedOn: status === 'REJECTED' ? '2019-09-19' : null, objectionId: '1' }))
        .toThrow(/^project 2019-350821-34-03-000011 would disagree with its steps \(status APPROVED needs every approval step APPROVED, and 发展和改革委员会 企业投资项目备案 is (REJECTED|PENDING)\): correct its status with correctInvestmentProject first$/);
    }
  });

  it('is taken where the status still agrees: a decision date set right', () => {
    expect(applyStep(project, steps, { department: '发展和改革委员会', item: '企业投资项目备案', status: 'APPROVED', decidedOn: '2019-09-20', objectionId: '1' }))
      .toEqual({ status: 'APPROVED', decidedOn: '2019-09-20' });
  });
});

describe('a correction of the status of a project past review', () => {
  const stored = { steps, parcelCodes: [] };
  // A project a load would take (a correction is judged as a load judges a line): its applicant's uscc valid.
  const first17 = `91350100MA2XY012${organizationCodeCheckCharacter('MA2XY012')}`;
  const uscc = `${first17}${usccCheckCharacter(first17)}`;
  const applyTo = (correction: Parameters<typeof applyCorrection>[2], objectionId?: string) =>
    applyCorrection({ ...project, applicantUscc: uscc }, stored, correction, objectionId);

  it('is refused back to DECLARED or UNDER_REVIEW but in answer to an objection: its settled steps would be open to change again', () => {
    for (const status of ['DECLARED', 'UNDER_REVIEW'] as const) {
      expect(() => applyTo({ status })).toThrow(
        `Invalid correction: project 2019-350821-34-03-000011 is APPROVED, past review, and its approval steps are settled; it goes back to ${status} only in answer to an accepted data objection (objectionId)`,
      );
      expect(applyTo({ status }, '7')).toMatchObject({ fields: ['status'], previous: { status: 'APPROVED' } });
    }
  });

  it('is taken onward, past review as before (APPROVED, then building)', () => {
    expect(applyTo({ status: 'UNDER_CONSTRUCTION' })).toMatchObject({ fields: ['status'], values: { status: 'UNDER_CONSTRUCTION' } });
  });
});
