import type * as tf from '@tensorflow/tfjs-core';
import type { NamedArray } from '../architecture.js';
import { BATCH_NORM_ARRAYS } from '../batch-norm.js';
import type { ImportedModel } from '../io/imported-model.js';
import { topologyLayers, type KerasLayer } from '../io/keras-topology.js';
import { decodeAll, manifestName } from '../io/keras-weights.js';
import type { Net } from '../net.js';
import { getWeights } from '../weights.js';
import type { Extraction } from './extract.js';

/** A tfjs model as it was imported: the file's own topology and weights, and how the import named its layers. */
export interface ImportSource {
  readonly artifacts: tf.io.ModelArtifacts;
  readonly imported: ImportedModel;
}

/**
 * The user's own model.json with the pruned weights: the original topology,
 * Sequential or functional, so every layer keeps its name, class and inbound
 * nodes, the input keeps its shape, the final softmax stays, and the
 * carried-along layers (dropout, pooling, activations, a Sequential model's
 * folded batch norms) are there as the user wrote them, with their original
 * weights (they are never trained). The Dense, Conv2D and DepthwiseConv2D
 * kernels and biases change, and a functional model's batch norms (which
 * train) take the net's gamma, beta and moving statistics, under the
 * manifest names they had.
 *
 * With an extraction (a unit-pruned model made physically smaller, Li et al.
 * 2017; a graph's coupled channels, Fang et al. 2023), each Dense/Conv2D
 * layer's `units`/`filters` become the kept count, its kernel and bias the
 * extracted ones (a depthwise conv's channels follow its input), and each
 * batch norm keeps the same channels (extractArchitecture's `channels` for a
 * Sequential model's folded ones, the extracted arrays for a functional
 * model's). A layer written without a bias gains one when the fine-tuned or
 * folded bias is nonzero: the Sequential import trains a zero bias for it,
 * and dropping it would change the function; likewise a batch norm written
 * without scale or center gains the gamma or beta that training moved.
 */
export function importedArtifacts(source: ImportSource, net: Net, extraction?: Extraction): tf.io.ModelArtifacts {
  const topology = structuredClone(source.artifacts.modelTopology);
  const layers = topologyLayers(topology, 'the imported model');
  const original = decodeAll(source.artifacts);
  const ours = new Map<string, NamedArray>((extraction?.weights ?? getWeights(net)).map((w) => [w.name, w]));
  // The values to write, by manifest name, and manifest names added after an existing one (a new bias after its kernel).
  const values = new Map<string, { shape: readonly number[]; data: Float32Array }>(original);
  const added = new Map<string, string[]>();
  const add = (after: string, name: string, w: { shape: readonly number[]; data: Float32Array }) => {
    values.set(name, w);
    added.set(after, [...(added.get(after) ?? []), name]);
  };
  const find = (layer: string, attr: string): string | undefined => manifestName(original, layer, attr);
  const bnIndex = new Map<string, number>();
  net.arch.layers.forEach((spec, i) => {
    if (spec.kind === 'fixed' && spec.source?.endsWith(' (BatchNormalization)')) bnIndex.set(spec.source.slice(0, -' (BatchNormalization)'.length), i);
  });
  // A functional model's batch norm: the net's four arrays (trained, and sliced by an extraction).
  const writeNorm = (l: KerasLayer, name: string, norm: string): void => {
    const statistic = find(name, 'moving_mean')!;
    for (const attr of BATCH_NORM_ARRAYS) {
      const w = ours.get(`${norm}/${attr}`)!;
      const n = find(name, attr);
      if (n !== undefined) values.set(n, w);
      else if (w.data.some((v) => v !== (attr === 'gamma' ? 1 : 0))) {
        add(statistic, statistic.replace(/moving_mean(:\d+)?$/, `${attr}$1`), w);
        l.config[attr === 'gamma' ? 'scale' : 'center'] = true;
      }
    }
  };

  for (const l of layers) {
    const name = layerName(l);
    const prunable = source.imported.layerNames[name];
    if (prunable !== undefined) {
      const depthwise = l.class_name === 'DepthwiseConv2D';
      const kernel = ours.get(`${prunable}/kernel`)!;
      const bias = ours.get(`${prunable}/bias`);
      const kernelName = find(name, depthwise ? 'depthwise_kernel' : 'kernel')!;
      // Ours is [k, k, 1, channels], Keras' [k, k, channels, 1]: the same values.
      values.set(kernelName, depthwise ? { shape: [...kernel.shape.slice(0, 2), kernel.shape.at(-1)!, 1], data: kernel.data } : kernel);
      const biasName = find(name, 'bias');
      if (bias && biasName !== undefined) values.set(biasName, bias);
      else if (bias && bias.data.some((b) => b !== 0)) {
        add(kernelName, kernelName.replace(/(depthwise_)?kernel(:\d+)?$/, 'bias$2'), bias);
        l.config['use_bias'] = true;
      }
      if (extraction && !depthwise) l.config[l.class_name === 'Dense' ? 'units' : 'filters'] = kernel.shape.at(-1);
      continue;
    }
    const norm = source.imported.norms[name];
    if (norm !== undefined) {
      writeNorm(l, name, norm);
      continue;
    }
    const keep = l.class_name === 'BatchNormalization' ? extraction?.channels.get(bnIndex.get(name) ?? -1) : undefined;
    if (!keep) continue;
    for (const attr of BATCH_NORM_ARRAYS) {
      const n = find(name, attr);
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
    for (const extra of added.get(n) ?? []) push(extra);
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

/** A layer's name: a functional model's layers carry it beside their config, a Sequential model's in it. */
function layerName(l: KerasLayer): string {
  const own = (l as KerasLayer & { name?: unknown }).name;
  return typeof own === 'string' ? own : String(l.config['name']);
}
