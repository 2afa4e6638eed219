import type * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../architecture.js';
import { decodeAll, sequentialLayers, weightOwner, type ImportedModel } from '../io/keras-import.js';
import type { Net } from '../net.js';
import { getWeights } from '../weights.js';
import type { Extraction } from './extract.js';

/** A tfjs model as it was imported: the file's own topology and weights, and how the import named its layers. */
export interface ImportSource {
  readonly artifacts: tf.io.ModelArtifacts;
  readonly imported: ImportedModel;
}

const BN_WEIGHTS = ['gamma', 'beta', 'moving_mean', 'moving_variance'];

/**
 * The user's own model.json with the pruned weights: the original topology,
 * so every layer keeps its name and class, the input keeps its shape, the
 * final softmax stays, and the carried-along layers (dropout, batch norm,
 * pooling, activations) are there as the user wrote them, with their original
 * weights (they are never trained). Only the Dense and Conv2D kernels and
 * biases change, under the manifest names they had.
 *
 * With an extraction (a unit-pruned model made physically smaller, Li et al.
 * 2017), each Dense/Conv2D layer's `units`/`filters` become the kept count,
 * its kernel and bias the extracted ones, and a batch norm right after it
 * keeps the same channels (extractArchitecture's `channels`). A layer written
 * without a bias gains one when the fine-tuned or folded bias is nonzero:
 * the import trains a zero bias for it, and dropping it would change the function.
 */
export function importedArtifacts(source: ImportSource, net: Net, extraction?: Extraction): tf.io.ModelArtifacts {
  const topology = structuredClone(source.artifacts.modelTopology);
  const layers = sequentialLayers(topology, 'the imported model');
  const original = decodeAll(source.artifacts);
  const ours = new Map<string, NamedArray>((extraction?.weights ?? getWeights(net)).map((w) => [w.name, w]));
  // The values to write, by manifest name, and manifest names added after an existing one (a new bias after its kernel).
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>(original);
  const added = new Map<string, string>();
  const manifestName = (layer: string, attr: string): string | undefined => [...original.keys()].find((n) => {
    const o = weightOwner(n);
    return o.layer === layer && o.attr === attr;
  });
  const bnIndex = new Map<string, number>();
  net.arch.layers.forEach((spec, i) => {
    if (spec.kind === 'fixed' && spec.source?.endsWith(' (BatchNormalization)')) bnIndex.set(spec.source.slice(0, -' (BatchNormalization)'.length), i);
  });

  for (const l of layers) {
    const name = String(l.config['name']);
    const prunable = source.imported.layerNames[name];
    if (prunable !== undefined) {
      const kernel = ours.get(`${prunable}/kernel`)!;
      const bias = ours.get(`${prunable}/bias`)!;
      const kernelName = manifestName(name, 'kernel')!;
      values.set(kernelName, kernel);
      const biasName = manifestName(name, 'bias');
      if (biasName !== undefined) values.set(biasName, bias);
      else if (bias.data.some((b) => b !== 0)) {
        const newName = kernelName.replace(/kernel(:\d+)?$/, 'bias$1');
        values.set(newName, bias);
        added.set(kernelName, newName);
        l.config['use_bias'] = true;
      }
      if (extraction) l.config[l.class_name === 'Dense' ? 'units' : 'filters'] = kernel.shape.at(-1);
      continue;
    }
    const keep = l.class_name === 'BatchNormalization' ? extraction?.channels.get(bnIndex.get(name) ?? -1) : undefined;
    if (!keep) continue;
    for (const attr of BN_WEIGHTS) {
      const n = manifestName(name, attr);
      if (n === undefined) continue;
      const data = values.get(n)!.data.filter((_, j) => keep[j]);
      values.set(n, { shape: [data.length], data });
    }
  }

  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Float32Array[] = [];
  const push = (n: string) => {
    const w = values.get(n)!;
    specs.push({ name: n, shape: [...w.shape], dtype: 'float32' });
    parts.push(w.data);
  };
  for (const n of original.keys()) {
    push(n);
    const extra = added.get(n);
    if (extra !== undefined) push(extra);
  }
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return {
    modelTopology: topology,
    weightSpecs: specs,
    weightData: data.buffer,
    format: source.artifacts.format ?? 'layers-model',
    ...(source.artifacts.generatedBy !== undefined && { generatedBy: source.artifacts.generatedBy }),
    convertedBy: 'prunelab',
  };
}
