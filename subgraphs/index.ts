import type { DepartmentName } from '../shared/departments';
import type { Department } from '../shared/subgraph-server';
import { credit } from './credit';
import { geo } from './geo';
import { legalPersons } from './legal-persons';
import { persons } from './persons';
import { projects } from './projects';

/** The five departments, by folder name. Only scripts and tests reach across all of them. */
export const departments: Record<DepartmentName, Department<any>> = {
  persons,
  'legal-persons': legalPersons,
  geo,
  projects,
  credit,
};
