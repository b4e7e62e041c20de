import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's folder, where the SDL files, the portal and `.data` are. The code runs either from
 * its sources (this file is `<root>/shared/project-root.ts`) or compiled into `<root>/dist/`
 * (`<root>/dist/shared/project-root.js`, scripts/build-server.ts): files that are not code are
 * always read from the sources, so a department's edited schema is seen without a rebuild.
 */
export const PROJECT_ROOT = ((above: string) => (fs.existsSync(path.join(above, 'package.json')) ? above : path.dirname(above)))(path.join(__dirname, '..'));

/** A path inside the project, as in the source tree. */
export function projectPath(...segments: string[]): string {
  return path.join(PROJECT_ROOT, ...segments);
}
