import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { planSweep } from '@prunelab/runner';
import type { BadInput } from './case.js';
import { configCases } from './cases/config.js';
import { dataCases } from './cases/data.js';
import { modelCases } from './cases/model.js';
import { setCases } from './cases/set.js';
import { yamlCases } from './cases/yaml.js';

/**
 * "Every message states the fix" (issue 14). The corpus test sees only the
 * printed line, where a fix cannot be told from the problem; here the cases
 * that fail while a sweep is loaded run in-process (no spawn, so this is
 * fast) and each error must carry a fix.
 */
const root = mkdtempSync(join(tmpdir(), 'prunelab-fixes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `run FILE [--set X]...`: what planSweep alone decides. */
function loaderCase(c: BadInput): { file: string; set: string[] } | undefined {
  const [command, file, ...rest] = c.args;
  if (command !== 'run' || file === undefined) return undefined;
  const set: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '--set') return undefined;
    set.push(rest[++i]!);
  }
  return { file, set };
}

it('every bad sweep, --set, data file and model file the loader refuses comes with a fix', async () => {
  const cwd = process.cwd();
  const missing: string[] = [];
  let checked = 0;
  for (const c of [...yamlCases, ...configCases, ...setCases, ...dataCases, ...modelCases]) {
    const args = loaderCase(c);
    if (!args) continue;
    const dir = mkdtempSync(join(root, 'c-'));
    c.setup?.(dir);
    process.chdir(dir);
    try {
      await planSweep({ file: args.file, set: args.set });
      missing.push(`${c.name}: no error`);
    } catch (e) {
      if (!isPrunelabError(e)) missing.push(`${c.name}: not a PrunelabError: ${String(e)}`);
      else if (!e.isUserError || !e.details.fix) missing.push(`${c.name}: ${e.message}`);
    } finally {
      process.chdir(cwd);
    }
    checked++;
  }
  expect(checked).toBeGreaterThan(120);
  expect(missing).toEqual([]);
}, 120_000);
