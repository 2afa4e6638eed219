import { PrunelabError, createRng, type ErrorDetails } from '@prunelab/core';
import { z } from 'zod';
import { setPath } from './paths.js';

/** One point of the sweep's axes: the config paths it sets and their values. */
export type Axes = Record<string, unknown>;

/**
 * A range given high-to-low is refused: `int` would draw outside it
 * (low + floor(u * (high - low + 1)) with a negative width), and the others
 * would only look right by accident.
 */
function lowAtMostHigh(d: { low: number; high: number }, ctx: z.core.$RefinementCtx<{ low: number; high: number }>): void {
  if (d.low <= d.high) return;
  ctx.addIssue({
    code: 'custom',
    path: ['high'],
    input: d.high,
    message: `high must be at least low (${d.low})`,
    params: { fix: `Write low: ${d.high}, high: ${d.low}` },
  });
}

/**
 * `random:` samples n points from named distributions with its own seed, as in
 * Bergstra & Bengio 2012 ("Random Search for Hyper-Parameter Optimization").
 */
export const randomAxisSchema = z
  .object({
    n: z.number().int().positive().max(10000).describe('How many points to sample (at most 10,000).'),
    seed: z.number().int().min(0).default(0),
    params: z.record(
      z.string(),
      z.discriminatedUnion('dist', [
        z
          .object({ dist: z.literal('uniform'), low: z.number(), high: z.number() })
          .strict()
          .superRefine(lowAtMostHigh),
        z
          .object({ dist: z.literal('loguniform'), low: z.number().positive(), high: z.number().positive() })
          .strict()
          .superRefine(lowAtMostHigh),
        z
          .object({ dist: z.literal('int'), low: z.number().int(), high: z.number().int() })
          .strict()
          .superRefine(lowAtMostHigh),
        z.object({ dist: z.literal('choice'), values: z.array(z.unknown()).min(1) }).strict(),
      ]),
    ),
  })
  .strict();

export interface AxisSpec {
  readonly grid?: Record<string, unknown[]> | undefined;
  readonly zip?: Record<string, unknown[]> | undefined;
  readonly random?: z.output<typeof randomAxisSchema> | undefined;
  readonly seeds?: number[] | undefined;
}

/** A sweep that expands to more runs than this is a typo (a grid axis too many), not an experiment. */
const MAX_RUNS = 100_000;

/**
 * Every combination of the axes, in a deterministic order (grid keys in file
 * order, then zip, random, seeds). `where` gives the file position of a key
 * path for errors.
 */
export function expandAxes(spec: AxisSpec, where: (path: readonly PropertyKey[]) => ErrorDetails = () => ({})): Axes[] {
  checkCount(spec, where);
  let combos: Axes[] = [{}];
  for (const [path, values] of Object.entries(spec.grid ?? {})) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [path]: v })));
  }
  const zipEntries = Object.entries(spec.zip ?? {});
  if (zipEntries.length > 0) {
    const len = zipEntries[0]![1].length;
    for (const [path, values] of zipEntries) {
      if (values.length !== len) {
        throw new PrunelabError('E_CONFIG_INVALID', `zip lists must have equal lengths: ${zipEntries[0]![0]} has ${len}, ${path} has ${values.length}`, {
          ...where(['zip', path]),
          path: `zip.${path}`,
          fix: 'Give every list under zip: the same number of values, or use grid: for a product',
        });
      }
    }
    combos = combos.flatMap((c) => Array.from({ length: len }, (_, i) => ({ ...c, ...Object.fromEntries(zipEntries.map(([p, vs]) => [p, vs[i]])) })));
  }
  if (spec.random) {
    const rng = createRng(`random-axis:${spec.random.seed}`);
    const samples: Axes[] = [];
    for (let i = 0; i < spec.random.n; i++) {
      const s: Axes = {};
      for (const [path, d] of Object.entries(spec.random.params)) {
        if (d.dist === 'uniform') s[path] = d.low + rng.next() * (d.high - d.low);
        else if (d.dist === 'loguniform') s[path] = Math.exp(Math.log(d.low) + rng.next() * (Math.log(d.high) - Math.log(d.low)));
        else if (d.dist === 'int') s[path] = d.low + rng.int(d.high - d.low + 1);
        else s[path] = d.values[rng.int(d.values.length)];
      }
      samples.push(s);
    }
    combos = combos.flatMap((c) => samples.map((s) => ({ ...c, ...s })));
  }
  if (spec.seeds) {
    const seeds = spec.seeds;
    combos = combos.flatMap((c) => seeds.map((seed) => ({ ...c, seed })));
  }
  return combos;
}

/** Refuses a sweep whose axes multiply out past MAX_RUNS, before any run is built. */
function checkCount(spec: AxisSpec, where: (path: readonly PropertyKey[]) => ErrorDetails): void {
  const grid = Object.values(spec.grid ?? {}).reduce((n, v) => n * v.length, 1);
  const zip = Object.values(spec.zip ?? {})[0]?.length ?? 1;
  const total = grid * zip * (spec.random?.n ?? 1) * (spec.seeds?.length ?? 1);
  if (total > MAX_RUNS) {
    const first = spec.grid ? ['grid'] : spec.zip ? ['zip'] : spec.random ? ['random'] : ['seeds'];
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `the axes expand to ${total.toLocaleString('en-US')} runs, more than the ${MAX_RUNS.toLocaleString('en-US')} a sweep may have`,
      {
        ...where(first),
        path: first[0]!,
        fix: 'Drop a grid axis or some values, or split the sweep into several files',
      },
    );
  }
}

export function applyAxes(base: Record<string, unknown>, axes: Axes): Record<string, unknown> {
  let cfg = base;
  for (const [path, v] of Object.entries(axes)) cfg = setPath(cfg, path, v);
  return cfg;
}
