import { Command } from 'commander';
import { readConfig } from '../shared/config';
import { DEPARTMENTS } from '../shared/departments';
import { Consumer, ConsumerRegistry, createConsumerRegistry, DATA_QUALITY_CONSUMER, ROLE, ROLES } from '../gateway/consumers';
import { REGISTRY_CACHE_MS } from '../gateway/auth/consumer-token';
import { openExistingGatewayStore } from './cli-options';
import { exitOnWrongUsage } from './exit';

/**
 * `npm run consumers -- <list|add|suspend|activate>`: the operator's hand on the gateway's consumer
 * registry, in the gateway's own store (the same ONESOURCE_* settings as the gateway). Registering
 * a system gives it no grant: conditional resources go through the application the owning
 * department decides, as 国发〔2016〕51号 requires. Exit code 0 done, 1 refused or failed.
 */

const departmentNames = DEPARTMENTS.map((d) => d.name).join(', ');

/** `--role` may be given again and again, or as a comma-separated list. */
const collectRoles = (value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map((r) => r.trim()).filter(Boolean)];

const program = new Command('consumers')
  .description("Register, list, suspend and reactivate the consumer systems in the gateway's registry.")
  .addHelpText('after', `
Run it where the gateway's store is, with the gateway's settings (ONESOURCE_DATA_DIR, or
ONESOURCE_MYSQL_URL / ONESOURCE_GATEWAY_MYSQL_URL and ONESOURCE_DB_PREFIX); start the gateway once
to create the store.

Registering gives no grant: a new consumer reads unconditionally shared fields only. For a
conditional resource it applies (applyForAccess, stating its purpose) and the owning department
decides (decideAccessApplication). Department operators are consumers with the ${ROLE.DEPARTMENT}
role and their department; the consistency checks read as "${DATA_QUALITY_CONSUMER}".

Exit code: 0 done, 1 refused (nothing changed) or failed, 2 wrong usage.`)
  // Wrong usage (an unknown option or command, a missing argument) is exit code 2, as for every command.
  .exitOverride(exitOnWrongUsage);

/** Opens the registry in the gateway's existing store, runs `work` on it and closes the store. */
async function withRegistry(work: (registry: ConsumerRegistry) => Promise<void>): Promise<void> {
  const db = await openExistingGatewayStore(readConfig());
  try {
    await work(createConsumerRegistry(db));
  } finally {
    await db.destroy();
  }
}

program
  .command('list')
  .description('List every registered consumer: id, name, organisation, roles, department, status.')
  .action(() => withRegistry(async (registry) => {
    const consumers = await registry.all();
    if (!consumers.length) {
      console.log('No consumer system is registered: add one with npm run consumers -- add <id> --name <name> --organisation <organisation>');
      return;
    }
    console.log(table(['ID', 'NAME', 'ORGANISATION', 'ROLES', 'DEPARTMENT', 'STATUS'], consumers.map((c) => [
      c.id, c.name, c.organisation, c.roles.join(',') || '-', c.department ?? '-', c.status,
    ])));
  }));

program
  .command('add')
  .description('Register a consumer system, ACTIVE and with no grant (grants come from applications the owning department decides).')
  .argument('<id>', "the system's id, the `sub` of its tokens: letters, digits, '.', '_', '-' (at most 64)")
  .requiredOption('--name <name>', "the system's name, e.g. 工程建设项目审批管理系统")
  .requiredOption('--organisation <organisation>', 'the organisation that runs it, e.g. 福建省住房和城乡建设厅')
  .option('--role <role>', `${ROLES.join(' or ')}; repeat it for both`, collectRoles)
  .option('--department <department>', `for the ${ROLE.DEPARTMENT} role, the department it operates: ${departmentNames}`)
  .action((id: string, options: { name: string; organisation: string; role?: string[]; department?: string }) => withRegistry(async (registry) => {
    const consumer = await registry.register({
      id, name: options.name, organisation: options.organisation, roles: options.role ?? [], department: options.department ?? null,
    });
    console.log(`Registered ${describe(consumer)}.`);
    console.log('It holds no grant: it reads unconditionally shared fields; for a conditional resource it applies (applyForAccess) and the owning department decides.');
  }));

program
  .command('suspend')
  .description(`Suspend a consumer: the gateway refuses its requests (within ${REGISTRY_CACHE_MS / 1000} s); its grants are kept.`)
  .argument('<id>', 'a registered consumer')
  .action((id: string) => withRegistry((registry) => changeStatus(registry, id, 'SUSPENDED')));

program
  .command('activate')
  .description('Reactivate a suspended consumer: it is served again, with the grants it held.')
  .argument('<id>', 'a registered consumer')
  .action((id: string) => withRegistry((registry) => changeStatus(registry, id, 'ACTIVE')));

async function changeStatus(registry: ConsumerRegistry, id: string, status: Consumer['status']): Promise<void> {
  const { consumer, was } = await registry.setStatus(id, status);
  if (was === status) {
    console.log(`${id} was already ${status}: nothing changed.`);
  } else if (status === 'SUSPENDED') {
    console.log(`Suspended ${describe(consumer)}: its requests are refused within ${REGISTRY_CACHE_MS / 1000} s; its grants are kept.`);
  } else {
    console.log(`Activated ${describe(consumer)}.`);
  }
}

function describe(c: Consumer): string {
  const roles = c.roles.length ? `roles ${c.roles.join(',')}` : 'no role';
  return `${c.id}: ${c.name} (${c.organisation}), ${roles}${c.department ? `, department ${c.department}` : ''}, ${c.status}`;
}

/** Columns in a terminal: CJK characters take two cells, so the names line up. */
function table(header: string[], rows: string[][]): string {
  const cells = (text: string) => [...text].reduce((n, ch) => n + (isWide(ch.codePointAt(0)!) ? 2 : 1), 0);
  const widths = header.map((h, i) => Math.max(cells(h), ...rows.map((r) => cells(r[i]))));
  const line = (row: string[]) => row.map((text, i) => (i === row.length - 1 ? text : text + ' '.repeat(widths[i] - cells(text)))).join('  ');
  return [header, ...rows].map(line).join('\n');
}

function isWide(code: number): boolean {
  return (code >= 0x1100 && code <= 0x115f) || (code >= 0x2e80 && code <= 0xa4cf) || (code >= 0xac00 && code <= 0xd7a3)
    || (code >= 0xf900 && code <= 0xfaff) || (code >= 0xfe30 && code <= 0xfe4f) || (code >= 0xff00 && code <= 0xff60)
    || (code >= 0xffe0 && code <= 0xffe6) || (code >= 0x20000 && code <= 0x3fffd);
}

program.parseAsync().catch((e) => {
  console.error(`consumers: ${e.message}`);
  process.exit(1);
});
