import { statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PrunelabError } from '@prunelab/core';
import { fileIOHandler } from '../io/fs-handler.js';
import type { LayerSpec } from '../architecture.js';
import { netMetrics } from '../metrics.js';
import type { Net } from '../net.js';
import { extractArchitecture, extractNet } from './extract.js';
import { importedArtifacts, type ImportSource } from './imported-export.js';

/**
 * Our Net as a tfjs-layers Sequential model with the same weights, so an
 * extracted (physically smaller) network can be shipped as a standard tfjs
 * `model.json` + `weights.bin` and loaded by tf.loadLayersModel anywhere.
 * Prunable layers keep our names (dense1, conv1, ...), so re-importing the file
 * with the `tfjs` zoo entry maps them back. A folded batch norm is written as a
 * BatchNormalization with mean 0 and variance 1 - epsilon, i.e. x * gamma + beta.
 */
export function toLayersModel(net: Net): tfl.Sequential {
  const problem = unwritable(net.arch);
  if (problem) throw problem;
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [...net.arch.inputShape] })] });
  const values: tf.Tensor[] = [];
  let fixedCount = 0;
  try {
    net.arch.layers.forEach((spec, i) => {
      const p = net.paramAt(i);
      const layer = toLayer(spec, p?.name ?? `fixed${++fixedCount}`);
      if (!layer) return;
      model.add(layer);
      if (p) values.push(p.kernel.clone(), p.bias?.clone() ?? tf.zeros([p.kernel.shape.at(-1)!]));
      if (spec.kind === 'fixed' && spec.op.type === 'affine') {
        const n = spec.op.scale.length;
        values.push(tf.tensor1d(spec.op.scale as number[]), tf.tensor1d(spec.op.offset as number[]), tf.zeros([n]), tf.fill([n], 1 - BN_EPSILON));
      }
    });
    model.setWeights(values);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const v of values) v.dispose();
  }
  return model;
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin` for the net (e.g. an extracted one). */
export async function exportModelJson(net: Net, dir: string): Promise<tf.io.SaveResult> {
  const model = toLayersModel(net);
  try {
    return await model.save(fileIOHandler(dir));
  } finally {
    model.dispose();
  }
}

export interface ExportOptions {
  /** Write the physically smaller network (extractNet) instead of the masked one: for unit-level structures. */
  readonly physical?: boolean;
  /** The model.json the net was imported from: the export then writes the user's own layers back (importedArtifacts). */
  readonly source?: ImportSource;
  /** Stored in model.json as userDefinedMetadata.prunelab (tfjs-layers: model.getUserDefinedMetadata()). */
  readonly metadata?: Readonly<Record<string, string | number | boolean | object>>;
}

/** What an export wrote, as `prunelab export model` and `prunelab prune` print it. */
export interface ExportReport {
  readonly files: readonly string[];
  /** model.json and the weights together. */
  readonly bytes: number;
  /** Every value in the weight file (batch-norm statistics of an imported model included). */
  readonly params: number;
  readonly nonzero: number;
  /** Multiply-adds per example of the exported network as stored (dense kernels), and counting only its nonzero weights. */
  readonly macs: number;
  readonly macsNonzero: number;
  /** Output units removed per prunable layer (physical exports; empty otherwise). */
  readonly removed: Readonly<Record<string, number>>;
  /** The exported model's input shape (one example) and what it returns. */
  readonly inputShape: readonly number[];
  readonly output: 'logits' | 'softmax';
}

/**
 * Writes `net` as a tfjs LayersModel (`<dir>/model.json` + `weights.bin`)
 * that tf.loadLayersModel loads as it is. A zoo model is written from its
 * architecture (toLayersModel: our layer names, the logits as output, the
 * dataset's input shape). An imported model (`source`) is written as the
 * user's own topology with the new weights (importedArtifacts), so names,
 * input shape, final softmax and carried-along layers are the user's.
 */
export async function exportModel(net: Net, dir: string, options: ExportOptions = {}): Promise<ExportReport> {
  const problem = options.source ? undefined : unwritable(net.arch);
  if (problem) throw problem;
  const small = options.physical ? extractNet(net) : undefined;
  const target = small?.net ?? net;
  try {
    const metrics = netMetrics(target);
    const artifacts = options.source ? importedArtifacts(options.source, net, options.physical ? extractArchitecture(net) : undefined) : await layersArtifacts(target);
    const saved = { ...artifacts, ...(options.metadata && { userDefinedMetadata: { prunelab: options.metadata } }) };
    await fileIOHandler(dir).save(saved);
    const files = [join(dir, 'model.json'), join(dir, 'weights.bin')];
    const values = artifacts.weightData === undefined ? new Float32Array(0) : new Float32Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData));
    let nonzero = 0;
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) nonzero++;
    return {
      files,
      bytes: files.reduce((s, f) => s + statSync(f).size, 0),
      params: values.length,
      nonzero,
      macs: metrics.macsDense,
      macsNonzero: metrics.macsEffective,
      removed: small?.removed ?? {},
      inputShape: [...(options.source?.imported.inputShape ?? net.arch.inputShape)],
      output: options.source?.imported.output ?? 'logits',
    };
  } finally {
    small?.net.dispose();
  }
}

/** The artifacts tfjs-layers writes for the net's Sequential model (weights as float32). */
async function layersArtifacts(net: Net): Promise<tf.io.ModelArtifacts> {
  const model = toLayersModel(net);
  let captured: tf.io.ModelArtifacts | undefined;
  try {
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        captured = a;
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
      }),
    );
  } finally {
    model.dispose();
  }
  return captured!;
}

const BN_EPSILON = 1e-3;

/** Layer kinds toLayersModel cannot write yet: never dropped silently, since a model without them would compute something else. */
const UNWRITABLE = new Set<LayerSpec['kind']>(['batchnorm', 'activation', 'add', 'concatenate', 'depthwiseConv2d', 'globalAvgPool', 'zeroPad']);

/**
 * Why a zoo architecture cannot be written as a Sequential LayersModel
 * (graphs, batch norms, ...), or undefined. Checked before any work, so the
 * export fails as a user error instead of deep inside tfjs-layers.
 */
function unwritable(arch: Net['arch']): PrunelabError | undefined {
  const graph = arch.layers.some((spec) => spec.inputs !== undefined);
  const kinds = [...new Set(arch.layers.filter((spec) => UNWRITABLE.has(spec.kind)).map((spec) => spec.kind))];
  if (!graph && kinds.length === 0) return undefined;
  const what = [...(graph ? ['a graph (layers that name their inputs)'] : []), ...(kinds.length > 0 ? [`${kinds.join(', ')} layers`] : [])].join(' with ');
  return new PrunelabError('E_MODEL_INVALID', `export writes a zoo model as a Sequential tfjs model, and this one is ${what}, which it cannot write yet`, {
    fix: 'Export a model imported from your own tfjs file (model: { name: tfjs, path: ... }: Sequential or functional, written back as it was), or a zoo mlp, lenet-5 or conv-small',
  });
}

function toLayer(spec: LayerSpec, name: string): tfl.layers.Layer | undefined {
  switch (spec.kind) {
    case 'batchnorm':
    case 'activation':
    case 'add':
    case 'concatenate':
    case 'depthwiseConv2d':
    case 'globalAvgPool':
    case 'zeroPad':
      return undefined; // refused before (unwritable)
    case 'dense':
      return tfl.layers.dense({ name, units: spec.units, activation: spec.activation });
    case 'conv2d':
      return tfl.layers.conv2d({ name, filters: spec.filters, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: spec.activation });
    case 'maxpool':
      return tfl.layers.maxPooling2d({ name, poolSize: spec.size, strides: spec.stride, padding: 'valid' });
    case 'flatten':
      return tfl.layers.flatten({ name });
    case 'fixed': {
      const op = spec.op;
      switch (op.type) {
        case 'identity':
          return undefined;
        case 'activation':
          return tfl.layers.activation({ name, activation: op.fn });
        case 'affine':
          return tfl.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON });
        case 'pool': {
          const args = { name, poolSize: [...op.size] as [number, number], strides: [...op.stride] as [number, number], padding: op.padding };
          return op.mode === 'max' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
        }
        case 'globalPool':
          return op.mode === 'max' ? tfl.layers.globalMaxPooling2d({ name }) : tfl.layers.globalAveragePooling2d({ name });
      }
    }
  }
}
