import type { Knex } from 'knex';
import { DEPARTMENTS, isDepartmentName } from '../shared/departments';

/** A system registered to call the gateway (an approval system, a portal, an auditor, a department's console). */
export interface Consumer {
  id: string;
  name: string;
  organisation: string;
  roles: string[];
  department: string | null;
  status: 'ACTIVE' | 'SUSPENDED';
}

export const ROLE = { AUDITOR: 'AUDITOR', DEPARTMENT: 'DEPARTMENT' } as const;
export type Role = (typeof ROLE)[keyof typeof ROLE];
export const ROLES: readonly Role[] = Object.values(ROLE);

/** Whether a caller is one of a department's own operators (role DEPARTMENT, that department). */
export const operates = (caller: { roles: readonly string[]; department?: string | null }, department: string): boolean =>
  caller.roles.includes(ROLE.DEPARTMENT) && caller.department === department;

/** A consumer system to register: it starts ACTIVE, with no grant (grants go through applications). */
export type NewConsumer = Omit<Consumer, 'status'>;

/** A change to the registry that was refused (unknown or duplicate id, a bad value): nothing was written. */
export class ConsumerRegistryError extends Error {}

/**
 * A consumer id is a token's `sub`, a log field and an entry in the per-consumer settings
 * (`consumer=n,consumer=n`): letters, digits and `.` `_` `-` only, so it never holds a space, a
 * comma or an `=`; at most 64 characters, the registry's column.
 */
const CONSUMER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Names the gateway itself gives callers that are not registered systems: every citizen in usage
 * figures and recorded operations (`citizen`), its readiness probe and its own calls to the
 * departments (change notices, record history). A system registered as one would be counted as them.
 */
const RESERVED_IDS: ReadonlySet<string> = new Set(['citizen', 'gateway-readiness', 'onesource-gateway']);
/** The registry's columns for a name and an organisation. */
const TEXT_MAX = 100;

/** The consumer system the consistency checks (共享校核) read as. */
export const DATA_QUALITY_CONSUMER = 'data-quality';

interface ConsumerRow {
  id: string;
  name: string;
  organisation: string;
  roles: string;
  department: string | null;
  status: string;
}

const toConsumer = (row: ConsumerRow): Consumer => ({
  id: row.id,
  name: row.name,
  organisation: row.organisation,
  roles: row.roles ? row.roles.split(',') : [],
  department: row.department,
  status: row.status as Consumer['status'],
});

/**
 * The consumer as it will be stored, or the first thing wrong with it. Roles are taken in any case
 * and each once; a department is named for the DEPARTMENT role only, which needs one.
 */
export function checkNewConsumer(consumer: NewConsumer): NewConsumer {
  const { id } = consumer;
  if (!CONSUMER_ID.test(id)) {
    throw new ConsumerRegistryError(`"${id}" is not a plain identifier: letters, digits, ".", "_" and "-", starting with a letter or digit, at most 64 characters`);
  }
  if (RESERVED_IDS.has(id.toLowerCase())) throw new ConsumerRegistryError(`"${id}" is a name the gateway gives its own callers (${[...RESERVED_IDS].join(', ')}): choose another id`);
  const text = (what: string, value: string) => {
    const trimmed = value.trim();
    if (!trimmed) throw new ConsumerRegistryError(`the ${what} is empty`);
    if ([...trimmed].length > TEXT_MAX) throw new ConsumerRegistryError(`the ${what} is longer than ${TEXT_MAX} characters`);
    return trimmed;
  };
  const roles: Role[] = [];
  for (const given of consumer.roles) {
    const role = ROLES.find((r) => r === given.toUpperCase());
    if (!role) throw new ConsumerRegistryError(`"${given}" is not a role: the roles are ${ROLES.join(' and ')}`);
    if (!roles.includes(role)) roles.push(role);
  }
  const departments = DEPARTMENTS.map((d) => d.name).join(', ');
  const { department } = consumer;
  if (department !== null && !isDepartmentName(department)) {
    throw new ConsumerRegistryError(`"${department}" is not a department: the departments are ${departments}`);
  }
  if (roles.includes(ROLE.DEPARTMENT) && department === null) {
    throw new ConsumerRegistryError(`the ${ROLE.DEPARTMENT} role needs the department it operates (one of ${departments})`);
  }
  // A department on another consumer would read as an operator's and mean nothing: a mistake.
  if (!roles.includes(ROLE.DEPARTMENT) && department !== null) {
    throw new ConsumerRegistryError(`a department is named for the ${ROLE.DEPARTMENT} role only: add that role, or leave the department out`);
  }
  return { id, name: text('name', consumer.name), organisation: text('organisation', consumer.organisation), roles, department };
}

