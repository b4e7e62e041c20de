import type { MissingRecord } from './missing-records';
import type { Consumer } from './consumers';
import type { OperationShape } from './policy/operation-shape';
import type { InternalCaller } from '../shared/internal-token';

/** Who is asking: a registered consumer system, or a citizen asking about themselves. */
export type Principal = { kind: 'SYSTEM'; consumer: Consumer } | { kind: 'CITIZEN'; idNumber: string };

/** What the gateway knows about one request while it plans and runs it. */
export interface GatewayContext {
  requestId: string;
  principal: Principal;
  /** The stated purpose (X-Purpose), needed for conditional fields. */
  purpose?: string;
  /**
   * Reads that keep no read receipts (`quality/entity-reads.ts`): the consistency checks read whole
   * registers and are told of no change, and their million receipts would push every consumer's
   * out of the memory that spares hot records a write.
   */
  keepsNoReadReceipts?: boolean;
  /** Records a department was asked for and does not hold, gathered while the plan runs (`missing-records.ts`). */
  missingRecords?: MissingRecord[];
  /** The response paths (dotted) of the fields the guard refused and of every field under them: not served, so not used. */
  refusedPaths?: ReadonlySet<string>;
  /** The operation as the guard judged it, with what @skip and @include left out for this request's variables. */
  shape?: OperationShape;
}

/** How the audit trail names a citizen: `citizen:<idNumber>`. */
export const citizenId = (idNumber: string) => `citizen:${idNumber}`;

export const principalId = (p: Principal) => (p.kind === 'SYSTEM' ? p.consumer.id : citizenId(p.idNumber));

/** The same name for a caller as the gateway's own subgraph is told it (its internal token): the consumer, or `citizen:<idNumber>`. */
export const callerId = (caller: InternalCaller) => (caller.kind === 'CITIZEN' ? citizenId(caller.subject!) : caller.consumer);
