import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import { createConsumerRegistry, DATA_QUALITY_CONSUMER, SEED_CONSUMERS } from '../consumers';
import type { SharedResource } from '../policy/share-rules';
import { createAccessStore } from './access';

/** Reading the whole persons register page by page: granted to the consistency checks alone. */
export const REGISTER_SCAN = 'persons.register-scan';

/**
 * The built-in registry: the seed consumers, and grants that went through the real workflow
 * (applied, decided by the owning department): drc-approval holds every conditional resource but
 * the register scan, housing-permit holds contact details masked, data-quality holds the register
 * scan, and tax-service has an application pending. Idempotent: a seed consumer missing from the
 * registry (one added in a later version) is registered with its grants on the next start.
 */
export async function seedSharing(db: Knex, resources: SharedResource[], now = new Date().toISOString()): Promise<boolean> {
  const registry = createConsumerRegistry(db);
  const registered = new Set((await registry.all()).map((c) => c.id));
  const missing = SEED_CONSUMERS.filter((c) => !registered.has(c.id));
  if (!missing.length) return false;
  for (const consumer of missing) await registry.register(consumer, now);
  const isNew = new Set(missing.map((c) => c.id));
  const access = createAccessStore(db);
  const approve = async (consumer: string, resource: SharedResource | undefined, purpose: string, masked: boolean) => {
    if (!resource || !isNew.has(consumer)) return;
    const application = await access.apply(consumer, resource.name, purpose, now);
    await access.decide(application.id, { actor: `dept-${resource.owner}`, approve: true, reason: '用途明确，符合共享条件', masked, validUntil: null, now });
  };
  const named = (name: string) => resources.find((r) => r.name === name);
  for (const resource of resources.filter((r) => r.name !== REGISTER_SCAN)) {
    await approve('drc-approval', resource, '投资项目并联审批：核验项目单位及法定代表人信息', false);
  }
  await approve('housing-permit', named('persons.contact-details'), '施工许可：联系建设单位法定代表人', true);
  await approve(DATA_QUALITY_CONSUMER, named(REGISTER_SCAN), '共享校核：核对人口基础信息与身份号码、法定代表人状态', false);
  const records = named('credit.records');
  if (records && isNew.has('tax-service')) await access.apply('tax-service', records.name, '纳税信用评价：核查失信记录', now);
  return true;
}

/** The command that registers a consumer system, as the start-up warning names it. */
export const REGISTER_COMMAND = 'npm run consumers -- add <id> --name <name> --organisation <organisation>';

/**
 * The registry at start-up. With `seed` (ONESOURCE_SEED_EMPTY_STORES, off in production) the
 * development consumers and their grants are registered where missing. Without it nothing is
 * written: grants nobody decided must never reach a production registry, which holds only what
 * operators registered (`npm run consumers`) and departments approved. An empty one would refuse
 * every request, which is said once here rather than as a 401 per request.
 */
export async function prepareConsumerRegistry(db: Knex, resources: SharedResource[], { seed, logger }: { seed: boolean; logger: Logger }): Promise<void> {
  if (seed) {
    if (await seedSharing(db, resources)) logger.info('seeded the consumer registry and its grants');
    return;
  }
  if (!(await createConsumerRegistry(db).all()).length) {
    logger.warn(`no consumer system is registered, so every request will be refused: register one with ${REGISTER_COMMAND} (the development consumers are seeded only with ONESOURCE_SEED_EMPTY_STORES on)`);
  }
}