/**
 * The registry of consumer systems, the one owner of its table: the gateway reads it on every
 * request (cached, consumer-token.ts); the seed and `npm run consumers` write it.
 */
export function createConsumerRegistry(db: Knex) {
  const byId = async (id: string, from: Knex = db): Promise<Consumer | null> => {
    const row: ConsumerRow | undefined = await from('consumers').where('id', id).first();
    return row ? toConsumer(row) : null;
  };
  return {
    byId: (id: string) => byId(id),
    async all(): Promise<Consumer[]> {
      return ((await db('consumers').orderBy('id')) as ConsumerRow[]).map(toConsumer);
    },
    /** Registers a consumer, ACTIVE and with no grant; refuses an id already registered and anything checkNewConsumer refuses. */
    async register(consumer: NewConsumer, now = new Date().toISOString()): Promise<Consumer> {
      const checked = checkNewConsumer(consumer);
      return db.transaction(async (trx) => {
        const existing = await byId(checked.id, trx);
        if (existing) throw new ConsumerRegistryError(`"${checked.id}" is already registered (${existing.name}, ${existing.organisation})`);
        await trx('consumers').insert({ ...checked, roles: checked.roles.join(','), status: 'ACTIVE', registered_at: now });
        return { ...checked, status: 'ACTIVE' as const };
      });
    },
    /**
     * Suspends or reactivates a consumer: its grants are kept, but the gateway refuses its
     * requests while it is suspended (within REGISTRY_CACHE_MS). Returns the status it had.
     */
    async setStatus(id: string, status: Consumer['status']): Promise<{ consumer: Consumer; was: Consumer['status'] }> {
      return db.transaction(async (trx) => {
        const consumer = await byId(id, trx);
        if (!consumer) throw new ConsumerRegistryError(`"${id}" is not a registered consumer`);
        if (consumer.status !== status) await trx('consumers').where('id', id).update({ status });
        return { consumer: { ...consumer, status }, was: consumer.status };
      });
    },
  };
}
export type ConsumerRegistry = ReturnType<typeof createConsumerRegistry>;

/** The consumers of the built-in seed: the contract's three and the systems a province really has. */
export const SEED_CONSUMERS: NewConsumer[] = [
  { id: 'drc-approval', name: '投资项目在线审批监管平台', organisation: '福建省发展和改革委员会', roles: [], department: null },
  { id: 'market-portal', name: '企业开办一网通办门户', organisation: '福建省市场监督管理局', roles: [], department: null },
  { id: 'auditor', name: '数据共享审计系统', organisation: '福建省大数据管理局', roles: [ROLE.AUDITOR], department: null },
  { id: 'housing-permit', name: '工程建设项目审批管理系统', organisation: '福建省住房和城乡建设厅', roles: [], department: null },
  { id: 'tax-service', name: '金税征管系统', organisation: '国家税务总局福建省税务局', roles: [], department: null },
  { id: 'social-insurance', name: '社会保险经办系统', organisation: '福建省人力资源和社会保障厅', roles: [], department: null },
  { id: DATA_QUALITY_CONSUMER, name: '数据共享校核系统', organisation: '福建省大数据管理局', roles: [], department: null },
  { id: 'dept-persons', name: '自然人库运维', organisation: '福建省公安厅', roles: [ROLE.DEPARTMENT], department: 'persons' },
  { id: 'dept-legal-persons', name: '法人库运维', organisation: '福建省市场监督管理局', roles: [ROLE.DEPARTMENT], department: 'legal-persons' },
  { id: 'dept-geo', name: '空间地理库运维', organisation: '福建省自然资源厅', roles: [ROLE.DEPARTMENT], department: 'geo' },
  { id: 'dept-projects', name: '投资项目库运维', organisation: '福建省发展和改革委员会', roles: [ROLE.DEPARTMENT], department: 'projects' },
  { id: 'dept-credit', name: '信用库运维', organisation: '福建省公共信用信息中心', roles: [ROLE.DEPARTMENT], department: 'credit' },
];
