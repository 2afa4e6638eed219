import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { PrunelabError, isPlainObject, isPrunelabError, unknownNameError } from '@prunelab/core';
import { loadDataset, splitSize } from '@prunelab/datasets';
import { initBackend } from '@prunelab/engine';
import { trainingSchema } from '@prunelab/models';
import { pruneModelFile, runConfigSchema, scopeSchema, structureSchema } from '@prunelab/runner';
import { parse } from './args.js';
import { checkOutFolder, exportLines, percent } from './model-report.js';
import { out } from '../output.js';
import type { Command } from './types.js';

const usage = `prunelab prune <model.json> --sparsity S --out DIR [options]

Prunes a trained tfjs LayersModel (model.json + weight shards: a Keras model
converted with tensorflowjs_converter, or model.save() in tfjs) once, and
writes the pruned model as a tfjs LayersModel: your layer names, input shape,
final softmax and other layers kept, only the Dense and Conv2D weights pruned.
Nothing is trained unless --finetune says so.

Options:
  --sparsity S         fraction of the prunable weights to remove, in [0, 1) (required)
  --out DIR            where to write model.json and weights.bin (required; not the model's own folder)
  --scorer NAME        importance scorer (default magnitude), or '{name: snip, batches: 2}';
                       scorers other than magnitude and random need --dataset
  --structure S        unstructured (default) | 2:4 (any N:M) | unit | '{kind: block, rows: 4, cols: 4}'
  --scope S            global (default) | layerwise | erk | '{perLayer: {d1: 0.9}}'
  --exclude L,...      layers never pruned (your names or prunelab's: d1 or dense1)
  --physical           unit structures: write the physically smaller model (removed units gone)
  --dataset D          a dataset name (prunelab list datasets) or '{name: mnist, trainSize: 5000}':
                       prints test accuracy before and after; calibrates data-driven scorers
  --calibrate N        the scorer draws its calibration batches from N training examples (default: all)
  --finetune EPOCHS    fine-tune the pruned model this long on the train split, the masks held (needs --dataset)
  --lr LR              fine-tuning learning rate (default 1.2e-4, Adam)
  --batch-size N       fine-tuning batch size (default 60)
  --seed N             seed of scoring, calibration and fine-tuning order (default 0)
  -h, --help           show this help

The input is prunelab's view of the data (the dataset's normalisation), so
accuracy before is the check that the model and the dataset agree.`;

const n = (x: number): string => x.toLocaleString('en-US');

/** A flag value: a mapping or list written as YAML ('{kind: unit}'), anything else as the plain string. */
function flagData(text: string): unknown {
  const t = text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return t;
  try {
    return parseYaml(t) as unknown;
  } catch (e) {
    throw new PrunelabError('E_CONFIG_INVALID', `not valid YAML: ${(e as Error).message.split('\n')[0]}`, {
      value: text,
      fix: "Write a mapping as '{key: value, ...}'",
    });
  }
}

/** Parses a flag's value with the config schema of its sweep key, so the flag accepts what the sweep file does. */
function flagValue<S extends z.ZodType>(schema: S, text: string, flag: string, list: string): z.output<S> {
  let data: unknown;
  try {
    data = flagData(text);
  } catch (e) {
    if (isPrunelabError(e)) throw new PrunelabError(e.code, e.problem, { ...e.details, path: flag });
    throw e;
  }
  const r = schema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const unknown = issue.code === 'custom' && isPlainObject(issue.params?.['unknownName']) ? issue.params['unknownName'] : undefined;
  if (unknown && typeof unknown['kind'] === 'string' && typeof unknown['name'] === 'string' && Array.isArray(unknown['valid'])) {
    throw unknownNameError(unknown['kind'], unknown['name'], unknown['valid'].map(String), { path: flag });
  }
  const at = issue.path.length > 0 ? ` (${issue.path.map(String).join('.')})` : '';
  throw new PrunelabError('E_CONFIG_INVALID', `${issue.message}${at}`, { path: flag, value: text, fix: `See ${list}` });
}

function number(text: string | undefined, flag: string, check: (v: number) => boolean, rule: string): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || !check(v))
    throw new PrunelabError('E_CONFIG_INVALID', `prune: ${flag} must be ${rule}`, { path: flag, value: text });
  return v;
}

