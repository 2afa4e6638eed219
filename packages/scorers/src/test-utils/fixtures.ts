import { z } from 'zod';
import type { LoadedDataset } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import { Net, type LayerSpec } from '@prunelab/models';
import type { ScorerEntry } from '../types.js';

/** A LoadedDataset over the given float rows: every row is in train, val and test. */
export function tinyDataset(x: readonly number[][], y: readonly number[], shape: readonly number[], classes = 2): LoadedDataset {
  const n = y.length;
  const pool = { x: Float32Array.from(x.flat()), y: Uint8Array.from(y), n };
  const indices = Uint32Array.from({ length: n }, (_, i) => i);
  const split = { pool: 0, indices };
  return {
    name: 'tiny',
    shape,
    classes,
    pools: [pool],
    splits: { train: split, val: split, test: split },
    normalization: { kind: 'scale', scale: 1, mean: [0], std: [1] },
    identity: { name: 'tiny', checksum: 'x', sizes: { train: n, val: n, test: n }, options: {} },
  };
}

/** Deterministic pseudo-random values in [-1, 1). */
export function values(n: number, seed: number): number[] {
  let a = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out.push((a / 4294967296) * 2 - 1);
  }
  return out;
}

export function rows(n: number, d: number, seed: number): number[][] {
  const v = values(n * d, seed);
  return Array.from({ length: n }, (_, i) => v.slice(i * d, i * d + d));
}

export function net(inputShape: number[], layers: LayerSpec[], classes = 2, seed = 1): Net {
  return new Net({ inputShape, classes, layers }, seed);
}

export function setKernel(n: Net, layer: number, data: number[], bias?: number[]): void {
  const p = n.params[layer]!;
  tf.tidy(() => {
    p.kernel.assign(tf.tensor(data, p.kernel.shape));
    if (bias) p.bias!.assign(tf.tensor(bias, p.bias!.shape));
  });
}

export function snapshot(n: Net): Float32Array[] {
  return n.variables().map((v) => Float32Array.from(v.dataSync()));
}

/** Layers (2 -> 3 relu -> 2) with fixed weights, and 8 labelled points. */
export function tinyMlp(): { net: Net; ds: LoadedDataset } {
  const m = net(
    [2],
    [
      { kind: 'dense', units: 3, activation: 'relu' },
      { kind: 'dense', units: 2, activation: 'linear' },
    ],
  );
  setKernel(m, 0, [0.8, -0.5, 0.3, -0.4, 0.9, 0.2], [0.1, 0, -0.05]);
  setKernel(m, 1, [0.7, -0.6, -0.3, 0.5, 0.4, 0.9], [0, 0.1]);
  const x = rows(8, 2, 7);
  const y = x.map((r) => (r[0]! + 0.5 * r[1]! > 0 ? 1 : 0));
  return { net: m, ds: tinyDataset(x, y, [2]) };
}

/** Conv net on 5x5x1 images: conv 2 filters 3x3 stride 2 same relu -> flatten -> dense 2. */
export function tinyConv(): { net: Net; ds: LoadedDataset } {
  const m = net(
    [5, 5, 1],
    [
      { kind: 'conv2d', filters: 2, kernel: 3, stride: 2, padding: 'same', activation: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', units: 2, activation: 'linear' },
    ],
    2,
    3,
  );
  const x = rows(6, 25, 11);
  const y = x.map((r) => (r[12]! > 0 ? 1 : 0));
  return { net: m, ds: tinyDataset(x, y, [5, 5, 1]) };
}

/** Small budgets (where the scorer has the option) so every scorer runs in well under a second. */
export function smallOptions(entry: ScorerEntry, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const keys = entry.schema instanceof z.ZodObject ? Object.keys(entry.schema.shape) : [];
  const wanted: Record<string, unknown> = { batches: 2, batchSize: 16, steps: 5, samples: 2, eps: 0.05, ...overrides };
  return Object.fromEntries(Object.entries(wanted).filter(([k]) => keys.includes(k)));
}
