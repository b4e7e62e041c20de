import { readConfig } from '../../shared/config';
import { buildCatalog } from '../catalog/build';
import { itemAccess } from '../catalog/grants';
import { gatewaySubgraphSources } from '../prepare';
import { CHANGE_LOGS } from '../quality/change-logs';
import { composeSupergraph } from '../supergraph';

const catalog = buildCatalog(composeSupergraph(gatewaySubgraphSources(readConfig({}), 4000)));
const item = (coordinate: string) => catalog.resources.flatMap((r) => r.items).find((i) => i.coordinate === coordinate)!;
const consumer = { roles: [] as string[], department: null };

describe('how a consumer may read a catalogue item (itemAccess)', () => {
  it('reads an unconditional item in full, a conditional one only with its grant, masked when the grant says so', () => {
    expect(itemAccess(item('NaturalPerson.name'), consumer, new Map())).toBe('FULL');
    expect(itemAccess(item('NaturalPerson.mobilePhone'), consumer, new Map())).toBe('NONE');
    expect(itemAccess(item('NaturalPerson.mobilePhone'), consumer, new Map([['persons.contact-details', { masked: false }]]))).toBe('FULL');
    expect(itemAccess(item('NaturalPerson.mobilePhone'), consumer, new Map([['persons.contact-details', { masked: true }]]))).toBe('MASKED');
    // A grant for another resource is no grant for this one.
    expect(itemAccess(item('NaturalPerson.mobilePhone'), consumer, new Map([['credit.records', { masked: false }]]))).toBe('NONE');
  });

  it("reads its own department's conditional items in full without a grant, and no other department's", () => {
    expect(itemAccess(item('NaturalPerson.mobilePhone'), { roles: ['DEPARTMENT'], department: 'persons' }, new Map())).toBe('FULL');
    expect(itemAccess(item('NaturalPerson.mobilePhone'), { roles: ['DEPARTMENT'], department: 'credit' }, new Map())).toBe('NONE');
  });

  it('knows every field a change log names, so that no change notice is dropped for want of an item', () => {
    for (const log of CHANGE_LOGS) {
      for (const field of log.corrects) expect([log.entity, field, item(`${log.entity}.${field}`)?.coordinate]).toEqual([log.entity, field, `${log.entity}.${field}`]);
    }
  });
});
