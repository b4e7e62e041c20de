import { grantsByResource } from '../sharing/access';

/**
 * One grant decides per consumer and resource. Approving supersedes the grant in force (tested
 * end to end in tests/sharing.test.ts); a store written before that may still hold two in force.
 */
describe('the grant that decides', () => {
  it('is the masked one where two are in force for a resource, in either order: the stricter reading', () => {
    const open = { id: 1, resource: 'persons.contact-details', masked: false };
    const masked = { id: 2, resource: 'persons.contact-details', masked: true };
    const other = { id: 3, resource: 'credit.records', masked: false };
    for (const grants of [[open, masked, other], [masked, open, other]]) {
      expect(Object.fromEntries(grantsByResource(grants))).toEqual({ 'persons.contact-details': masked, 'credit.records': other });
    }
  });
});
