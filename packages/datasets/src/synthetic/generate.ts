import { createRng, type Rng } from '@prunelab/core';
import { sharedFloat32, sharedUint8 } from '../shared.js';
import type { SplitName } from '../types.js';

/** Rows [train | val | test] of one pool, each split filled from its own stream of `seed`. */
export interface GeneratedPool {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly sizes: Record<SplitName, number>;
}

export function splitStream(seed: number, label: string): Rng {
  return createRng(seed).fork(label);
}

/**
 * Allocates the pool and calls `fill(rng, x, y, start, n)` for each split with
 * its own stream, so one split's size never shifts another's examples.
 */
export function generatePool(
  seed: number,
  dims: number,
  sizes: Record<SplitName, number>,
  fill: (rng: Rng, x: Float32Array, y: Uint8Array, start: number, n: number) => void,
): GeneratedPool {
  const total = sizes.train + sizes.val + sizes.test;
  const x = sharedFloat32(total * dims);
  const y = sharedUint8(total);
  let start = 0;
  for (const split of ['train', 'val', 'test'] as const) {
    fill(splitStream(seed, `examples:${split}`), x, y, start, sizes[split]);
    start += sizes[split];
  }
  return { x, y, sizes };
}
