import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import { buildCatalog } from '../catalog/build';
import { gatewaySubgraphSources } from '../prepare';
import { createAccessStore } from '../sharing/access';
import { grantsUsed, resourcesNeeded } from '../sharing/grants-used';
import { openGatewayStore } from '../store';
import { composeSupergraph } from '../supergraph';

/**
 * Which grant an audited read used, worked out from the record's fields and time and the grants
 * as they were: on SQLite (tests/sharing.test.ts shows it in the access log on both stores).
 */
const catalog = buildCatalog(composeSupergraph(gatewaySubgraphSources(readConfig({}), 4000)));

describe('the grants a read used', () => {
  it('finds the conditional resources along each path the record keeps, and none for unconditional items', () => {
    expect(resourcesNeeded(catalog, ['NaturalPerson.name', 'NaturalPerson.credit.entries.kind', 'NaturalPerson.householdAddress'])).toEqual([
      'credit.records',
      'persons.contact-details',
    ]);
    expect(resourcesNeeded(catalog, ['verifyNaturalPerson', 'NaturalPerson.credit.onBlacklist'])).toEqual([]);
    expect(resourcesNeeded(catalog, ['allNaturalPersons'])).toEqual(['persons.register-scan']);
    // A path the catalogue no longer knows needs nothing it can name.
    expect(resourcesNeeded(catalog, ['NaturalPerson.formerName.kind'])).toEqual([]);
  });

  describe('against the grants as they were at the time', () => {
    let dir: string;
    let db: Knex;
    beforeEach(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-grants-used-'));
      db = await openGatewayStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }));
    });
    afterEach(async () => {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('names the grant in force at each read with its approved purpose; before it, after its revocation or past its validity, none', async () => {
      const access = createAccessStore(db);
      const applied = await access.apply('housing-permit', 'persons.contact-details', '施工许可：联系建设单位法定代表人', '2026-03-01T08:00:00.000Z');
      await access.decide(applied.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: true, validUntil: '2026-06-30', now: '2026-03-02T08:00:00.000Z' });
      const [grant] = await access.grants({ consumerId: 'housing-permit' });
      await access.revoke(grant.id, 'dept-persons', '用途已完成', '2026-05-01T08:00:00.000Z');
      const renewed = await access.apply('housing-permit', 'persons.contact-details', '施工许可：第二期', '2026-05-02T08:00:00.000Z');
      await access.decide(renewed.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: false, validUntil: '2026-06-30', now: '2026-05-03T08:00:00.000Z' });
      const second = (await access.grants({ consumerId: 'housing-permit' })).find((g) => g.id !== grant.id)!;

      // Records written before records named their grants (grants: null).
      const read = (at: string, consumer = 'housing-permit') => ({ consumer, at, fields: ['NaturalPerson.householdAddress'], grants: null });
      const none = { resource: 'persons.contact-details', grantId: null, approvedPurpose: null, grantedAt: null, masked: null, recorded: false };
      const used = await grantsUsed(db, catalog, [
        read('2026-03-01T09:00:00.000Z'),
        read('2026-04-01T09:00:00.000Z'),
        read('2026-05-02T09:00:00.000Z'),
        // Valid until 30 June: China's day, as the guard judged it. 15:00 UTC is 23:00 in China, 16:00 the next day.
        read('2026-06-30T15:00:00.000Z'),
        read('2026-06-30T16:00:00.000Z'),
        read('2026-04-01T09:00:00.000Z', 'market-portal'),
        { consumer: 'housing-permit', at: '2026-04-01T09:00:00.000Z', fields: ['NaturalPerson.name'], grants: null },
      ]);
      expect(used).toEqual([
        [none],
        [{ resource: 'persons.contact-details', grantId: grant.id, approvedPurpose: '施工许可：联系建设单位法定代表人', grantedAt: '2026-03-02T08:00:00.000Z', masked: true, recorded: false }],
        [none],
        [{ resource: 'persons.contact-details', grantId: second.id, approvedPurpose: '施工许可：第二期', grantedAt: '2026-05-03T08:00:00.000Z', masked: false, recorded: false }],
        [none],
        [none],
        [],
      ]);
    });

    it('names the grants a record names, whatever the catalogue now says its items need', async () => {
      const access = createAccessStore(db);
      const applied = await access.apply('housing-permit', 'persons.contact-details', '施工许可：联系建设单位法定代表人', '2026-03-01T08:00:00.000Z');
      await access.decide(applied.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: true, validUntil: null, now: '2026-03-02T08:00:00.000Z' });
      const [grant] = await access.grants({ consumerId: 'housing-permit' });
      // Revoked since: the record still names the grant it was read under.
      await access.revoke(grant.id, 'dept-persons', '用途已完成', '2026-05-01T08:00:00.000Z');
      const named = { resource: 'persons.contact-details', grantId: grant.id, approvedPurpose: '施工许可：联系建设单位法定代表人', grantedAt: '2026-03-02T08:00:00.000Z', masked: true, recorded: true };
      const used = await grantsUsed(db, catalog, [
        // An item the catalogue no longer counts as the resource's: the record's word stands.
        { consumer: 'housing-permit', at: '2026-04-01T09:00:00.000Z', fields: ['NaturalPerson.name'], grants: [grant.id] },
        // A record that needed no grant, though the catalogue now says its item needs one.
        { consumer: 'housing-permit', at: '2026-04-01T09:00:00.000Z', fields: ['NaturalPerson.householdAddress'], grants: [] },
      ]);
      expect(used).toEqual([[named], []]);
      // Without the catalogue, a record's own grants still answer; an older record's are not known.
      const older = { consumer: 'housing-permit', at: '2026-04-01T09:00:00.000Z', fields: ['NaturalPerson.householdAddress'], grants: null };
      expect(await grantsUsed(db, undefined, [{ ...older, grants: [grant.id] }, older])).toEqual([[named], null]);
    });
  });
});
