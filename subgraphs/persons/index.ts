import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { createContext, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** 自然人库: natural persons, owned by Public Security (公安). */
export const persons: Department<ReturnType<typeof createContext>> = {
  name: 'persons',
  schemaFile: schemaPath('persons'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
