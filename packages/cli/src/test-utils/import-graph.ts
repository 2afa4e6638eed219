import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/**
 * The file-level import graph of the workspace's sources (packages/<pkg>/src),
 * and the import circles in it. A circle between files makes a module see
 * another half-initialised, and makes a file impossible to read without the one
 * that reads it; tfjs' lint bans them for that reason (see docs/style). The
 * package graph is kept acyclic by @nx/enforce-module-boundaries; this checks
 * the files inside, type-only imports included, since a type circle is the
 * same tangle for the reader even if the compiler erases it.
 */

/** File (relative to the workspace root, '/'-separated) -> the workspace files it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Every module a file names: static imports and re-exports (type-only ones too),
 * `import x = require()`, dynamic `import()` calls and `import('x')` types.
 */
export function moduleSpecifiers(source: string, fileName: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expr = node.moduleReference.expression;
      if (ts.isStringLiteral(expr)) found.push(expr.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) found.push(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** Where a workspace package's entry points are: its folder and its `exports` map. */
interface WorkspacePackage {
  readonly dir: string;
  readonly exports: Readonly<Record<string, unknown>>;
}

/** Options for building the graph; `readSource` lets a test change one file's text without touching the disk. */
export interface ImportGraphOptions {
  readonly readSource?: (absolutePath: string) => string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|tsx|mts|cts)$/.test(name) && !/\.d\.[mc]?ts$/.test(name)) out.push(path);
  }
  return out;
}

function workspacePackages(root: string): Map<string, WorkspacePackage> {
  const packages = new Map<string, WorkspacePackage>();
  const base = join(root, 'packages');
  for (const name of readdirSync(base).sort()) {
    const manifest = join(base, name, 'package.json');
    if (!existsSync(manifest)) continue;
    const json: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
    if (typeof json !== 'object' || json === null || !('name' in json) || typeof json.name !== 'string') continue;
    const exportsMap = 'exports' in json && typeof json.exports === 'object' && json.exports !== null ? json.exports : {};
    packages.set(json.name, { dir: join(base, name), exports: { ...exportsMap } });
  }
  return packages;
}

/** The source file a workspace package's export resolves to, under the `development` condition vitest and the typecheck use. */
function packageEntry(pkg: WorkspacePackage, subpath: string): string | undefined {
  const entry = pkg.exports[subpath];
  const target =
    typeof entry === 'string'
      ? entry
      : typeof entry === 'object' && entry !== null
        ? (Object.entries(entry).find(([condition]) => condition === 'development')?.[1] ??
          Object.entries(entry).find(([condition]) => condition === 'types')?.[1])
        : undefined;
  return typeof target === 'string' ? resolve(pkg.dir, target) : undefined;
}

/** A relative specifier as TypeScript's NodeNext resolution reads it: './x.js' is './x.ts'; a folder means its index. */
function resolveRelative(from: string, specifier: string, exists: (path: string) => boolean): string | undefined {
  const base = resolve(dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.cjs$/, '.cts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  return candidates.find((c) => /\.(ts|tsx|mts|cts)$/.test(c) && exists(c));
}

function resolveSpecifier(
  from: string,
  specifier: string,
  packages: ReadonlyMap<string, WorkspacePackage>,
  exists: (path: string) => boolean,
): string | undefined {
  if (specifier.startsWith('./') || specifier.startsWith('../')) return resolveRelative(from, specifier, exists);
  for (const [name, pkg] of packages) {
    if (specifier === name) return packageEntry(pkg, '.');
    if (specifier.startsWith(`${name}/`)) return packageEntry(pkg, `.${specifier.slice(name.length)}`);
  }
  return undefined; // a package from npm or a Node builtin: outside the graph
}

/** The import graph of every packages/<pkg>/src file under `root`, with imports of other workspace packages followed to their sources. */
export function importGraph(root: string, options: ImportGraphOptions = {}): ImportGraph {
  const read = options.readSource ?? ((path: string) => readFileSync(path, 'utf8'));
  const packages = workspacePackages(root);
  const files = [...packages.values()].flatMap((pkg) => (existsSync(join(pkg.dir, 'src')) ? sourceFiles(join(pkg.dir, 'src')) : []));
  const known = new Set(files);
  const exists = (path: string): boolean => known.has(path);
  const name = (path: string): string => relative(root, path).split('\\').join('/');
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = new Set<string>();
    for (const specifier of moduleSpecifiers(read(file), file)) {
      const target = resolveSpecifier(file, specifier, packages, exists);
      if (target !== undefined && known.has(target)) targets.add(name(target));
    }
    graph.set(name(file), [...targets].sort());
  }
  return graph;
}

/**
 * One circle per strongly connected component of the graph (Tarjan 1972,
 * "Depth-first search and linear graph algorithms"), as the shortest path from
 * the component's first file (alphabetically) back to itself, first file
 * repeated at the end. Every file of a component lies on some circle through
 * the others, so one circle per component names every tangle; listing every
 * elementary circle instead can take exponentially many lines. Sorted, so the
 * report is the same on every run.
 */
export function findCycles(graph: ImportGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const edges = (node: string): readonly string[] => graph.get(node) ?? [];

  // Iterative Tarjan, so a long import chain cannot overflow the call stack.
  for (const start of [...graph.keys()].sort()) {
    if (index.has(start)) continue;
    const work: { node: string; next: number }[] = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work.at(-1)!;
      const targets = edges(frame.node);
      if (frame.next < targets.length) {
        const target = targets[frame.next++]!;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter++);
          stack.push(target);
          onStack.add(target);
          work.push({ node: target, next: 0 });
        } else if (onStack.has(target)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, index.get(target)!));
        }
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        const selfLoop = component.length === 1 && edges(frame.node).includes(frame.node);
        if (component.length > 1 || selfLoop) components.push(component.sort());
      }
    }
  }
  return components.map((component) => shortestCircle(graph, component)).sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** Breadth-first search inside one component, from its first file back to it. */
function shortestCircle(graph: ImportGraph, component: readonly string[]): string[] {
  const start = component[0]!;
  const members = new Set(component);
  const parent = new Map<string, string>();
  const queue = [start];
  for (let head = 0; head < queue.length; head++) {
    const node = queue[head]!;
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const back = [node];
        while (back.at(-1) !== start) back.push(parent.get(back.at(-1)!)!);
        return [...back.reverse(), start];
      }
      if (!parent.has(target)) {
        parent.set(target, node);
        queue.push(target);
      }
    }
  }
  throw new Error(`internal: no circle through ${start} in its own strongly connected component`);
}
