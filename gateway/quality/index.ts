import type { Knex } from 'knex';
import type { InternalSigner } from '../../shared/internal-token';
import type { Logger } from '../../shared/logger';
import { ownReads } from '../audit/own-reads';
import type { AuditTrail } from '../audit/trail';
import type { Catalog } from '../catalog/build';

import { departmentAsker } from './ask-department';
import { recordHistory } from './record-history';
import { changeNotices } from './change-notices';
import type { GatewayQuery } from './consistency';
import { EntityReads } from './entity-reads';
import { correctionCheck } from './objection-corrections';
import { createObjectionStore, OpenObjections } from './objections';
import { recordExistence } from './record-existence';
import type { QualityServices } from './resolvers';
import { consistencyRuns } from './runs';

/**
 * Data quality in the gateway: objections and their flags, read receipts for change notices, and
 * the consistency checks, which read through the gateway itself (`query`).
 */
export async function startQuality(deps: {
  db: Knex;
  logger: Logger;
  sign: InternalSigner;
  subgraphUrl: (department: string) => string;
  /** Each department's configured timeout: how long a question to it may take. */
  subgraphTimeoutMs: (department: string) => number;
  catalog: () => Catalog;
  /** Runs an operation through the gateway as the data-quality consumer (bound once the server is up). */
  query: GatewayQuery;
  changeNoticeDays: number;
  /** Where reads of objections and report samples on persons are recorded. */
  trail: AuditTrail;
}) {
  const objections = createObjectionStore(deps.db);
  const open = new OpenObjections(objections, deps.logger);
  await open.start();
  const reads = new EntityReads(deps.db, deps.logger);
  const runs = consistencyRuns(deps.db, deps.query, deps.logger);
  await runs.recover();
  const ask = departmentAsker({ sign: deps.sign, subgraphUrl: deps.subgraphUrl, timeoutMs: deps.subgraphTimeoutMs });
  const services: QualityServices = {
    objections,
    open,
    runs,
    catalog: deps.catalog,
    recordRead: ownReads(deps.trail),
    requireRecord: recordExistence(ask, deps.logger),
    requireCorrection: correctionCheck({ ask, logger: deps.logger, catalog: deps.catalog }),
    changesSince: changeNotices({ ask, reads, days: deps.changeNoticeDays }),
    recordHistory: recordHistory(ask),
  };
  return {
    services,
    reads,
    open,
    async stop() {
      open.stop();
      await reads.stop();
    },
  };
}
