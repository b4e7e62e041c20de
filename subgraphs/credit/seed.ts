import type { Knex } from 'knex';
import { fillTable, FillTable } from '../../shared/seed/fill';
import { recordSeed, seedChecks } from '../../shared/seed/runs';
import { legalPersonFacts, personFacts } from '../../shared/seed/population';
import { CITIES } from '../../shared/seed/province';
import { dayNumber, Dice, dice, isoDay } from '../../shared/seed/random';
import type { SeedPlan, SeedProgress } from '../../shared/subgraph-server';

const COURTS = CITIES.map((c, i) => [`${c.name}中级人民法院`, `闽${String(i + 1).padStart(2, '0')}执`] as const);
const RATINGS = [['A', 30], ['B', 50], ['C', 15], ['D', 5]] as const;

interface Subject {
  key: string;
  type: 'NATURAL_PERSON' | 'LEGAL_PERSON';
  d: Dice;
  /** A person's blacklisting is a shared fact (companies avoid such representatives); a company's is rolled here. */
  onBlacklist?: boolean;
}

function entriesFor({ key, type, d, onBlacklist }: Subject) {
  const entry = (kind: string, reason: string, authority: string, documentNumber: string, years: number | null) => {
    const decided = d.int(dayNumber('2018-01-01'), dayNumber('2026-09-30'));
    return {
      subject_type: type,
      subject_key: key,
      kind,
      reason,
      authority,
      document_number: documentNumber,
      decided_on: isoDay(decided),
      expires_on: years === null ? null : isoDay(decided + years * 365),
    };
  };
  const blacklist = onBlacklist ?? d.chance(0.04);
  const redlist = !blacklist && d.chance(type === 'LEGAL_PERSON' ? 0.06 : 0.02);
  const entries = [];
  if (blacklist) {
    const [court, prefix] = d.pick(COURTS);
    entries.push(entry('BLACKLIST', '失信被执行人：有履行能力而拒不履行生效法律文书确定义务', court, `(${d.int(2018, 2026)})${prefix}${d.int(100, 9999)}号`, null));
  }
  if (redlist) {
    entries.push(
      type === 'LEGAL_PERSON'
        ? entry('REDLIST', '纳税信用A级纳税人', '国家税务总局福建省税务局', `闽税信〔${d.int(2019, 2026)}〕${d.int(1, 99)}号`, 3)
        : entry('REDLIST', '无偿献血先进个人', '福建省卫生健康委员会', `闽卫〔${d.int(2019, 2026)}〕${d.int(1, 99)}号`, 3),
    );
  }
  if (type === 'LEGAL_PERSON' && d.chance(0.08)) {
    entries.push(entry('ADMINISTRATIVE_PENALTY', d.pick(['未按规定报送年度报告', '虚假宣传', '违反食品安全标准', '未依法取得排污许可证排放污染物']), d.pick(['市场监督管理局', '生态环境局']), `闽市监罚〔${d.int(2019, 2026)}〕${d.int(1, 999)}号`, 3));
  }
  const rating = type === 'LEGAL_PERSON' ? (blacklist ? 'D' : d.weighted(RATINGS)) : null;
  const profile = entries.length || rating ? { subject_key: key, subject_type: type, rating } : null;
  return { profile, entries };
}

function subject(plan: SeedPlan, n: number): Subject {
  if (n < plan.persons) {
    const person = personFacts(plan, n);
    return { key: person.idNumber, type: 'NATURAL_PERSON', d: dice(plan.seed, 'credit', n), onBlacklist: person.onBlacklist };
  }
  return { key: legalPersonFacts(plan, n - plan.persons).uscc, type: 'LEGAL_PERSON', d: dice(plan.seed, 'credit', n) };
}

/** Empty, complete or half-seeded, by the tables the seed fills (shared/seed/runs.ts); `isSeeded` throws `HalfSeededStore` for the last. */
export const { seedState, isSeeded } = seedChecks({ name: 'credit', tables: ['credit_profiles', 'credit_entries'] });

/** `fill`: fillTable, or a test's stand-in that fails part-way. */
export async function seed(db: Knex, plan: SeedPlan, progress: SeedProgress, fill: FillTable = fillTable): Promise<void> {
  const subjects = plan.persons + plan.legalPersons;
  await recordSeed(db, plan, async () => {
    await fill(db, 'credit_profiles', subjects, (n) => entriesFor(subject(plan, n)).profile, progress);
    await fill(db, 'credit_entries', subjects, (n) => entriesFor(subject(plan, n)).entries);
  });
}
