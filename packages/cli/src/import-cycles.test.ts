import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { findCycles, importGraph, moduleSpecifiers, type ImportGraph } from './test-utils/import-graph.js';

// No file of packages/*/src imports itself through other files (type-only
// imports included). The package graph is kept acyclic by Nx's module
// boundaries; this keeps the files inside each package acyclic too.
const root = resolve(import.meta.dirname, '../../..');
const circle = (c: readonly string[]): string => c.join(' -> ');

describe('file-level import circles', () => {
  it('there are none in packages/*/src', () => {
    const graph = importGraph(root);
    // Sanity: the graph really holds the workspace and its edges, so an empty answer means something.
    expect(graph.get('packages/models/src/net.ts')).toContain('packages/models/src/geometry.ts');
    expect(graph.get('packages/models/src/forward.ts')).toContain('packages/engine/src/index.ts');
    expect(findCycles(graph).map(circle)).toEqual([]);
  });

  it('fails on a circle introduced into the real tree, even through a type-only import', () => {
    // geometry.ts reads the architecture; making it name the Net closes net -> geometry -> net.
    const geometry = resolve(root, 'packages/models/src/geometry.ts');
    const before = new Set(findCycles(importGraph(root)).map(circle));
    const graph = importGraph(root, {
      readSource: (path) => {
        const text = readFileSync(path, 'utf8');
        return path === geometry ? `import type { Net } from './net.js';\n${text}` : text;
      },
    });
    const introduced = findCycles(graph)
      .map(circle)
      .filter((c) => !before.has(c));
    // The circle is reported once, through whichever files close it (forward.ts's imports may lengthen it).
    expect(introduced).toHaveLength(1);
    expect(introduced[0]).toMatch(/packages\/models\/src\/geometry\.ts -> packages\/models\/src\/net\.ts -> /);
  });
});

describe('moduleSpecifiers', () => {
  it('reads every way a TypeScript file names another module', () => {
    const source = [
      "import a from './a.js';",
      "import type { B } from './b.js';",
      "import { type C } from './c.js';",
      "import './side-effect.js';",
      "export * from './d.js';",
      "export type { E } from './e.js';",
      "import f = require('./f.js');",
      "const g = await import('./g.js');",
      "type H = import('./h.js').H;",
      'export const s = \'import("./not-a-module.js")\';',
      '// import x from "./comment.js";',
    ].join('\n');
    expect(moduleSpecifiers(source, 'x.ts')).toEqual(['./a.js', './b.js', './c.js', './side-effect.js', './d.js', './e.js', './f.js', './g.js', './h.js']);
  });
});

