import { spawnSync } from 'node:child_process';
import { PROJECT_ROOT } from '../project-root';

/** The JSON lines a process logs (on stderr) running `script` with a debug logger `log`. */
function logged(script: string): Record<string, any>[] {
  const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', `const log = require('./shared/logger').createLogger('test', 'debug'); ${script}`], {
    cwd: PROJECT_ROOT, encoding: 'utf8',
  });
  return run.stderr.trim().split('\n').map((line) => JSON.parse(line));
}

describe('the logs keep no personal data', () => {
  it("leave out the SQL a failed query quotes, and every run of an idNumber's digits, wherever they are", () => {
    const lines = logged(`
      const failed = new Error("select * from natural_persons where id_number in ('350426195905090695') and name = '黄振坤' - SQLITE_ERROR: no such table: natural_persons");
      failed.sql = "select * from natural_persons where name = '黄振坤'";
      log.error({ err: failed, subjects: ['350426195905090695'], nested: { operationName: 'P35042619590509069X' } }, 'resolver failed');
      log.info('answered 350426195905090695');
    `);
    const text = JSON.stringify(lines);
    expect(text).not.toMatch(/3504261959050906|黄振坤|natural_persons where/);
    expect(lines[0]).toMatchObject({
      msg: 'resolver failed', subjects: ['[digits]'], nested: { operationName: 'P[digits]' },
      err: { type: 'Error', message: '[SQL] - SQLITE_ERROR: no such table: natural_persons', stack: expect.stringMatching(/^Error: \[SQL\] - SQLITE_ERROR: no such table: natural_persons\n {4}at /) },
    });
    expect(lines[0].err.sql).toBeUndefined();
    expect(lines[1].msg).toBe('answered [digits]');
  });
});
