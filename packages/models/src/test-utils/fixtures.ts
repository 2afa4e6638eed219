// Test fixtures shared by the tests of models and of the packages built on it
// (exported as @prunelab/models/test-utils, for tests only: no build output).
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { project, type LayerScores } from '@prunelab/projection';
import * as tf from '@tensorflow/tfjs-core';
import type { Architecture, NamedArray } from '../architecture.js';
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
