import type { Knex } from 'knex';

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

export function createConsumerRegistry(db: Knex) {
  return {
    async byId(id: string): Promise<Consumer | null> {
      const row: ConsumerRow | undefined = await db('consumers').where('id', id).first();
      return row ? toConsumer(row) : null;
    },
    async all(): Promise<Consumer[]> {
      return ((await db('consumers').orderBy('id')) as ConsumerRow[]).map(toConsumer);
    },
  };
}
export type ConsumerRegistry = ReturnType<typeof createConsumerRegistry>;

/** The consumers of the built-in seed: the contract's three and the systems a province really has. */
export const SEED_CONSUMERS: Omit<Consumer, 'status'>[] = [
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
