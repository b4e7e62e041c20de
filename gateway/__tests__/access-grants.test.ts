import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { Config, readConfig } from '../../shared/config';
import { dropStore } from '../../shared/db';
import { describeWithStore, mysqlUrl, StoreKind } from '../../tests/support/stack';
import { createConsumerRegistry } from '../consumers';
import { AccessRuleError, createAccessStore, grantsByResource, isActive } from '../sharing/access';
import { openGatewayStore } from '../store';

/**
 * One grant decides per consumer and resource. Approving supersedes the grant in force (tested
 * end to end in tests/sharing.test.ts); applications and decisions of one consumer take turns, so
 * two at once leave one pending application and one grant; a store written before may hold two.
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

function defineConcurrencySuite(store: StoreKind) {
  describeWithStore(store, 'applications and decisions at once', () => {
    let dir: string;
    let config: Config;
    let db: Knex;
    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-access-'));
      config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_DB_PREFIX: 'onesource_unit_access_', ...(store === 'mysql' ? { ONESOURCE_MYSQL_URL: mysqlUrl } : {}) });
      await dropStore(config, 'gateway');
      db = await openGatewayStore(config);
      await createConsumerRegistry(db).register({ id: 'housing-permit', name: '工程建设项目审批管理系统', organisation: '住建厅', roles: [], department: null }, new Date().toISOString());
    });
    afterAll(async () => {
      await db?.destroy();
      if (store === 'mysql') await dropStore(config, 'gateway');
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('leave one pending application and one grant in force, however many arrive together', async () => {
      const access = createAccessStore(db);
      const now = () => new Date().toISOString();
      for (let round = 0; round < 5; round++) {
        const applied = await Promise.allSettled(Array.from({ length: 4 }, () => access.apply('housing-permit', 'persons.contact-details', '施工许可：联系建设单位', now())));
        expect(applied.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
        expect(applied.filter((a) => a.status === 'rejected').every((a) => (a as PromiseRejectedResult).reason instanceof AccessRuleError)).toBe(true);
        const pending = (await access.applications({ consumerId: 'housing-permit', status: 'PENDING' }))[0];
        // Two decisions of the same application: one decides, the other finds it decided.
        const decided = await Promise.allSettled([0, 1].map((masked) => access.decide(pending.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: masked === 1, validUntil: null, now: now() })));
        expect(decided.filter((d) => d.status === 'fulfilled')).toHaveLength(1);
        const inForce = (await access.grants({ consumerId: 'housing-permit' })).filter((g) => isActive(g, now().slice(0, 10)));
        expect(inForce).toHaveLength(1);
      }
    });

    it('keeps a renewal masked when the masked grant lapsed while it waited, unless unmasking is said or nothing is left to mask', async () => {
      const access = createAccessStore(db);
      await createConsumerRegistry(db).register({ id: 'land-survey', name: '不动产测绘系统', organisation: '自然资源厅', roles: [], department: null }, new Date().toISOString());
      const grantOf = async (applicationId: number) => (await access.grants({ consumerId: 'land-survey' })).find((g) => g.applicationId === applicationId)!;
      const first = await access.apply('land-survey', 'persons.contact-details', '测绘：联系权利人', '2026-11-02T02:00:00.000Z');
      await access.decide(first.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: true, validUntil: '2026-11-30', now: '2026-11-03T02:00:00.000Z' });
      // Applied while the masked grant was in force, decided after it lapsed, saying nothing of masking.
      const renewal = await access.apply('land-survey', 'persons.contact-details', '测绘：续期', '2026-11-25T02:00:00.000Z');
      await access.decide(renewal.id, { actor: 'dept-persons', approve: true, reason: '续期', masked: null, maskable: true, validUntil: '2026-12-31', now: '2026-12-02T02:00:00.000Z' });
      expect(await grantOf(renewal.id)).toMatchObject({ masked: true });
      // Unmasking is said.
      const unmasked = await access.apply('land-survey', 'persons.contact-details', '测绘：需完整电话', '2026-12-03T02:00:00.000Z');
      await access.decide(unmasked.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: false, validUntil: null, now: '2026-12-03T03:00:00.000Z' });
      expect(await grantOf(unmasked.id)).toMatchObject({ masked: false });
      // A masked grant is not carried onto a resource whose items have no masked form any more.
      const again = await access.apply('land-survey', 'persons.contact-details', '测绘：续期二', '2026-12-04T02:00:00.000Z');
      await db('access_grants').where({ id: (await grantOf(unmasked.id)).id }).update({ masked: true });
      await access.decide(again.id, { actor: 'dept-persons', approve: true, reason: '续期', masked: null, maskable: false, validUntil: null, now: '2026-12-04T03:00:00.000Z' });
      expect(await grantOf(again.id)).toMatchObject({ masked: false });
    });

    it("supersedes only a grant still in force on China's day: one that expired yesterday there is left as it ended", async () => {
      const access = createAccessStore(db);
      await createConsumerRegistry(db).register({ id: 'tax-service', name: '金税征管系统', organisation: '税务局', roles: [], department: null }, new Date().toISOString());
      const first = await access.apply('tax-service', 'persons.contact-details', '税务稽查：联系纳税人', '2026-11-20T02:00:00.000Z');
      await access.decide(first.id, { actor: 'dept-persons', approve: true, reason: '同意', masked: false, validUntil: '2026-12-05', now: '2026-11-21T02:00:00.000Z' });
      // 22:06 UTC on 5 December is 06:06 on 6 December in China: the grant ended with the 5th.
      const renewed = await access.apply('tax-service', 'persons.contact-details', '税务稽查：续期', '2026-12-05T22:00:00.000Z');
      await access.decide(renewed.id, { actor: 'dept-persons', approve: true, reason: '同意续期', masked: false, validUntil: null, now: '2026-12-05T22:06:00.000Z' });
      const grants = await access.grants({ consumerId: 'tax-service' });
      expect(grants.map((g) => [g.validUntil, g.revokedAt, g.revokeReason])).toEqual(expect.arrayContaining([['2026-12-05', null, null], [null, null, null]]));
    });
  });
}

defineConcurrencySuite('sqlite');
defineConcurrencySuite('mysql');
