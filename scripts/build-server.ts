import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from '../shared/project-root';
import { takesNoArguments } from './takes-no-arguments';

/** Where the compiled server goes (gitignored): `dist/gateway/server.js` for `gateway/server.ts`. */
export const SERVER_BUILD = path.join(PROJECT_ROOT, 'dist');
/**
 * The folders of server code. Of the tests, only their support, for the operations approval systems
 * send (`tests/support/operations.ts`), which the bench sends too. The portal's browser sources are
 * bundled apart (scripts/build-playground.ts).
 */
const SOURCE_FOLDERS = ['gateway', 'shared', 'subgraphs', 'scripts', path.join('tests', 'support')];
const NOT_SERVER_CODE = /(^|\/)(__tests__|playground\/src|playground\/dist)(\/|$)/;
/** Of the portal's sources, the ready-made operations are data the server uses too (`npm run check` judges them). */
const SHARED_WITH_SERVER = new Set([path.join('gateway', 'playground', 'src', 'operations.ts')]);

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
  // From empty, beside the build in use, which is then swapped for it: a module whose source was
  // removed must not live on in an old build, and a process another `npm start` or test run starts
  // (or restarts) meanwhile must never find `dist/` half written or gone.
  const staging = `${SERVER_BUILD}.${process.pid}.new`;
  fs.rmSync(staging, { recursive: true, force: true });
  buildSync({
    entryPoints,
    outdir: staging,
    outbase: PROJECT_ROOT,
    format: 'cjs',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    // Stack traces name the compiled line; `NODE_OPTIONS=--enable-source-maps` maps them to the sources.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  swapInto(staging, SERVER_BUILD);
  return SERVER_BUILD;
}

/** Puts the build at `staging` in `target`'s place, with only the moment between two renames without one. */
function swapInto(staging: string, target: string): void {
  const retired: string[] = [];
  for (let attempt = 0; ; attempt++) {
    const away = `${target}.${process.pid}.${attempt}.old`;
    try {
      fs.renameSync(target, away);
      retired.push(away);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    try {
      fs.renameSync(staging, target);
      break;
    } catch (e) {
      // Another build put its own in place between our two renames: take it away again.
      if (attempt >= 5 || !['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
  }
  for (const old of retired) fs.rmSync(old, { recursive: true, force: true });
}

function sourceFiles(folder: string): string[] {
  return fs
    .readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .map((file) => path.join(folder, file))
    .filter((file) => {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) return false;
      const fromRoot = path.relative(PROJECT_ROOT, file);
      return SHARED_WITH_SERVER.has(fromRoot) || !NOT_SERVER_CODE.test(fromRoot.split(path.sep).join('/'));
    });
}

/** The compiled file of a source entry point: `scripts/gateway.ts` → `<root>/dist/scripts/gateway.js`. */
export function compiledEntry(entry: string): string {
  return path.join(SERVER_BUILD, entry.replace(/\.ts$/, '.js'));
}

// `npm run build`: compile once, for a process started by hand (README, "Running one department's subgraph").
if (require.main === module) {
  takesNoArguments('build', 'Compiles the server (gateway, subgraphs, scripts) into dist/, for a process started by hand; npm start compiles it itself.');
  console.log(`compiled the server into ${buildServer()}`);
}
