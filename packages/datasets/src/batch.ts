import { createRng, permutation, PrunelabError } from '@prunelab/core';
import { augmentShapeProblem, writeAugmented, type AugmentPlan } from './augment.js';
import type { LoadedDataset, Normalization, SplitName } from './types.js';

/** Examples in a split. */
export function splitSize(ds: LoadedDataset, split: SplitName): number {
  return ds.splits[split].indices.length;
}

/** Values per example: the product of the shape. */
export function exampleSize(ds: Pick<LoadedDataset, 'shape'>): number {
  let n = 1;
  for (const d of ds.shape) n *= d;
  return n;
}

/**
 * Per-offset affine coefficients x = raw * a + b with a = scale / std[c],
 * b = -mean[c] / std[c], c = offset % channels, laid out over one whole example
 * so the inner loop is a single multiply-add with no modulo. Cached per
 * Normalization object (a few KB for CIFAR-10, 4 bytes x 2 for MNIST).
 */
interface Coefficients {
  readonly a: Float64Array;
  readonly b: Float64Array;
  /** Set when one channel covers everything: the loop then uses two scalars. */
  readonly uniform: boolean;
}

const coefficientCache = new WeakMap<Normalization, Map<number, Coefficients>>();

function coefficients(norm: Normalization, size: number): Coefficients {
  let bySize = coefficientCache.get(norm);
  if (!bySize) coefficientCache.set(norm, (bySize = new Map()));
  let c = bySize.get(size);
  if (c) return c;
  const channels = Math.max(1, norm.mean.length);
  const uniform = channels === 1;
  const len = uniform ? 1 : size;
  const a = new Float64Array(len);
  const b = new Float64Array(len);
  for (let k = 0; k < len; k++) {
    const ch = k % channels;
    const std = norm.std[ch] ?? 1;
    a[k] = norm.scale / std;
    b[k] = -(norm.mean[ch] ?? 0) / std;
  }
  c = { a, b, uniform };
  bySize.set(size, c);
  return c;
}

/**
 * Writes examples `splits[split].indices[positions[i]]` of the split's pool,
 * normalised to float, into x[i * exampleSize ..] and their labels into y[i].
 * The hot path of training: no allocation, one multiply-add per value. With
 * `augment`, each example is cropped and flipped by its position's draws in
 * the plan (augment.ts) on the way.
 */
export function fillBatch(ds: LoadedDataset, split: SplitName, positions: ArrayLike<number>, x: Float32Array, y: Int32Array, augment?: AugmentPlan): void {
  const s = ds.splits[split];
  const pool = ds.pools[s.pool];
  if (!pool) throw new PrunelabError('E_INTERNAL', `dataset ${ds.name}: split ${split} refers to missing pool ${s.pool}`);
  const e = exampleSize(ds);
  const count = positions.length;
  if (x.length < count * e || y.length < count) {
    throw new PrunelabError('E_INTERNAL', `fillBatch: buffers too small for ${count} examples of ${e} values (x has ${x.length}, y has ${y.length})`);
  }
  if (augment) {
    const problem = augmentShapeProblem(ds.shape);
    if (problem) throw new PrunelabError('E_INTERNAL', `fillBatch: dataset ${ds.name}: ${problem}`);
    if (augment.offsets.length < 3 * s.indices.length) {
      throw new PrunelabError(
        'E_INTERNAL',
        `fillBatch: the augmentation plan covers ${augment.offsets.length / 3} examples, split ${split} has ${s.indices.length}`,
      );
    }
  }
  const { a, b, uniform } = coefficients(ds.normalization, e);
  const indices = s.indices;
  const px = pool.x;
  const py = pool.y;
  for (let i = 0; i < count; i++) {
    const p = positions[i]!;
    const row = indices[p];
    if (row === undefined) {
      throw new PrunelabError('E_INTERNAL', `fillBatch: position ${p} is outside split ${split} of ${ds.name} (size ${indices.length})`);
    }
    y[i] = py[row]!;
    const src = row * e;
    const dst = i * e;
    if (augment) {
      writeAugmented(px, src, x, dst, ds.shape, augment, p, a, b);
    } else if (uniform) {
      const a0 = a[0]!,
        b0 = b[0]!;
      for (let k = 0; k < e; k++) x[dst + k] = px[src + k]! * a0 + b0;
    } else {
      for (let k = 0; k < e; k++) x[dst + k] = px[src + k]! * a[k]! + b[k]!;
    }
  }
}

/**
 * The order of examples in one epoch: a permutation of 0..n-1 that depends only
 * on (seed, epoch), so a resumed or re-run job sees the same batches, and any
 * worker can compute it without communication.
 */
export function epochOrder(n: number, seed: number, epoch: number): Uint32Array {
  return permutation(n, createRng(seed).fork(`epoch:${epoch}`));
}
