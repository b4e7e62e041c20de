import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from '../shared/project-root';

/** Where the compiled server goes (gitignored): `dist/gateway/server.js` for `gateway/server.ts`. */
export const SERVER_BUILD = path.join(PROJECT_ROOT, 'dist');
/**
 * The folders of server code. Of the tests, only their support, for the operations approval systems
 * send (`tests/support/operations.ts`), which the bench sends too. The portal's browser sources are
 * bundled apart (scripts/build-playground.ts).
 */
const SOURCE_FOLDERS = ['gateway', 'shared', 'subgraphs', 'scripts', path.join('tests', 'support')];
const NOT_SERVER_CODE = /(^|\/)(__tests__|playground\/src|playground\/dist)(\/|$)/;

/**
 * Compiles the server's TypeScript into plain CommonJS under `dist/`, one file for each source
 * file, so that every process `npm start` and the bench run is plain `node dist/…`.
 *
 * Why not run the sources through tsx, as the scripts do: tsx stays on the request path. Every
 * `require()` made while serving goes through its resolver, and Apollo's hashing calls
 * `module.require("crypto")` for every hash: 2.4 µs under tsx against 0.3 µs under plain node
 * (BENCHMARKS.md). The compiler is esbuild, the one tsx itself uses, with the same output format,
 * so the compiled code behaves as the sources do under tsx; the type check stays with `tsc`.
 * About half a second; done afresh every time processes are started, so it is never stale.
 */
export function buildServer(): string {
  const entryPoints = SOURCE_FOLDERS.flatMap((folder) => sourceFiles(path.join(PROJECT_ROOT, folder)));
  // From empty: a module whose source was removed must not live on in an old build.
  fs.rmSync(SERVER_BUILD, { recursive: true, force: true });
  buildSync({
    entryPoints,
    outdir: SERVER_BUILD,
    outbase: PROJECT_ROOT,
    format: 'cjs',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    // Stack traces name the compiled line; `NODE_OPTIONS=--enable-source-maps` maps them to the sources.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  return SERVER_BUILD;
}

function sourceFiles(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts') && !NOT_SERVER_CODE.test(file.split(path.sep).join('/')))
    .map((file) => path.join(folder, file));
}

/** The compiled file of a source entry point: `scripts/gateway.ts` → `<root>/dist/scripts/gateway.js`. */
export function compiledEntry(entry: string): string {
  return path.join(SERVER_BUILD, entry.replace(/\.ts$/, '.js'));
}

// `npm run build`: compile once, for a process started by hand (README, "Running one department's subgraph").
if (require.main === module) console.log(`compiled the server into ${buildServer()}`);
