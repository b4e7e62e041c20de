import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's folder, where the SDL files, the portal and `.data` are: the nearest folder above
 * this file with a package.json. The code runs either from its sources (this file is
 * `<root>/shared/project-root.ts`) or compiled (`<root>/.dist/<build>/shared/project-root.js`,
 * reached through the link `<root>/dist`: scripts/build-server.ts): files that are not code are
 * always read from the sources, so a department's edited schema is seen without a rebuild.
 */
export const PROJECT_ROOT = projectRootAbove(__dirname);

function projectRootAbove(folder: string): string {
  for (let dir = folder; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in ${folder} or any folder above it`);
  }
}

/** A path inside the project, as in the source tree. */
export function projectPath(...segments: string[]): string {
  return path.join(PROJECT_ROOT, ...segments);
}
