import { dirname, resolve } from 'node:path';
import { PrunelabError, createRng, permutation } from '@prunelab/core';
import { splitSize, type LoadedDataset } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import {
  Net,
  evaluate,
  exportModel,
  getWeights,
  importLayersModel,
  netMetrics,
  readModelArtifactsSync,
  train,
  type Evaluation,
  type ExportReport,
  type ImportedModel,
  type TrainingConfig,
} from '@prunelab/models';
import { isProjectionError, type ProjectionError, type Scope, type Structure } from '@prunelab/projection';
import { allMasks, applyMasks, disposeMasks, keepOutputUnits, masksFromArrays, projectNet, structureRegistry } from '@prunelab/pruning';
import { scorerRegistry } from '@prunelab/scorers';
import type { PluginRef } from '../config/plugins.js';

/** `prunelab prune`: one trained tfjs model, one scorer, one sparsity. */
export interface PruneFileOptions {
  /** The model.json (or its folder). */
  readonly model: string;
  /** Parsed by the scorer's own schema. */
  readonly scorer: PluginRef;
  readonly sparsity: number;
  readonly structure: Structure;
  readonly scope: Scope;
  /** Layers never pruned, by the model's own names (d1) or prunelab's (dense1). */
  readonly exclude: readonly string[];
  /** Test accuracy before and after, calibration data for the scorer, fine-tuning data. */
  readonly dataset?: LoadedDataset;
  /** How many training examples the scorer may draw its calibration batches from (default: the whole train split). */
  readonly calibrate?: number;
  /** Masked fine-tuning after pruning, on the dataset's train split; none when undefined. */
  readonly finetune?: TrainingConfig;
  readonly seed: number;
  readonly out: string;
  /** Write the physically smaller model (unit structures); weight-level structures keep their shape. */
  readonly physical: boolean;
}

export interface PruneFileResult {
  readonly imported: ImportedModel;
  /** Test-split evaluations, when a dataset is given: the model as given, right after pruning, after fine-tuning. */
  readonly before?: Evaluation;
  readonly pruned?: Evaluation;
  readonly after?: Evaluation;
  /** Zeros among the prunable weights after pruning (fine-tuning keeps them), and per prunable layer (prunelab's names; excluded layers left out). */
  readonly sparsity: number;
  readonly perLayer: Readonly<Record<string, number>>;
  /** What the projection adjusted (rounding to whole groups, per-layer floors). */
  readonly warnings: readonly string[];
  /** Training examples the scorer drew its batches from (0 for a scorer that reads the weights alone). */
  readonly calibrationExamples: number;
  readonly physical: boolean;
  readonly report: ExportReport;
}

/**
 * Prunes a trained tfjs LayersModel once, the way a sweep prunes a point
 * (score, project onto the sparse set, apply the masks, fine-tune with them
 * held: Han et al. 2015), and exports it (exportModel: the user's own layers
 * with the pruned weights). Every input problem is a user error raised before
 * anything is written.
 */
