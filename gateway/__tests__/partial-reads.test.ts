import { listItemPlace, partlyRead } from '../audit/partial-reads';
import type { SubjectPositions } from '../policy/enforce';

/**
 * Each person's outcome in the audit trail: an error counts against the persons read at or above
 * its path, at their own list items only where the answer says where each was found.
 */
describe('partlyRead', () => {
  const REP = 'investmentProjects.edges.node.applicant.legalRepresentative';
  const [a, b, c] = ['11010519491231002X', '350426195905090695', '35020319530501225X'];
  const places = new Map([[a, new Set([REP])], [b, new Set([REP])], [c, new Set([REP])]]);
  // A page of projects: a is the third project's representative and the fifth's, b the first's, c the second's.
  const positions: SubjectPositions = new Map([[REP, new Map([
    [a, ['investmentProjects.edges.2.node.applicant.legalRepresentative', 'investmentProjects.edges.4.node.applicant.legalRepresentative']],
    [b, ['investmentProjects.edges.0.node.applicant.legalRepresentative']],
    [c, ['investmentProjects.edges.1.node.applicant.legalRepresentative']],
  ])]]);
  const creditFailedAt = (item: number) => ({ path: ['investmentProjects', 'edges', item, 'node', 'applicant', 'legalRepresentative', 'credit'] });

  it("counts a failed field of one representative in a page against that representative only", () => {
    expect(partlyRead([creditFailedAt(4)], places, positions)).toEqual(new Set([a]));
    expect(partlyRead([creditFailedAt(0), creditFailedAt(1)], places, positions)).toEqual(new Set([b, c]));
  });

  it('counts an error against every person of the place where it cannot tell who was found where', () => {
    expect(partlyRead([creditFailedAt(4)], places, undefined)).toEqual(new Set([a, b, c]));
  });

  it('counts an error without a path against everyone, and one above the persons against no one: they were not in the answer', () => {
    expect(partlyRead([{ path: ['investmentProjects'] }], places, positions)).toEqual(new Set());
    expect(partlyRead([{}], places, positions)).toEqual(new Set([a, b, c]));
  });

  it('counts an item of a root list of answers against the person its request named', () => {
    const batch = new Map([[a, new Set([listItemPlace('verifyNaturalPersons', 0)])], [b, new Set([listItemPlace('verifyNaturalPersons', 1)])]]);
    expect(partlyRead([{ path: ['verifyNaturalPersons', 1] }], batch, undefined)).toEqual(new Set([b]));
  });
});
