import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { PROJECT_ROOT } from '../shared/project-root';
import { takesNoArguments } from './takes-no-arguments';

/**
 * Where the compiled server is found (gitignored): `dist/gateway/server.js` for `gateway/server.ts`.
 * `dist` is a link to the build in use, one of those in `BUILDS`.
 */
export const SERVER_BUILD = path.join(PROJECT_ROOT, 'dist');
/** The builds themselves, one folder each (`<pid of the build>-<random>`), gitignored. */
export const BUILDS = path.join(PROJECT_ROOT, '.dist');
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
 * Compiles the server's TypeScript into plain CommonJS, one file for each source file, so that
 * every process `npm start` and the bench run is plain `node dist/…`.
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
  // From empty, in a folder of its own, which `dist` is then pointed at: a module whose source was
  // removed must not live on in an old build, and a process another `npm start` or test run starts
  // (or restarts) meanwhile must never find `dist/` half written or gone.
  fs.mkdirSync(BUILDS, { recursive: true });
  const build = fs.mkdtempSync(path.join(BUILDS, `${process.pid}-`));
  fs.chmodSync(build, 0o755); // mkdtemp's 0700 would keep a department run as another user out
  buildSync({
    entryPoints,
    outdir: build,
    outbase: PROJECT_ROOT,
    format: 'cjs',
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    // Stack traces name the compiled line; `NODE_OPTIONS=--enable-source-maps` maps them to the sources.
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  pointAt(build);
  removeBuildsNotInUse();
  return SERVER_BUILD;
}

/**
 * Points `dist` at `build` in one step: a new link renamed over the old one, which Linux does
 * atomically, so `dist/…` always resolves, even while two builds swap at once (a folder cannot be
 * swapped so: renaming the old one away and the new one in leaves a moment with neither).
 */
function pointAt(build: string): void {
  const link = `${build}.link`;
  fs.symlinkSync(path.relative(PROJECT_ROOT, build), link);
  try {
    fs.renameSync(link, SERVER_BUILD);
  } catch (e) {
    // `dist` is still the folder a build from before links left: moved among the builds, once.
    if ((e as NodeJS.ErrnoException).code !== 'EISDIR') throw e;
    fs.renameSync(SERVER_BUILD, path.join(BUILDS, `${process.pid}-folder`));
    fs.renameSync(link, SERVER_BUILD);
  }
}

/**
 * A process started from a build loads its modules from that build's folder (Node follows the
 * link once, at its entry point) for as long as it takes to start; ours require nothing later.
 */
const STARTING_UP_MS = 60_000;

/**
 * Removes the builds that are no longer in use: `dist` points elsewhere, no build is still writing
 * them (it may be about to point `dist` at them), and they were finished long enough ago that no
 * process started from them is still loading its modules.
 */
function removeBuildsNotInUse(): void {
  const inUse = path.resolve(PROJECT_ROOT, fs.readlinkSync(SERVER_BUILD));
  for (const name of fs.readdirSync(BUILDS)) {
    const build = path.join(BUILDS, name);
    if (build === inUse) continue;
    const builder = Number.parseInt(name, 10);
    if (builder !== process.pid && isRunning(builder)) continue;
    const finished = fs.lstatSync(build, { throwIfNoEntry: false })?.mtimeMs; // another build's cleanup may have been first
    if (finished === undefined || Date.now() - finished < STARTING_UP_MS) continue;
    fs.rmSync(build, { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
