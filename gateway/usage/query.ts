import { GraphQLError } from 'graphql';
import type { Knex } from 'knex';
import { DEPARTMENTS } from '../../shared/departments';
import { badUserInput } from '../../shared/errors';
import type { InternalCaller } from '../../shared/internal-token';
import { ROLE } from '../consumers';
import type { FieldOwners } from './owners';
import { UsageReport, usageReport } from './report';

/** What the sharing subgraph needs of the gateway's usage recording. */
export interface UsageSource {
  /** Writes what is counted in memory, so a report includes every request answered before it. */
  flush(): Promise<void>;
  owners(): FieldOwners;
}

/** The longest window a report looks back over for unused items (ten years), here and in `npm run report`. */
export const MAX_DAYS = 3660;

/** `usageReport(from, to, unusedForDays)`: auditors see everything, a department operator its own rows. */
export async function answerUsageReport(
  db: Knex,
  caller: InternalCaller,
  usage: UsageSource | undefined,
  args: { from: string; to: string; unusedForDays?: number | null },
): Promise<UsageReport> {
  const auditor = caller.kind === 'SYSTEM' && caller.roles.includes(ROLE.AUDITOR);
  const department = caller.kind === 'SYSTEM' && caller.roles.includes(ROLE.DEPARTMENT) ? caller.department : undefined;
  if (!auditor && !department) {
    throw new GraphQLError('Usage statistics are open to auditors and to department operators (for their own department)', { extensions: { code: 'FORBIDDEN' } });
  }
  if (args.from > args.to) throw badUserInput(`from (${args.from}) is after to (${args.to})`);
  const unusedForDays = args.unusedForDays ?? 90;
  if (!Number.isInteger(unusedForDays) || unusedForDays < 1 || unusedForDays > MAX_DAYS) throw badUserInput(`unusedForDays must lie in [1, ${MAX_DAYS}]`);
  if (!usage) throw new GraphQLError('Usage statistics are not recorded by this gateway', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  await usage.flush();
  return usageReport(db, {
    from: args.from,
    to: args.to,
    department: auditor ? undefined : department,
    unusedForDays,
    owners: usage.owners(),
    departments: DEPARTMENTS.map((d) => d.name),
  });
}
