import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readConfig } from '../../../shared/config';
import { openStore } from '../../../shared/db';
import { today } from '../../../shared/identifiers';
import { scaledPlan } from '../../../shared/seed/population';
import { seedDepartments } from '../../../scripts/seeding';

describe('the projects seed', () => {
  it('dates no approval decision after today: the import would refuse one', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onesource-projects-seed-'));
    const config = readConfig({ ONESOURCE_DATA_DIR: dir, ONESOURCE_MYSQL_URL: '' });
    try {
      // 2,500 projects: enough that some were declared late in October 2026, whose steps ran on into December.
      await seedDepartments(config, scaledPlan(50_000), ['projects'], { reset: true });
      const db = await openStore(config, 'projects');
      try {
        const [latest] = await db('approval_steps').max({ day: 'decided_on' });
        expect(latest.day <= today()).toBe(true);
        expect(latest.day >= '2026-10-01').toBe(true);
      } finally {
        await db.destroy();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
