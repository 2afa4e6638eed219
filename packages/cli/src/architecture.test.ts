import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency direction is enforced by @nx/enforce-module-boundaries with
// project tags (eslint.config.mjs). This checks that the rule really fires.
const root = resolve(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function boundaryErrors(pkg: string, importFrom: string): Promise<string[]> {
  const code = `import type {} from '${importFrom}';\nexport const probe = 1;\n`;
  const [result] = await eslint.lintText(code, { filePath: resolve(root, `packages/${pkg}/src/__boundary_probe.ts`) });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('package boundaries', () => {
  it.each([
    ['scorers', '@prunelab/runner'],
    ['projection', '@prunelab/core'],
    ['datasets', '@prunelab/models'],
    ['models', '@prunelab/scorers'],
    ['results', '@prunelab/runner'],
    ['engine', '@prunelab/models'],
    ['models', '@prunelab/pruning'],
    ['pruning', '@prunelab/scorers'],
    ['scorers', '@prunelab/pruning'],
    ['datasets', '@prunelab/engine'],
  ])('%s may not import %s', async (pkg, dep) => {
    expect(await boundaryErrors(pkg, dep)).not.toEqual([]);
  });

  it.each([
    ['scorers', '@prunelab/models'],
    ['runner', '@prunelab/store'],
    ['models', '@prunelab/projection'],
    ['models', '@prunelab/engine'],
    ['pruning', '@prunelab/models'],
    ['runner', '@prunelab/pruning'],
  ])('%s may import %s', async (pkg, dep) => {
    expect(await boundaryErrors(pkg, dep)).toEqual([]);
  });
});
