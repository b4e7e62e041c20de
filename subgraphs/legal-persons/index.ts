import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { createContext, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** 法人库: legal persons, owned by Market Regulation (市场监管). */
export const legalPersons: Department<ReturnType<typeof createContext>> = {
  name: 'legal-persons',
  schemaFile: schemaPath('legal-persons'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