/** The model importer speaks of the sweep key model.path; here the model is the command's argument. */
async function asArgument<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!isPrunelabError(e) || e.details.path !== 'model.path') throw e;
    const { path: _path, ...details } = e.details;
    throw new PrunelabError(
      e.code,
      e.problem,
      { ...details, ...(details.fix !== undefined && { fix: details.fix.replace(/model\.path/g, 'the model argument') }) },
      { cause: e },
    );
  }
}

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a trained tfjs model once and write the pruned model (prune model.json --sparsity 0.9 --out DIR)',
  usage,
  async run(argv) {
    const { values, positionals } = parse(
      'prune',
      argv,
      {
        sparsity: { type: 'string' },
        out: { type: 'string' },
        scorer: { type: 'string' },
        structure: { type: 'string' },
        scope: { type: 'string' },
        exclude: { type: 'string' },
        physical: { type: 'boolean' },
        dataset: { type: 'string' },
        calibrate: { type: 'string' },
        finetune: { type: 'string' },
        lr: { type: 'string' },
        'batch-size': { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      1,
    );
    if (values.help) {
      out(usage);
      return 0;
    }
    const model = positionals[0];
    if (model === undefined) throw new PrunelabError('E_CONFIG_INVALID', 'prune: name the model.json to prune', { fix: usage.split('\n')[0]! });
    const sparsity = number(values.sparsity, '--sparsity', (v) => v >= 0 && v < 1, 'a fraction in [0, 1), e.g. 0.9');
    if (sparsity === undefined)
      throw new PrunelabError('E_CONFIG_INVALID', 'prune: --sparsity is required', { path: '--sparsity', fix: 'Example: --sparsity 0.9' });
    if (values.out === undefined || values.out === '')
      throw new PrunelabError('E_CONFIG_INVALID', 'prune: --out is required', { path: '--out', fix: 'Example: --out pruned/' });
    checkOutFolder(values.out);
    const scorer = flagValue(runConfigSchema.shape.scorer, values.scorer ?? 'magnitude', '--scorer', 'prunelab list scorers');
    const structure = flagValue(structureSchema, values.structure ?? 'unstructured', '--structure', 'prunelab list structures');
    const scope = flagValue(scopeSchema, values.scope ?? 'global', '--scope', 'prunelab prune --help');
    const seed = number(values.seed, '--seed', (v) => Number.isInteger(v) && v >= 0, 'a whole number') ?? 0;
    const calibrate = number(values.calibrate, '--calibrate', (v) => Number.isInteger(v) && v >= 1, 'a whole number of examples, at least 1');
    const epochs = number(values.finetune, '--finetune', (v) => v > 0 && v <= 10000, 'a number of epochs in (0, 10000]');
    for (const [flag, given] of [
      ['--calibrate', calibrate],
      ['--finetune', epochs],
    ] as const) {
      if (given !== undefined && values.dataset === undefined)
        throw new PrunelabError('E_CONFIG_INVALID', `prune: ${flag} needs --dataset`, { path: flag, fix: 'Give --dataset NAME (prunelab list datasets)' });
    }
    for (const flag of ['--lr', '--batch-size'] as const) {
      if (values[flag.slice(2) as 'lr' | 'batch-size'] !== undefined && epochs === undefined)
        throw new PrunelabError('E_CONFIG_INVALID', `prune: ${flag} sets fine-tuning, which runs only with --finetune`, {
          path: flag,
          fix: 'Add --finetune EPOCHS (and --dataset), or leave the flag out',
        });
    }
    const lr = number(values.lr, '--lr', (v) => v > 0, 'a positive number') ?? 1.2e-4;
    const batchSize = number(values['batch-size'], '--batch-size', (v) => Number.isInteger(v) && v >= 1 && v <= 65536, 'a whole number from 1 to 65536') ?? 60;
    const finetune = epochs === undefined ? undefined : trainingSchema.parse({ epochs, lr, batchSize });
    const datasetConfig = values.dataset === undefined ? undefined : flagData(values.dataset);
    if (datasetConfig !== undefined && !(typeof datasetConfig === 'string' || (isPlainObject(datasetConfig) && typeof datasetConfig['name'] === 'string'))) {
      throw new PrunelabError('E_CONFIG_INVALID', 'prune: --dataset takes a dataset name or {name: ..., options}', {
        path: '--dataset',
        value: values.dataset,
        fix: 'Example: --dataset mnist',
      });
    }
    const dataset =
      datasetConfig === undefined
        ? undefined
        : await loadDataset(typeof datasetConfig === 'string' ? { name: datasetConfig } : (datasetConfig as { name: string } & Record<string, unknown>));
    await initBackend('auto');
    const r = await asArgument(
      pruneModelFile({
        model,
        scorer,
        sparsity,
        structure,
        scope,
        exclude: (values.exclude ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
        ...(dataset && { dataset }),
        ...(calibrate !== undefined && { calibrate }),
        ...(finetune && { finetune }),
        seed,
        out: values.out,
        physical: values.physical === true,
      }),
    );
    const names = Object.entries(r.imported.layerNames);
    const theirs = Object.fromEntries(names.map(([k, v]) => [v, k]));
    out(
      `model ${model}: prunable ${names.map(([k, v]) => (k === v ? k : `${k} (${v})`)).join(', ')}${r.imported.skipped.length > 0 ? `; carried along: ${r.imported.skipped.join(', ')}` : ''}`,
    );
    out(
      `pruned with ${scorer.name}, ${structure.kind}, ${typeof scope === 'string' ? scope : 'per-layer'} scope to sparsity ${percent(r.sparsity)} (asked ${sparsity}): ` +
        Object.entries(r.perLayer)
          .map(([layer, s]) => `${theirs[layer] ?? layer} ${percent(s)}`)
          .join(', '),
    );
    for (const w of r.warnings) out(`  note: ${w}`);
    if (dataset) {
      if (r.calibrationExamples > 0) out(`calibration: ${n(r.calibrationExamples)} training examples of ${dataset.name}`);
      const acc = [
        r.before && `${percent(r.before.accuracy)} before`,
        r.pruned && `${percent(r.pruned.accuracy)} after pruning`,
        r.after && `${percent(r.after.accuracy)} after fine-tuning (${epochs} epoch(s))`,
      ];
      out(`test accuracy on ${dataset.name} (${n(splitSize(dataset, 'test'))} examples): ${acc.filter(Boolean).join(', ')}`);
    }
    if (values.physical === true && !r.physical) out(`  --physical: ${structure.kind} is a weight-level structure; the model keeps its shape, with its zeros`);
    for (const line of exportLines(values.out, r.report)) out(line);
    return 0;
  },
};
