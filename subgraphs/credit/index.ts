import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { createContext, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** 信用库: credit profiles of persons and legal persons, owned by the Credit Centre (信用中心). */
export const credit: Department<ReturnType<typeof createContext>> = {
  name: 'credit',
  schemaFile: schemaPath('credit'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
