import fs from 'node:fs';
import path from 'node:path';
import { buildServer, compiledEntry } from '../build-server';

/** Every file under `dir`, recursively. */
const filesUnder = (dir: string): string[] => fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => path.join(dir, f));

describe('the compiled server (dist/)', () => {
  let dist: string;
  beforeAll(() => {
    dist = buildServer();
  });

  it('holds every entry point that npm start and the bench run', () => {
    for (const entry of ['scripts/gateway.ts', 'scripts/subgraph.ts', 'scripts/bench/onesource-open.ts', 'scripts/bench/apollo-gateway.ts', 'scripts/bench/hive-gateway.ts', 'scripts/bench/direct.ts']) {
      expect(fs.existsSync(compiledEntry(entry))).toBe(true);
    }
  });

  it('requires no module of ours that was left out of it', () => {
    // A source file importing from a folder the build does not compile would fail only when a
    // process starts (as the bench's direct baseline once did); here it fails at once.
    const missing: string[] = [];
    for (const file of filesUnder(dist).filter((f) => f.endsWith('.js'))) {
      for (const [, request] of fs.readFileSync(file, 'utf8').matchAll(/require\("(\.{1,2}\/[^"]*)"\)/g)) {
        const target = path.resolve(path.dirname(file), request);
        if (!['.js', '/index.js', ''].some((suffix) => fs.existsSync(target + suffix) && fs.statSync(target + suffix).isFile())) missing.push(`${path.relative(dist, file)} → ${request}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
