import { schemaPath } from '../../shared/departments';
import type { Department } from '../../shared/subgraph-server';
import { migrations } from './migrations';
import { createContext, resolvers } from './resolvers';
import { isSeeded, seed } from './seed';

/** 投资项目库: investment projects, owned by Development & Reform (发展改革). */
export const projects: Department<ReturnType<typeof createContext>> = {
  name: 'projects',
  schemaFile: schemaPath('projects'),
  resolvers,
  migrations,
  createContext,
  isSeeded,
  seed,
};
