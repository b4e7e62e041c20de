import type { Knex } from 'knex';
import { fillTable, FillTable } from '../../shared/seed/fill';
import { recordSeed, seedChecks } from '../../shared/seed/runs';
import { personFacts } from '../../shared/seed/population';
import { divisionFullName, townshipsOf } from '../../shared/seed/province';
import { dayNumber, dice, isoDay } from '../../shared/seed/random';
import type { SeedPlan, SeedProgress } from '../../shared/subgraph-server';
import type { NaturalPersonRow } from './store';

// Surnames weighted roughly as in Fujian, where 陈 and 林 lead.
const SURNAMES: [string, number][] = [
  ['陈', 120], ['林', 100], ['黄', 60], ['张', 45], ['吴', 40], ['李', 40], ['王', 35], ['郑', 35], ['刘', 30],
  ['杨', 22], ['蔡', 20], ['许', 18], ['谢', 16], ['洪', 14], ['邱', 12], ['曾', 12], ['赖', 10], ['周', 10],
  ['江', 9], ['叶', 9], ['徐', 8], ['苏', 8], ['庄', 8], ['游', 6], ['卢', 6], ['方', 6], ['何', 6], ['罗', 6],
  ['高', 5], ['潘', 5], ['朱', 5], ['郭', 5], ['翁', 4], ['魏', 4], ['施', 4], ['欧阳', 1], ['詹', 3], ['傅', 3],
];
const MALE_GIVEN = '伟强磊军勇杰涛斌超明辉建华志国平海东峰鹏龙文俊浩宇轩晨阳毅鑫振荣德明锋坤'.split('');
const FEMALE_GIVEN = '芳娜敏静丽艳娟霞秀英玲桂兰燕萍红梅琳婷雪慧颖晶洁莹倩婷欣怡佳琪瑶璐'.split('');
const ROADS = ['中山路', '人民路', '解放路', '建设路', '和平路', '新华路', '五一路', '八一路', '东街', '西街', '滨江路', '学府路', '工业路', '温泉路', '湖滨路', '环城路'];
const MOBILE_PREFIXES = ['135', '136', '137', '138', '139', '150', '151', '152', '158', '159', '186', '187', '133', '153', '180', '189', '177', '199'];

export function seedPersonRow(plan: SeedPlan, i: number): NaturalPersonRow {
  const facts = personFacts(plan, i);
  const d = dice(plan.seed, 'person-details', i);
  const given = facts.gender === 'MALE' ? MALE_GIVEN : FEMALE_GIVEN;
  const name = d.weighted(SURNAMES) + d.pick(given) + (d.chance(0.75) ? d.pick(given) : '');
  const township = d.pick(townshipsOf(facts.countyCode));
  // Planted defects (shared/seed/defects.ts): a record that disagrees with its own number.
  const gender = facts.recordedWrong === 'gender' ? (facts.gender === 'MALE' ? 'FEMALE' : 'MALE') : facts.gender;
  const birthDate = facts.recordedWrong === 'birthDate' ? isoDay(dayNumber(facts.birthDate) + 365) : facts.birthDate;
  return {
    id_number: facts.idNumber,
    name,
    gender,
    birth_date: birthDate,
    status: facts.deceasedOn ? 'DECEASED' : 'ALIVE',
    deceased_on: facts.deceasedOn,
    household_division_code: facts.countyCode,
    household_address: `${divisionFullName(facts.countyCode)}${township.name}${d.pick(ROADS)}${d.int(1, 399)}号`,
    mobile_phone: d.chance(0.9) ? `${d.pick(MOBILE_PREFIXES)}${String(d.int(0, 99_999_999)).padStart(8, '0')}` : null,
  };
}

/** Empty, complete or half-seeded, by the tables the seed fills (shared/seed/runs.ts); `isSeeded` throws `HalfSeededStore` for the last. */
export const { seedState, isSeeded } = seedChecks({ name: 'persons', tables: ['natural_persons'] });

/** `fill`: fillTable, or a test's stand-in that fails part-way. */
export async function seed(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable = fillTable): Promise<void> {
  await recordSeed(db, plan, () => fill(db, 'natural_persons', plan.persons, (i) => seedPersonRow(plan, i), progress));
}
