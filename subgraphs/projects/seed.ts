import type { Knex } from 'knex';
import { fillTable, FillTable } from '../../shared/seed/fill';
import { recordSeed, seedChecks } from '../../shared/seed/runs';
import { projectFacts } from '../../shared/seed/population';
import { COUNTIES } from '../../shared/seed/province';
import { dayNumber, Dice, dice, isoDay } from '../../shared/seed/random';
import type { SeedPlan, SeedProgress } from '../../shared/subgraph-server';

const WORKS = [
  '智能制造产业园', '年产5万吨新型建材生产线', '现代物流园区', '城市更新改造', '分布式光伏发电', '标准厂房',
  '农产品冷链仓储中心', '污水处理厂提标改造工程', '商业综合体', '保障性租赁住房', '数字经济产业园', '茶产业综合体',
  '电子元器件生产基地', '医疗器械研发生产基地', '港口集疏运道路工程', '文旅融合示范区',
];
const KINDS: Record<string, string> = { '01': 'APPROVAL', '02': 'RATIFICATION', '03': 'FILING' };
const STATUSES = [['DECLARED', 10], ['UNDER_REVIEW', 25], ['APPROVED', 20], ['REJECTED', 5], ['UNDER_CONSTRUCTION', 30], ['COMPLETED', 10]] as const;

/** The parallel approval items (并联审批事项) each project goes through. */
function approvalItems(kind: string): [string, string][] {
  const authorisation = { APPROVAL: '项目建议书审批', RATIFICATION: '企业投资项目核准', FILING: '企业投资项目备案' }[kind]!;
  return [
    ['发展和改革委员会', authorisation],
    ['自然资源局', '建设项目用地预审与选址意见书'],
    ['生态环境局', '建设项目环境影响评价审批'],
    ['住房和城乡建设局', '建筑工程施工许可'],
  ];
}

/** The seed's last day of decisions: before any day it is run on. */
const LAST_DECIDED = '2026-11-30';

function approvalSteps(d: Dice, projectCode: string, kind: string, status: string, declaredDay: number) {
  return approvalItems(kind).map(([department, item], step) => {
    const decided =
      status === 'UNDER_CONSTRUCTION' || status === 'COMPLETED' || status === 'APPROVED'
        ? 'APPROVED'
        : status === 'REJECTED'
          ? step === 0 ? 'REJECTED' : 'PENDING'
          : status === 'UNDER_REVIEW'
            ? d.pick(['APPROVED', 'IN_PROGRESS', 'IN_PROGRESS'])
            : 'PENDING';
    return {
      project_code: projectCode,
      step: step + 1,
      department,
      item,
      status: decided,
      // Decided 3 to 40 days after declaration, and never after the seed's last day (declarations
      // end with October 2026): a decision dated in the future is one the import would refuse.
      decided_on: decided === 'APPROVED' || decided === 'REJECTED' ? isoDay(Math.min(declaredDay + d.int(3, 40), dayNumber(LAST_DECIDED))) : null,
    };
  });
}

function seedProject(plan: SeedPlan, m: number) {
  const facts = projectFacts(plan, m);
  const d = dice(plan.seed, 'project-details', m);
  const kind = KINDS[facts.projectCode.split('-')[3]];
  const rolled = d.weighted(STATUSES);
  // Planted (shared/seed/defects.ts): a revoked or cancelled applicant's project still under review.
  const status = facts.mustBeActive && (rolled === 'REJECTED' || rolled === 'COMPLETED') ? 'UNDER_REVIEW' : rolled;
  const declaredDay = d.int(dayNumber(`${facts.year}-01-01`), Math.min(dayNumber(`${facts.year}-12-31`), dayNumber('2026-10-31')));
  const county = COUNTIES.find((c) => c.code === facts.countyCode)!;
  return {
    project: {
      project_code: facts.projectCode,
      name: `${county.name}${d.pick(WORKS)}项目${d.pick(['', '', '（一期）', '（二期）'])}`,
      total_investment: d.int(500, 300_000),
      status,
      kind,
      industry_code: facts.projectCode.split('-')[2],
      declared_on: isoDay(declaredDay),
      applicant_uscc: facts.applicantUscc,
      division_code: facts.countyCode,
    },
    parcels: facts.parcelCodes.map((parcel_code) => ({ project_code: facts.projectCode, parcel_code })),
    approvals: approvalSteps(d, facts.projectCode, kind, status, declaredDay),
  };
}

/** Empty, complete or half-seeded, by the tables the seed fills (shared/seed/runs.ts); `isSeeded` throws `HalfSeededStore` for the last. */
export const { seedState, isSeeded } = seedChecks({ name: 'projects', tables: ['investment_projects', 'project_parcels', 'approval_steps'] });

/** `fill`: fillTable, or a test's stand-in that fails part-way. */
export async function seed(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable = fillTable): Promise<void> {
  await recordSeed(db, plan, async () => {
    await fill(db, 'investment_projects', plan.projects, (m) => seedProject(plan, m).project, progress);
    await fill(db, 'project_parcels', plan.projects, (m) => seedProject(plan, m).parcels);
    await fill(db, 'approval_steps', plan.projects, (m) => seedProject(plan, m).approvals);
  });
}
