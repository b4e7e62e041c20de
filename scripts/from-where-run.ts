import path from 'node:path';

/**
 * A file the operator named, as an absolute path. `npm run` starts a script in the project's root,
 * so a relative path means where the operator was: npm's INIT_CWD (without npm, the current directory).
 */
export function fromWhereRun(file: string): string {
  return path.resolve(process.env.INIT_CWD || process.cwd(), file);
}
