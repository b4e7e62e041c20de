import type { Config } from '../shared/config';
import type { DepartmentName } from '../shared/departments';
import { dropStore } from '../shared/db';
import { openDepartmentStore, SeedPlan, SeedProgress } from '../shared/subgraph-server';
import { departments } from '../subgraphs';

export interface SeedOptions {
  /** Leave a department's store alone when it already holds data. */
  ifEmpty?: boolean;
  /** Drop each store first. */
  reset?: boolean;
  progress?: (department: DepartmentName) => SeedProgress;
}

/**
 * Seeds each named department's own store, all five at once; each department's seed writes only
 * its own data. Returns the departments that were seeded.
 */
export async function seedDepartments(
  config: Config,
  plan: SeedPlan,
  names: readonly DepartmentName[],
  options: SeedOptions = {},
): Promise<DepartmentName[]> {
  const seeded = await Promise.all(
    names.map(async (name) => {
      const department = departments[name];
      if (options.reset) await dropStore(config, name);
      const db = await openDepartmentStore(config, department);
      try {
        if (await department.isSeeded(db)) {
          if (options.ifEmpty) return null;
          throw new Error(`the ${name} store already holds data: use --reset to replace it`);
        }
        await department.seed(db, plan, options.progress?.(name) ?? (() => {}));
        return name;
      } finally {
        await db.destroy();
      }
    }),
  );
  return seeded.filter((n): n is DepartmentName => n !== null);
}
