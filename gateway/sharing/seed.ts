import type { Knex } from 'knex';
import { SEED_CONSUMERS } from '../consumers';
import type { SharedResource } from '../policy/share-rules';
import { createAccessStore } from './access';

/**
 * The built-in registry on first start: the seed consumers, and grants that went through the real
 * workflow (applied, decided by the owning department): drc-approval holds every conditional
 * resource, housing-permit holds contact details masked, and tax-service has an application pending.
 */
export async function seedSharing(db: Knex, resources: SharedResource[], now = new Date().toISOString()): Promise<boolean> {
  if (await db('consumers').first()) return false;
  await db('consumers').insert(
    SEED_CONSUMERS.map((c) => ({ ...c, roles: c.roles.join(','), status: 'ACTIVE', registered_at: now })),
  );
  const access = createAccessStore(db);
  const approve = async (consumer: string, resource: SharedResource, purpose: string, masked: boolean) => {
    const application = await access.apply(consumer, resource.name, purpose, now);
    await access.decide(application.id, { actor: `dept-${resource.owner}`, approve: true, reason: '用途明确，符合共享条件', masked, validUntil: null, now });
  };
  for (const resource of resources) await approve('drc-approval', resource, '投资项目并联审批：核验项目单位及法定代表人信息', false);
  const contact = resources.find((r) => r.name === 'persons.contact-details');
  if (contact) await approve('housing-permit', contact, '施工许可：联系建设单位法定代表人', true);
  const records = resources.find((r) => r.name === 'credit.records');
  if (records) await access.apply('tax-service', records.name, '纳税信用评价：核查失信记录', now);
  return true;
}
