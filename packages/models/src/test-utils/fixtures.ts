// Test fixtures shared by the tests of models and of the packages built on it
// (exported as @prunelab/models/test-utils, for tests only: no build output).
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { project, type LayerScores } from '@prunelab/projection';
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, LayerSpec, NamedArray } from '../architecture.js';
import { Net } from '../net.js';
import { trainingSchema, type TrainingConfig } from '../optimizer.js';
import { getWeights } from '../weights.js';

export function blobs(): Promise<LoadedDataset> {
  return loadDataset({ name: 'synthetic', kind: 'blobs', dims: 8, classes: 3, trainSize: 512, valSize: 64, testSize: 256 });
}

export function config(overrides: Partial<TrainingConfig> = {}): TrainingConfig {
  return trainingSchema.parse({ epochs: 1, batchSize: 32, lr: 0.01, ...overrides });
}

export function mlpArch(dims = 8, classes = 3, hidden = [16, 12]): Architecture {
  return {
    inputShape: [dims],
    classes,
    layers: [...hidden.map((units) => ({ kind: 'dense' as const, units, activation: 'relu' as const })), { kind: 'dense', units: classes, activation: 'linear' }],
  };
}

/** |w| per weight: magnitude scores (Han et al. 2015). */
export function magnitudeScores(net: Net): LayerScores[] {
  return net.params.map((p) => ({ name: p.name, shape: [...p.kernel.shape], scores: Float32Array.from(p.kernel.dataSync(), Math.abs) }));
}

/** Zero positions of every kernel, concatenated. */
export function zeroPattern(net: Net): Uint8Array {
  const parts = net.params.map((p) => Uint8Array.from(p.kernel.dataSync(), (v) => (v === 0 ? 1 : 0)));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Glorot kernels scaled by 1.5 and nonzero biases, so folding a removed unit's constant output matters. */
export function randomize(net: Net, seed: number): void {
  let s = seed;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  for (const p of net.params) {
    tf.tidy(() => {
      p.kernel.assign(tf.mul(p.kernel, 1.5));
      const bias = p.bias;
      if (bias) bias.assign(tf.tensor(Float32Array.from({ length: bias.size }, () => next() - 0.3), bias.shape));
    });
  }
}

/** Unit-prunes every layer (output included) at `sparsity`, layerwise, by weight magnitude. */
export function unitPrune(net: Net, sparsity: number, exclude: string[] = []): void {
  const r = project(magnitudeScores(net), { sparsity, scope: 'layerwise', structure: { kind: 'unit', reduce: 'l2' }, exclude });
  for (const [i, p] of net.params.entries()) {
    const m = r.masks[i]!.mask;
    tf.tidy(() => p.kernel.assign(tf.mul(p.kernel, tf.tensor(Float32Array.from(m), p.kernel.shape))));
  }
}

export function trainedWeights(net: Net): NamedArray[] {
  return getWeights(net).map((w) => ({ ...w, data: Float32Array.from(w.data) }));
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

/**
 * A small graph with every coupling rule of channel pruning (extract/channels.ts):
 * two convs concatenated (channel ranges) under one batch norm, added to a
 * third conv's batch-normed output, a depthwise conv after the add, channel
 * zero padding added to a fourth conv, a flatten of an [h, w, c] map into a
 * dense layer, global average pooling into another, and their outputs
 * concatenated into the classifier. Input [6, 6, 2], 3 classes.
 */
export function coupledGraphArch(): Architecture {
  const conv = (filters: number, kernel: number, extra: Partial<LayerSpec & { kind: 'conv2d' }> = {}): LayerSpec => ({
    kind: 'conv2d',
    filters,
    kernel,
    stride: 1,
    padding: 'same',
    activation: 'linear',
    ...extra,
  });
  return {
    inputShape: [6, 6, 2],
    classes: 3,
    layers: [
      conv(3, 3, { activation: 'relu', name: 'a' }),
      conv(2, 1, { inputs: ['input'], name: 'b' }),
      { kind: 'concatenate', inputs: ['a', 'b'] },
      { kind: 'batchnorm', name: 'n' },
      conv(5, 3, { inputs: ['input'], bias: false }),
      { kind: 'batchnorm', name: 'c' },
      { kind: 'add', inputs: ['n', 'c'] },
      { kind: 'depthwiseConv2d', kernel: 3, stride: 1, padding: 'same', activation: 'linear' },
      { kind: 'activation', fn: 'relu' },
      { kind: 'zeroPad', padding: [[0, 0], [0, 0]], channels: [1, 2], name: 'p' },
      conv(8, 3, { inputs: ['input'], name: 'd' }),
      { kind: 'add', inputs: ['p', 'd'] },
      { kind: 'activation', fn: 'relu' },
      { kind: 'maxpool', size: 2, stride: 2, name: 'm' },
      conv(2, 3, { activation: 'relu' }),
      { kind: 'flatten' },
      { kind: 'dense', units: 4, activation: 'relu', name: 'f' },
      { kind: 'globalAvgPool', inputs: ['m'] },
      { kind: 'dense', units: 4, activation: 'relu', name: 'g' },
      { kind: 'concatenate', inputs: ['f', 'g'] },
      { kind: 'dense', units: 3, activation: 'linear' },
    ],
  };
}

/** randomize() plus batch norms with gamma, beta and running statistics away from their initial 1, 0, 0, 1, so that a zero channel does not stay zero through one by luck. */
export function randomizeAll(net: Net, seed: number): void {
  randomize(net, seed);
  let s = seed + 7;
  const next = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const values = (n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * next());
  for (const bn of net.norms) {
    tf.tidy(() => {
      const n = bn.gamma.size;
      bn.gamma.assign(tf.tensor(values(n, 0.5, 1.5)));
      bn.beta.assign(tf.tensor(values(n, -0.3, 0.3)));
      bn.movingMean.assign(tf.tensor(values(n, -0.2, 0.2)));
      bn.movingVariance.assign(tf.tensor(values(n, 0.5, 1.5)));
    });
  }
}
