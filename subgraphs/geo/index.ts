import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { geoContexts, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** Every call's context, counting a gateway request's boundaries across its calls to this process. */
const createContext = geoContexts();

/** 空间地理库: administrative divisions and land parcels, owned by Natural Resources (自然资源). */
export const geo: Department<ReturnType<typeof createContext>> = {
  name: 'geo',
  schemaFile: schemaPath('geo'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