describe('importGraph on a scratch workspace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-cycles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  const pkg = (folder: string, name: string, exportsMap: unknown): void =>
    write(`packages/${folder}/package.json`, JSON.stringify({ name, exports: exportsMap }));

  pkg('a', '@x/a', { '.': { development: './src/index.ts', default: './dist/index.js' }, './extra': { development: './src/extra/index.ts' } });
  pkg('b', '@x/b', { '.': { development: './src/index.ts' } });
  write('packages/a/src/index.ts', "export { one } from './one.js';\n");
  write('packages/a/src/one.ts', "import type { Two } from './two.js';\nexport const one = 1;\n");
  write('packages/a/src/two.ts', "export type { One } from './one.js';\nexport type Two = number;\n");
  write('packages/a/src/extra/index.ts', "import { b } from '@x/b';\nexport const extra = b;\n");
  write('packages/a/src/self.ts', "export const self = async () => import('./self.js');\n");
  write(
    'packages/b/src/index.ts',
    "import { z } from 'zod';\nimport { readFileSync } from 'node:fs';\nimport { one } from '@x/a';\nexport const b = [one, z, readFileSync];\n",
  );
  write('packages/b/src/folder/index.ts', 'export const f = 1;\n');
  write('packages/b/src/uses-folder.ts', "import { f } from './folder';\nimport { missing } from './missing.js';\nexport const g = [f, missing];\n");
  write('packages/b/src/types.d.ts', "import type { One } from '../../a/src/two.js';\nexport type D = One;\n");

  const graph = importGraph(dir);

  it('resolves relative imports, folders, workspace packages and their subpath exports, and skips npm, builtins and .d.ts', () => {
    expect(Object.fromEntries(graph)).toEqual({
      'packages/a/src/extra/index.ts': ['packages/b/src/index.ts'],
      'packages/a/src/index.ts': ['packages/a/src/one.ts'],
      'packages/a/src/one.ts': ['packages/a/src/two.ts'],
      'packages/a/src/self.ts': ['packages/a/src/self.ts'],
      'packages/a/src/two.ts': ['packages/a/src/one.ts'],
      'packages/b/src/folder/index.ts': [],
      'packages/b/src/index.ts': ['packages/a/src/index.ts'],
      'packages/b/src/uses-folder.ts': ['packages/b/src/folder/index.ts'],
    });
  });

  it('lists each circle: type-only, re-export and a dynamic self-import', () => {
    expect(findCycles(graph).map(circle)).toEqual([
      'packages/a/src/one.ts -> packages/a/src/two.ts -> packages/a/src/one.ts',
      'packages/a/src/self.ts -> packages/a/src/self.ts',
    ]);
  });

  it('finds a circle that runs through another package', () => {
    write('packages/a/src/index.ts', "export { one } from './one.js';\nexport { extra } from './extra/index.js';\n");
    expect(findCycles(importGraph(dir)).map(circle)).toContain(
      'packages/a/src/extra/index.ts -> packages/b/src/index.ts -> packages/a/src/index.ts -> packages/a/src/extra/index.ts',
    );
  });
});

/** The nontrivial strongly connected components, by brute force: files that reach each other (a file that reaches itself included). */
function tangles(graph: ImportGraph): string[][] {
  const nodes = [...graph.keys()].sort();
  const reach = new Map(nodes.map((n) => [n, new Set(graph.get(n))]));
  for (const k of nodes) for (const i of nodes) if (reach.get(i)!.has(k)) for (const j of reach.get(k)!) reach.get(i)!.add(j);
  const components = new Map<string, string[]>();
  for (const n of nodes) {
    if (!reach.get(n)!.has(n)) continue;
    const members = nodes.filter((m) => reach.get(n)!.has(m) && reach.get(m)!.has(n));
    components.set(members.join(' '), members);
  }
  return [...components.values()];
}

describe('findCycles', () => {
  const graphs = fc.tuple(fc.integer({ min: 1, max: 9 }), fc.array(fc.tuple(fc.nat(8), fc.nat(8)), { maxLength: 20 })).map(([n, edges]) => {
    const graph = new Map<string, string[]>();
    for (let i = 0; i < n; i++) graph.set(`f${i}`, []);
    for (const [a, b] of edges) if (a < n && b < n && !graph.get(`f${a}`)!.includes(`f${b}`)) graph.get(`f${a}`)!.push(`f${b}`);
    return graph;
  });

  it('reports one real circle per tangle of files, starting at its first file', () => {
    fc.assert(
      fc.property(graphs, (graph) => {
        const cycles = findCycles(graph);
        const expected = tangles(graph);
        expect(cycles.map((c) => c[0])).toEqual(expected.map((t) => t[0]));
        for (const [i, c] of cycles.entries()) {
          expect(c.at(-1)).toBe(c[0]);
          for (let j = 0; j + 1 < c.length; j++) expect(graph.get(c[j]!)).toContain(c[j + 1]);
          for (const f of c) expect(expected[i]).toContain(f);
        }
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it('walks a long chain without overflowing the stack', () => {
    const n = 200_000;
    const graph = new Map(Array.from({ length: n }, (_, i) => [`f${i}`, [`f${(i + 1) % n}`]]));
    const [only] = findCycles(graph);
    expect(only?.length).toBe(n + 1);
  });
});
