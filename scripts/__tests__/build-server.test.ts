import { execFileSync } from 'node:child_process';
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

  it('remembers the operations Apollo Gateway executes, compiled as under ts-jest', () => {
    // esbuild compiles `import * as` to a copy of the module: the memo must replace the original.
    const script = `const memo = require(${JSON.stringify(path.join(dist, 'gateway/operation-memo.js'))});
      const before = require('@apollo/federation-internals').operationFromDocument;
      process.stdout.write(JSON.stringify([memo.rememberExecutedOperations(), require('@apollo/federation-internals').operationFromDocument !== before]));`;
    expect(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))).toEqual([true, true]);
  });
});
