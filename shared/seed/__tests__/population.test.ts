import { checkIdNumber, checkParcelCode, checkProjectCode, checkUscc, idNumberFacts } from '../../identifiers';
import { DEFAULT_PLAN, legalPersonFacts, parcelFacts, personFacts, projectFacts, scaledPlan } from '../population';
import { COUNTIES, DIVISIONS } from '../province';

describe('the seeded province', () => {
  const plan = DEFAULT_PLAN;

  it('uses the real GB/T 2260 divisions of Fujian', () => {
    expect(DIVISIONS.find((d) => d.code === '350102')).toEqual({ code: '350102', name: '鼓楼区', level: 'COUNTY', parentCode: '350100' });
    expect(DIVISIONS.find((d) => d.code === '350200')?.name).toBe('厦门市');
    expect(COUNTIES.length).toBeGreaterThan(80);
  });

  it('gives every record a valid key whose facts match the record', () => {
    for (let i = 0; i < plan.persons; i += 7) {
      const p = personFacts(plan, i);
      expect(checkIdNumber(p.idNumber)).toEqual({ ok: true, value: p.idNumber });
      expect(idNumberFacts(p.idNumber)).toEqual({ regionCode: p.countyCode, birthDate: p.birthDate, gender: p.gender });
    }
    for (let j = 0; j < plan.legalPersons; j += 3) expect(checkUscc(legalPersonFacts(plan, j).uscc).ok).toBe(true);
    for (let k = 0; k < plan.parcels; k++) expect(checkParcelCode(parcelFacts(plan, k).parcelCode).ok).toBe(true);
    for (let m = 0; m < plan.projects; m++) expect(checkProjectCode(projectFacts(plan, m).projectCode).ok).toBe(true);
  });

  it('never gives two records the same key, even at a million persons', () => {
    const big = scaledPlan(1_000_000);
    const ids = new Set<string>();
    for (let i = 0; i < big.persons; i += 1) ids.add(personFacts(big, i).idNumber);
    expect(ids.size).toBe(big.persons);
    const usccs = new Set(Array.from({ length: plan.legalPersons }, (_, j) => legalPersonFacts(plan, j).uscc));
    expect(usccs.size).toBe(plan.legalPersons);
  });

  it('is the same for the same seed number and different for another', () => {
    expect(personFacts(plan, 42)).toEqual(personFacts({ ...plan }, 42));
    expect(legalPersonFacts(plan, 42)).toEqual(legalPersonFacts({ ...plan }, 42));
    expect(personFacts({ ...plan, seed: 7 }, 42).idNumber).not.toBe(personFacts(plan, 42).idNumber);
  });

  it('links companies to seeded persons and projects to seeded companies and parcels in one county', () => {
    for (let m = 0; m < plan.projects; m++) {
      const project = projectFacts(plan, m);
      expect(project.applicantUscc).toBe(legalPersonFacts(plan, project.applicantIndex).uscc);
      expect(project.parcelCodes).toHaveLength(2);
      for (const code of project.parcelCodes) expect(code.slice(0, 6)).toBe(project.countyCode);
    }
    const company = legalPersonFacts(plan, 5);
    expect(company.representativeIdNumber).toBe(personFacts(plan, company.representativeIndex).idNumber);
  });
});
