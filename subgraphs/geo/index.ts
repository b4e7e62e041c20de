import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { geoContexts, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** 空间地理库: administrative divisions and land parcels, owned by Natural Resources (自然资源). */
const createContext = geoContexts();

export const geo: Department<ReturnType<typeof createContext>> = {
  name: 'geo',
  schemaFile: schemaPath('geo'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
