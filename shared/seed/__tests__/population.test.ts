import { checkIdNumber, checkParcelCode, checkProjectCode, checkUscc, idNumberFacts } from '../../identifiers';
import { DEFAULT_PLAN, legalPersonFacts, parcelFacts, personFacts, projectFacts, scaledPlan } from '../population';
import { COUNTIES, DIVISIONS } from '../province';
import { PLANTED_DEFECTS, projectDefect } from '../defects';

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
      if (projectDefect(plan, m)?.kind === 'parcelOutsideDivision') continue;
      expect(project.applicantUscc).toBe(legalPersonFacts(plan, project.applicantIndex).uscc);
      expect(project.parcelCodes).toHaveLength(2);
      for (const code of project.parcelCodes) expect(code.slice(0, 6)).toBe(project.countyCode);
    }
    const company = legalPersonFacts(plan, 5);
    expect(company.representativeIdNumber).toBe(personFacts(plan, company.representativeIndex!).idNumber);
  });

  it('plants exactly the documented defects and no others', () => {
    const persons = Array.from({ length: plan.persons }, (_, i) => personFacts(plan, i));
    const byId = new Map(persons.map((p) => [p.idNumber, p]));
    const companies = Array.from({ length: plan.legalPersons }, (_, j) => legalPersonFacts(plan, j));
    const projects = Array.from({ length: plan.projects }, (_, m) => projectFacts(plan, m));
    const representative = (c: (typeof companies)[number]) => byId.get(c.representativeIdNumber);
    const count = {
      representativeUnknown: companies.filter((c) => !representative(c)).length,
      representativeDeceased: companies.filter((c) => representative(c)?.deceasedOn).length,
      blacklistedRepresentative: companies.filter((c) => c.status === 'ACTIVE' && representative(c)?.onBlacklist).length,
      inactiveCompanyWithActiveProject: new Set(projects.filter((p) => p.mustBeActive && companies[p.applicantIndex].status !== 'ACTIVE').map((p) => p.applicantIndex)).size,
      inactiveApplicants: projects.filter((p) => companies[p.applicantIndex].status !== 'ACTIVE').length,
      parcelOutsideDivision: projects.filter((p) => p.parcelCodes.some((code) => code.slice(0, 6) !== p.countyCode)).length,
      genderDisagreesWithNumber: persons.filter((p) => p.recordedWrong === 'gender').length,
      birthDateDisagreesWithNumber: persons.filter((p) => p.recordedWrong === 'birthDate').length,
    };
    expect(count).toEqual({ ...PLANTED_DEFECTS, inactiveApplicants: PLANTED_DEFECTS.inactiveCompanyWithActiveProject });
    // An unknown representative is a valid number nobody in the register holds.
    for (const c of companies.filter((c) => !representative(c))) expect(checkIdNumber(c.representativeIdNumber).ok).toBe(true);
  });
});
