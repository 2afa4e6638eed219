import { z } from 'zod';
import { isPlainObject } from '@prunelab/core';
import { trainingSchema } from '@prunelab/models';
import type { Structure } from '@prunelab/projection';
import { DEFAULT_SCHEDULE } from '@prunelab/pruning';
import { attackSchema } from '@prunelab/scorers';
import { SWEEP_NAME_PATTERN, SWEEP_NAME_RULE } from '@prunelab/store';
import { valueAt } from './paths.js';
import { PLUGINS, type PluginRef, type PluginSlot } from './plugins.js';

/**
 * The schema of one run's config, and of a sweep file. Plug-in slots
 * (dataset, model, scorer, schedule, prune.structure) accept a bare name or
 * `{ name, ...options }`; their options are validated here, once, by the
 * plug-in's own schema from its registry, so a parsed config holds every
 * plug-in's parsed options and nothing downstream parses them again.
 * Configs are data, never code.
 */

/** What the issue for an unknown plug-in name carries (`params.unknownName`), so the loader can list the valid names. */
export interface UnknownName {
  readonly kind: string;
  readonly name: string;
  readonly valid: readonly string[];
  /** Other spellings the slot accepts besides the names. */
  readonly also?: string;
}

/**
 * `options` parsed by the schema of the entry of `slot` named `name`; or
 * undefined after adding the issues to `ctx`: an unknown name at `namePath`,
 * an option's at its key. An option's issue also carries the value it is
 * about (`given`), which the loader shows even where the file wrote the slot
 * as a shorthand ('5:4') that has no such key.
 */
function parseEntry(
  slot: PluginSlot,
  name: string,
  options: Record<string, unknown>,
  namePath: PropertyKey[],
  ctx: z.core.$RefinementCtx,
): Record<string, unknown> | undefined {
  const { registry, shorthand } = slot;
  if (!registry.has(name)) {
    const unknownName: UnknownName = { kind: registry.kind, name, valid: registry.names(), ...(shorthand && { also: shorthand.example }) };
    ctx.addIssue({ code: 'custom', path: namePath, message: `unknown ${registry.kind} ${JSON.stringify(name)}`, params: { unknownName } });
    return undefined;
  }
  const parsed = registry.get(name).schema.safeParse(options);
  if (parsed.success) return isPlainObject(parsed.data) ? parsed.data : {};
  for (const issue of parsed.error.issues) {
    const given = valueAt(options, issue.path);
    ctx.addIssue({ ...issue, ...(given !== undefined && { given }) });
  }
  return undefined;
}

const pluginRef = (slot: PluginSlot) =>
  z
    .union([z.string().min(1), z.object({ name: z.string().min(1) }).catchall(z.unknown())])
    .describe(`A ${slot.registry.kind} name, or { name, ...options }. \`prunelab list ${slot.registry.kind}s\` shows the names.`)
    .transform((v, ctx): PluginRef => {
      const { name, ...options } = typeof v === 'string' ? { name: v } : v;
      const parsed = parseEntry(slot, name, options, typeof v === 'string' ? [] : ['name'], ctx);
      return parsed ? { name, ...parsed } : z.NEVER;
    });

const sparsity = z.number().min(0, 'sparsity must be in [0, 1)').lt(1, 'sparsity must be in [0, 1): 1 would remove every weight');

/** 'N:M' as the n:m structure's options; any other string is a structure name without options. */
function structureShorthand(s: string): { kind: string } & Record<string, unknown> {
  const nm = /^(\d+):(\d+)$/.exec(s);
  return nm ? { kind: 'n:m', n: Number(nm[1]), m: Number(nm[2]) } : { kind: s };
}

/**
 * A structure name from the structure registry with its options, or a
 * shorthand: 'unstructured', 'unit', or 'N:M' such as '2:4'. The registry
 * entry validates the options and makes the projection's structure spec.
 */
export const structureSchema = z
  .union([z.string().min(1), z.object({ kind: z.string().min(1) }).catchall(z.unknown())])
  .describe(
    "Which groups are kept or removed together: 'unstructured', 'N:M' (e.g. '2:4'), { kind: block, rows, cols }, { kind: unit, reduce }. `prunelab list structures` shows them.",
  )
  .transform((v, ctx): Structure => {
    const { kind, ...options } = typeof v === 'string' ? structureShorthand(v) : v;
    const { registry } = PLUGINS.structure;
    const parsed = parseEntry(PLUGINS.structure, kind, options, typeof v === 'string' ? [] : ['kind'], ctx);
    return parsed ? registry.get(kind).create(parsed) : z.NEVER;
  });

export const scopeSchema = z
  .union([z.enum(['global', 'layerwise', 'erk']), z.object({ perLayer: z.record(z.string(), sparsity) }).strict()])
  .describe('How the budget is split across layers: global, layerwise, erk, or { perLayer: { layer: sparsity } }.');

