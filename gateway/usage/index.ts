import type { ApolloServerPlugin } from '@apollo/server';
import type { Knex } from 'knex';
import type { Logger } from '../../shared/logger';
import type { GatewayContext } from '../context';
import type { CallObserver } from '../operations/subgraph-calls';
import { FieldOwners } from './owners';
import { usageConsumer, usagePlugin } from './plugin';
import type { UsageSource } from './query';
import { UsageRecorder } from './recorder';

export interface UsageRecording {
  plugin: ApolloServerPlugin<GatewayContext>;
  /** For the data sources: each call to a department, timed. */
  observeCall: CallObserver;
  /** For the sharing subgraph's usageReport. */
  source: UsageSource;
  /** Follows the supergraph being served, so a new field is counted under its owner at once. */
  useSupergraph(supergraphSdl: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Usage statistics of one gateway: counted in memory, written to its store every few seconds. */
export function usageRecording(db: Knex, logger: Logger, supergraphSdl: string, flushEveryMs = 5000): UsageRecording {
  let owners = FieldOwners.fromSupergraph(supergraphSdl);
  const recorder = new UsageRecorder(db, logger, flushEveryMs);
  recorder.start();
  return {
    plugin: usagePlugin(recorder, () => owners),
    observeCall: ({ department, context, ms, ok }) => recorder.recordCall({ at: new Date(), consumer: usageConsumer(context), department, ms, ok }),
    source: { flush: () => recorder.flush(), owners: () => owners },
    useSupergraph(sdl) {
      try {
        owners = FieldOwners.fromSupergraph(sdl);
      } catch (error) {
        logger.warn({ err: error }, 'usage statistics keep the previous field owners: the new supergraph could not be read');
      }
    },
    flush: () => recorder.flush(),
    stop: () => recorder.stop(),
  };
}
