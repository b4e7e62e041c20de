import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { readConfig } from '../../shared/config';
import type { InternalCaller } from '../../shared/internal-token';
import { Department, openDepartmentStore } from '../../shared/subgraph-server';

/** A department's own store, on SQLite in a directory of its own, migrated: for its own rules, without the gateway. */
export async function temporaryDepartmentStore(department: Pick<Department, 'name' | 'migrations'>): Promise<{ db: Knex; remove(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `onesource-${department.name}-`));
  const db = await openDepartmentStore(readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' }), department);
  return {
    db,
    async remove() {
      await db.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The department's own operator, as its internal token names it. */
export const departmentOperator = (department: Pick<Department, 'name'>): InternalCaller => ({
  consumer: `dept-${department.name}`, kind: 'SYSTEM', roles: ['DEPARTMENT'], department: department.name,
});