export async function pruneModelFile(o: PruneFileOptions): Promise<PruneFileResult> {
  const json = resolve(o.model.endsWith('.json') ? o.model : `${o.model.replace(/\/$/, '')}/model.json`);
  if (resolve(o.out) === dirname(json)) {
    throw new PrunelabError('E_CONFIG_INVALID', "the output folder is the model's own folder: the export would overwrite the model it prunes", {
      path: '--out',
      value: o.out,
      fix: 'Choose another --out folder',
    });
  }
  const ds = o.dataset;
  const artifacts = readModelArtifactsSync(json);
  const imported = importLayersModel(artifacts, json, ds ? { inputShape: ds.shape, classes: ds.classes } : undefined);
  const entry = scorerRegistry.get(o.scorer.name, { path: '--scorer' });
  const granularity = structureRegistry.get(o.structure.kind).granularity;
  if (!entry.granularities.includes(granularity)) {
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `scorer ${entry.name} scores ${entry.granularities.join(' and ')}s, but structure ${o.structure.kind} needs ${granularity} scores`,
      {
        path: '--scorer',
        fix:
          granularity === 'unit' ? 'Use a scorer that scores units (prunelab list scorers)' : 'Use --structure unit with this scorer, or a weight-level scorer',
      },
    );
  }
  if (entry.dataFree && o.calibrate !== undefined) {
    throw new PrunelabError('E_CONFIG_INVALID', `scorer ${entry.name} reads the weights alone: --calibrate would change nothing`, {
      path: '--calibrate',
      fix: 'Leave --calibrate out, or use a scorer that reads data (prunelab list scorers)',
    });
  }
  if (!ds && !entry.dataFree) {
    throw new PrunelabError('E_CONFIG_INVALID', `scorer ${entry.name} needs calibration data`, {
      path: '--scorer',
      fix: 'Give --dataset NAME (its train split calibrates; --calibrate N limits it), or use --scorer magnitude',
    });
  }
  const ours = (name: string): string => imported.layerNames[name] ?? name;
  const prunable = Object.values(imported.layerNames);
  for (const layer of [...o.exclude, ...(typeof o.scope === 'object' ? Object.keys(o.scope.perLayer) : [])]) {
    if (!prunable.includes(ours(layer))) {
      throw new PrunelabError('E_CONFIG_INVALID', `the model has no prunable layer ${JSON.stringify(layer)}`, {
        path: o.exclude.includes(layer) ? '--exclude' : '--scope',
        fix: `Its prunable layers are ${Object.entries(imported.layerNames)
          .map(([k, v]) => `${k} (${v})`)
          .join(', ')}`,
      });
    }
  }
  const scope: Scope = typeof o.scope === 'object' ? { perLayer: Object.fromEntries(Object.entries(o.scope.perLayer).map(([k, v]) => [ours(k), v])) } : o.scope;
  const before = tf.memory().numTensors;
  const net = new Net(imported.arch, o.seed);
  let pruneResult: PruneFileResult;
  try {
    const spec = keepOutputUnits(net, { scope, structure: o.structure, exclude: o.exclude.map(ours) });
    // Exclusions (and a unit structure's output layer, whose units are the classes) may leave nothing to prune.
    if (net.params.every((p) => spec.exclude.includes(p.name))) {
      const unit = spec.exclude.length > o.exclude.length;
      throw new PrunelabError(
        'E_CONFIG_INVALID',
        `nothing to prune: every prunable layer of the model is excluded (${net.params.map((p) => p.name).join(', ')})`,
        {
          path: unit && o.exclude.length === 0 ? '--structure' : '--exclude',
          fix: unit
            ? "A unit structure never prunes the output layer's units (the classes): exclude fewer layers, or use --structure unstructured"
            : 'Leave at least one prunable layer out of --exclude',
        },
      );
    }
    const initialWeights = getWeights(net);
    const evalBefore = ds && evaluate(net, ds, 'test');
    // A data-free scorer (magnitude, random) is given no examples, so none are reported as calibrating it.
    const calibration = ds && !entry.dataFree ? calibrationSubset(ds, o.calibrate, o.seed) : emptyDataset(imported);
    const scores = await entry.create(o.scorer).score({ net, ds: calibration, seed: o.seed, initialWeights });
    let result;
    try {
      // On a graph (a functional model), the unit structure removes coupled channels together, as a sweep does (DepGraph, Fang et al. 2023).
      result = projectNet(net, scores, { ...spec, sparsity: o.sparsity });
    } catch (e) {
      if (isProjectionError(e)) throw projectionInputError(e, imported);
      throw e;
    }
    const masks = masksFromArrays(net, allMasks(result));
    let pruned: Evaluation | undefined;
    let after: Evaluation | undefined;
    try {
      applyMasks(net, masks);
      pruned = ds && evaluate(net, ds, 'test');
      if (o.finetune && ds) {
        train(net, ds, o.finetune, { seed: o.seed, masks });
        after = evaluate(net, ds, 'test');
      }
    } finally {
      disposeMasks(masks);
    }
    // What the model holds now: zeros the model had already count too (the projection's figure would not say so).
    const metrics = netMetrics(net, spec.exclude);
    const physical = o.physical && granularity === 'unit';
    const report = await exportModel(net, o.out, {
      source: { artifacts, imported },
      physical,
      metadata: {
        prunedFrom: json,
        scorer: o.scorer.name,
        structure: o.structure.kind,
        targetSparsity: o.sparsity,
        sparsity: metrics.sparsity,
        physical,
        ...(ds && { dataset: ds.name }),
      },
    });
    pruneResult = {
      imported,
      ...(evalBefore && { before: evalBefore }),
      ...(pruned && { pruned }),
      ...(after && { after }),
      sparsity: metrics.sparsity,
      perLayer: metrics.perLayer,
      warnings: result.warnings,
      calibrationExamples: splitSize(calibration, 'train'),
      physical,
      report,
    };
  } finally {
    net.dispose();
  }
  const leaked = tf.memory().numTensors - before;
  if (leaked !== 0) throw new Error(`prune leaked ${leaked} tensors`);
  return pruneResult;
}

/**
 * The dataset with its train split cut to `n` examples, drawn by a permutation
 * seeded by the seed: the scorer draws its calibration batches from these
 * (its own `batches` x `batchSize` options say how many it uses of them).
 */
function calibrationSubset(ds: LoadedDataset, n: number | undefined, seed: number): LoadedDataset {
  const all = ds.splits.train.indices;
  if (n === undefined || n >= all.length) return ds;
  const order = permutation(all.length, createRng(`calibration-subset:${seed}`));
  const indices = new Uint32Array(n);
  for (let i = 0; i < n; i++) indices[i] = all[order[i]!]!;
  return { ...ds, splits: { ...ds.splits, train: { pool: ds.splits.train.pool, indices } } };
}

/** A dataset of no examples with the model's shape: what a scorer that reads only the weights is given (ScorerEntry.dataFree). */
function emptyDataset(imported: ImportedModel): LoadedDataset {
  const empty = { pool: 0, indices: new Uint32Array(0) };
  const channels = imported.arch.inputShape.at(-1) ?? 1;
  return {
    name: 'none',
    shape: imported.arch.inputShape,
    classes: imported.arch.classes,
    pools: [{ x: new Float32Array(0), y: new Uint8Array(0), n: 0 }],
    splits: { train: empty, val: empty, test: empty },
    normalization: { kind: 'scale', scale: 1, mean: new Array<number>(channels).fill(0), std: new Array<number>(channels).fill(1) },
    identity: { name: 'none', checksum: 'none', sizes: { train: 0, val: 0, test: 0 }, options: {} },
  };
}

/** A projection refusal as the flag it is about, with the model's own layer names beside prunelab's. */
function projectionInputError(e: ProjectionError, imported: ImportedModel): PrunelabError {
  const path = e.code === 'E_PROJECTION_SPARSITY' ? '--sparsity' : e.code === 'E_PROJECTION_SCOPE' ? '--scope' : '--structure';
  const theirs = Object.fromEntries(Object.entries(imported.layerNames).map(([k, v]) => [v, k]));
  const message = e.message.replace(/layer "(\w+)"/g, (m, name: string) => (theirs[name] ? `${m} (${theirs[name]})` : m));
  return new PrunelabError('E_CONFIG_INVALID', message, {
    path,
    fix: path === '--structure' ? 'Pick a structure that fits every prunable layer, or --exclude the layers it does not fit' : 'See prunelab prune --help',
  });
}
