import { projectPath } from './project-root';
/** The five departments of the contract: folder name, default port, and who owns it. */
export const DEPARTMENTS = [
  { name: 'persons', port: 4001, owner: 'Public Security 公安', store: '自然人库' },
  { name: 'legal-persons', port: 4002, owner: 'Market Regulation 市场监管', store: '法人库' },
  { name: 'geo', port: 4003, owner: 'Natural Resources 自然资源', store: '空间地理库' },
  { name: 'projects', port: 4004, owner: 'Development & Reform 发展改革', store: '投资项目库' },
  { name: 'credit', port: 4005, owner: 'Credit Centre 信用中心', store: '信用库' },
] as const;

export type DepartmentName = (typeof DEPARTMENTS)[number]['name'];

export function isDepartmentName(name: string): name is DepartmentName {
  return DEPARTMENTS.some((d) => d.name === name);
}

/** Who owns a department's store, as errors name it: "Public Security 公安". */
export function departmentOwner(name: DepartmentName): string {
  return DEPARTMENTS.find((d) => d.name === name)!.owner;
}

/** `legal-persons` -> `LEGAL_PERSONS`, for environment variable names. */
export function envName(name: DepartmentName): string {
  return name.toUpperCase().replace(/-/g, '_');
}

/** The SDL a department publishes: read by its own server and by composition. */
export function schemaPath(name: DepartmentName): string {
  return projectPath('subgraphs', name, 'schema.graphql');
}
