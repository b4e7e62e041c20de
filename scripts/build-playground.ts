import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { build } from 'esbuild';
import { ASSETS_URL_PATH, PLAYGROUND_ASSETS, PLAYGROUND_DIST, PLAYGROUND_INDEX, PLAYGROUND_SOURCE } from '../gateway/playground/paths';

/**
 * Builds the developer portal (GraphiQL and the page around it) into gateway/playground/dist:
 * one hashed JS bundle, one CSS file (fonts and icons inlined), their gzip twins, and index.html. Everything the page
 * needs is in there, so a browser on a closed network asks the gateway and nothing else.
 * Run by `npm install` (prepare), by `npm start` and by the test stack when the build is missing
 * or older than its sources.
 */
export interface PlaygroundBuild {
  files: { name: string; bytes: number; gzipBytes: number }[];
  milliseconds: number;
}

export async function buildPlayground(options: { sourcemap?: boolean } = {}): Promise<PlaygroundBuild> {
  const started = Date.now();
  const result = await build({
    entryPoints: { portal: path.join(PLAYGROUND_SOURCE, 'main.tsx') },
    outdir: PLAYGROUND_ASSETS,
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    publicPath: ASSETS_URL_PATH,
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.eot': 'file', '.svg': 'file', '.png': 'file', '.gif': 'file' },
    sourcemap: options.sourcemap ? 'linked' : false,
    metafile: true,
    write: false,
    logLevel: 'silent',
  });

  const entry = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint !== undefined);
  if (!entry) throw new Error('esbuild produced no entry bundle');
  const [jsPath, { cssBundle }] = entry;
  if (!cssBundle) throw new Error('esbuild produced no style sheet');

  fs.mkdirSync(PLAYGROUND_ASSETS, { recursive: true });
  const written = new Set<string>();
  for (const file of result.outputFiles) {
    writeAtomically(file.path, file.contents);
    written.add(path.basename(file.path));
    // Compressed once here rather than on every request: a county office's line is slow.
    if (/\.(js|css)$/.test(file.path)) {
      writeAtomically(`${file.path}.gz`, zlib.gzipSync(file.contents, { level: 9 }));
      written.add(`${path.basename(file.path)}.gz`);
    }
  }
  const template = fs.readFileSync(path.join(PLAYGROUND_SOURCE, 'index.html'), 'utf8');
  const html = template
    .replace('{{js}}', `${ASSETS_URL_PATH}/${path.basename(jsPath)}`)
    .replace('{{css}}', `${ASSETS_URL_PATH}/${path.basename(cssBundle)}`);
  // index.html last: a page never names a bundle that is not there yet.
  writeAtomically(PLAYGROUND_INDEX, html);
  for (const name of fs.readdirSync(PLAYGROUND_ASSETS)) {
    if (!written.has(name) && !name.endsWith('.tmp')) fs.rmSync(path.join(PLAYGROUND_ASSETS, name), { force: true });
  }

  return {
    files: result.outputFiles
      .filter((f) => !f.path.endsWith('.map'))
      .map((f) => ({ name: path.relative(PLAYGROUND_DIST, f.path), bytes: f.contents.byteLength, gzipBytes: zlib.gzipSync(f.contents).byteLength })),
    milliseconds: Date.now() - started,
  };
}

/** Builds the portal when dist is missing or older than its sources; otherwise does nothing. */
export async function ensurePlaygroundBuilt(): Promise<PlaygroundBuild | undefined> {
  if (isPlaygroundCurrent()) return undefined;
  return buildPlayground();
}

export function isPlaygroundCurrent(): boolean {
  let built: number;
  try {
    built = fs.statSync(PLAYGROUND_INDEX).mtimeMs;
  } catch {
    return false;
  }
  const inputs = [__filename, path.join(__dirname, '..', 'package-lock.json'), ...filesUnder(PLAYGROUND_SOURCE)];
  return inputs.every((file) => {
    try {
      return fs.statSync(file).mtimeMs <= built;
    } catch {
      return true;
    }
  });
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

/** Concurrent builds (parallel test workers) each write whole files; a reader never sees half of one. */
function writeAtomically(file: string, contents: string | Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, contents);
  fs.renameSync(temporary, file);
}

function kilobytes(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

if (require.main === module) {
  buildPlayground({ sourcemap: process.argv.includes('--sourcemap') })
    .then(({ files, milliseconds }) => {
      for (const f of files) console.log(`  ${f.name}  ${kilobytes(f.bytes)} (gzip ${kilobytes(f.gzipBytes)})`);
      console.log(`playground built into ${path.relative(process.cwd(), PLAYGROUND_DIST) || PLAYGROUND_DIST} in ${milliseconds} ms`);
    })
    .catch((e: Error & { errors?: unknown[] }) => {
      console.error(`playground build failed: ${e.message}`);
      process.exit(1);
    });
}