/**
 * Each target is one curve point, so a repeated target would be two points at
 * one sparsity. Unsorted lists are refused rather than sorted: sorting would
 * change the canonical config, and with it the run id, of a config that
 * already ran (the points of a one-shot run are numbered in list order).
 */
function increasing(list: readonly number[], ctx: z.core.$RefinementCtx<number[]>): void {
  const sorted = [...new Set(list)].sort((a, b) => a - b);
  for (let i = 1; i < list.length; i++) {
    const [prev, cur] = [list[i - 1]!, list[i]!];
    if (cur === prev || cur < prev) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        input: cur,
        message: cur === prev ? `sparsity ${cur} is listed twice (each target is one curve point)` : `sparsities must increase: ${cur} comes after ${prev}`,
        params: { fix: `Write [${sorted.join(', ')}]` },
      });
      return;
    }
  }
}

export const pruneSchema = z
  .object({
    sparsities: z
      .array(sparsity)
      .min(1)
      .superRefine(increasing)
      .describe('Target fractions of prunable weights to remove, each in [0, 1), in increasing order, each once.'),
    scope: scopeSchema.default('global'),
    structure: structureSchema.default({ kind: 'unstructured' }),
    exclude: z.array(z.string()).default([]).describe('Layers never pruned, e.g. [dense3].'),
    minDensity: z.number().min(0).max(1).optional().describe('Global scope: the lowest density any layer may reach.'),
  })
  .strict();

export const runConfigSchema = z
  .object({
    dataset: pluginRef(PLUGINS.dataset),
    model: pluginRef(PLUGINS.model),
    scorer: pluginRef(PLUGINS.scorer),
    schedule: pluginRef(PLUGINS.schedule).default({ name: DEFAULT_SCHEDULE }),
    train: z
      .union([z.literal('none'), trainingSchema], { error: "must be none (the model's own weights are the dense model) or a mapping such as {epochs: 10}" })
      .prefault({})
      .describe(
        "Dense training; 'none' takes the model's own weights (a tfjs model you trained) as the dense model: its accuracy is measured, nothing is trained, and every run compares on it.",
      ),
    finetune: trainingSchema
      .extend({ lr: z.number().positive().default(1.2e-4).describe('Fine-tuning learning rate (1/10 of training, as in Han et al. 2015).') })
      .prefault({})
      .describe('The fine-tuning budget: identical for every strategy in a sweep unless overridden.'),
    prune: pruneSchema,
    seed: z.number().int().min(0).default(0),
    robust: attackSchema.optional().describe('When set, every point also records robust_accuracy on the test split under this attack (FGSM or PGD, eps).'),
    backend: z.enum(['auto', 'tensorflow', 'native', 'wasm', 'cpu']).default('auto').describe('Force a TensorFlow.js backend (not part of the run id).'),
    lane: z.enum(['auto', 'cpu', 'gpu']).default('auto').describe('Pin runs to a lane (not part of the run id).'),
    artifacts: z
      .enum(['none', 'final', 'all'])
      .default('final')
      .describe(
        "Which points keep their weights (for `prunelab export model`): 'final' the last point of each target (after fine-tuning), 'all' every evaluated point, 'none' none. Not part of the run id.",
      ),
  })
  .strict();

export type RunConfigInput = z.input<typeof runConfigSchema>;
export type RunConfig = z.output<typeof runConfigSchema>;

/**
 * Keys that change how a run executes or what it keeps, not what it computes:
 * left out of the run id. A run finished with `artifacts: none` is therefore
 * not rerun for `final`: export says which of its points kept weights.
 */
export const NON_SEMANTIC_KEYS = ['backend', 'lane', 'artifacts'] as const;

const axisValues = z.array(z.unknown()).min(1);

/** A sweep file: run-config keys plus the sweep-only keys below. */
export const sweepSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(SWEEP_NAME_PATTERN, `use ${SWEEP_NAME_RULE}`).optional().describe(`Sweep name (${SWEEP_NAME_RULE}); defaults to the file name.`),
    description: z.string().optional(),
    extends: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .describe('Base files (relative to this file, or under configs/); later keys override earlier ones.'),
    grid: z.record(z.string(), axisValues).optional().describe('Cartesian product over config paths, e.g. { scorer: [magnitude, random] }.'),
    zip: z.record(z.string(), axisValues).optional().describe('Paired lists of equal length, varied together.'),
    seeds: z.array(z.number().int().min(0)).min(1).optional().describe('Seeds; each run is repeated once per seed.'),
    dataset: z.unknown().optional(),
    model: z.unknown().optional(),
    scorer: z.unknown().optional(),
    schedule: z.unknown().optional(),
    train: z.unknown().optional(),
    finetune: z.unknown().optional(),
    prune: z.unknown().optional(),
    seed: z.unknown().optional(),
    robust: z.unknown().optional(),
    backend: z.unknown().optional(),
    lane: z.unknown().optional(),
    artifacts: z.unknown().optional(),
  })
  .strict();

export const SWEEP_ONLY_KEYS = ['$schema', 'name', 'description', 'extends', 'grid', 'zip', 'seeds'] as const;
