import type { Knex } from 'knex';
import { fillTable, FillTable } from '../../shared/seed/fill';
import { recordSeed, seedChecks } from '../../shared/seed/runs';
import { legalPersonFacts } from '../../shared/seed/population';
import { CITIES, COUNTIES, divisionFullName, townshipsOf } from '../../shared/seed/province';
import { dayNumber, dice, isoDay } from '../../shared/seed/random';
import type { SeedPlan, SeedProgress } from '../../shared/subgraph-server';
import type { LegalPersonRow } from './store';

const BRANDS = ['闽江', '海峡', '榕城', '鹭岛', '武夷', '东南', '鑫达', '恒信', '华通', '永丰', '融侨', '泰禾', '新华都', '天成', '瑞祥', '宏业', '佳豪', '中盛', '汇丰源', '安泰', '金源', '兴业', '鸿运', '博远', '联创', '启明', '清源', '九龙江', '太姥', '湄洲'];
const TRADES: [string, string][] = [
  ['科技', '软件开发；信息技术咨询服务；数据处理服务'],
  ['建设工程', '房屋建筑工程施工；市政公用工程施工'],
  ['贸易', '日用百货、五金交电批发零售'],
  ['食品', '食品生产；食品经营'],
  ['物流', '普通货运；仓储服务（不含危险品）'],
  ['新材料', '新型建筑材料制造；化工产品销售（不含危险化学品）'],
  ['电子', '电子元器件制造；电子产品销售'],
  ['医药', '药品批发；医疗器械经营'],
  ['文化传媒', '广告设计、制作、代理；文艺创作'],
  ['环保科技', '环境保护专用设备制造；污水处理'],
  ['能源', '光伏发电设备租赁；新能源技术推广'],
  ['机械制造', '通用设备制造；机械零部件加工'],
  ['农业发展', '蔬菜、水果种植；农产品初加工'],
  ['置业', '房地产开发经营；物业管理'],
  ['茶业', '茶叶种植；茶叶制品生产与销售'],
];
const FORMS: [[string, string], number][] = [
  [['有限公司', '有限责任公司（自然人投资或控股）'], 75],
  [['有限公司', '有限责任公司（法人独资）'], 10],
  [['股份有限公司', '股份有限公司（非上市、自然人投资或控股）'], 10],
  [['集团有限公司', '有限责任公司（自然人投资或控股）'], 5],
];

export function seedLegalPersonRow(plan: SeedPlan, j: number): LegalPersonRow {
  const facts = legalPersonFacts(plan, j);
  const d = dice(plan.seed, 'legal-person-details', j);
  const county = COUNTIES.find((c) => c.code === facts.countyCode)!;
  const city = CITIES.find((c) => c.code === county.parentCode)!.name.replace(/市$/, '');
  const [trade, scope] = d.pick(TRADES);
  const [suffix, enterpriseType] = d.weighted(FORMS);
  return {
    uscc: facts.uscc,
    name: `${city}${d.pick(BRANDS)}${trade}${suffix}`,
    status: facts.status,
    established_on: isoDay(d.int(dayNumber('1995-01-01'), dayNumber('2025-12-31'))),
    enterprise_type: enterpriseType,
    registered_capital: d.pick([50, 100, 200, 300, 500, 1000, 2000, 5000, 10000]),
    business_scope: scope,
    registered_address: `${divisionFullName(facts.countyCode)}${d.pick(townshipsOf(facts.countyCode)).name}${d.int(1, 888)}号`,
    representative_id_number: facts.representativeIdNumber,
    division_code: facts.countyCode,
  };
}

/** Empty, complete or half-seeded, by the tables the seed fills (shared/seed/runs.ts); `isSeeded` throws `HalfSeededStore` for the last. */
export const { seedState, isSeeded } = seedChecks({ name: 'legal-persons', tables: ['legal_persons'] });

/** `fill`: fillTable, or a test's stand-in that fails part-way. */
export async function seed(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable = fillTable): Promise<void> {
  await recordSeed(db, plan, () => fill(db, 'legal_persons', plan.legalPersons, (j) => seedLegalPersonRow(plan, j), progress));
}
