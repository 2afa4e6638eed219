import { createRng, permutation } from '@prunelab/core';
import { optionError } from './errors.js';
import { sharedUint32 } from './shared.js';
import type { Split, SplitName } from './types.js';

/**
 * Deterministic train / validation / test splits of the original train and test
 * files. The validation set is held out of the training file, as in Frankle &
 * Carbin (2019), "The Lottery Ticket Hypothesis", which keeps 5,000 of MNIST's
 * 60,000 training examples for early stopping; the test file is never touched.
 *
 * One permutation of the training file (seeded by `splitSeed`) is cut in two:
 * its first `valSize` rows are the validation set, the next `trainSize` rows the
 * training subset. So the validation set does not depend on `trainSize`, and a
 * smaller training subset is a subset of a larger one with the same seed. Each
 * split's indices are then sorted, so reading a split in order walks memory
 * forwards; training order comes from `epochOrder`.
 */
export interface SplitRequest {
  /** Rows in the pool that holds the original training examples. */
  readonly trainPoolSize: number;
  /** Rows in the pool of the original test examples. */
  readonly testPoolSize: number;
  readonly trainPool: number;
  readonly testPool: number;
  readonly trainSize: number | 'all';
  readonly valSize: number;
  readonly testSize: number | 'all';
  readonly splitSeed: number;
  /** The config file, for error messages. */
  readonly file?: string | undefined;
}

export function makeSplits(r: SplitRequest): Record<SplitName, Split> {
  if (r.valSize > r.trainPoolSize) {
    throw optionError('valSize', `valSize exceeds the maximum ${r.trainPoolSize} (the size of the training file)`, r.valSize, r.file);
  }
  const maxTrain = r.trainPoolSize - r.valSize;
  const trainSize = r.trainSize === 'all' ? maxTrain : r.trainSize;
  if (trainSize > maxTrain) {
    throw optionError(
      'trainSize',
      `trainSize exceeds the maximum ${maxTrain} (${r.trainPoolSize} training examples minus valSize ${r.valSize})`,
      trainSize,
      r.file,
    );
  }
  const testSize = r.testSize === 'all' ? r.testPoolSize : r.testSize;
  if (testSize > r.testPoolSize) {
    throw optionError('testSize', `testSize exceeds the maximum ${r.testPoolSize} (the size of the test file)`, testSize, r.file);
  }
  const rng = createRng(r.splitSeed);
  const order = permutation(r.trainPoolSize, rng.fork('holdout'));
  const val = sortedShared(order.subarray(0, r.valSize));
  const train = sortedShared(order.subarray(r.valSize, r.valSize + trainSize));
  const test = testSize === r.testPoolSize ? rangeShared(testSize) : sortedShared(permutation(r.testPoolSize, rng.fork('test')).subarray(0, testSize));
  return {
    train: { pool: r.trainPool, indices: train },
    val: { pool: r.trainPool, indices: val },
    test: { pool: r.testPool, indices: test },
  };
}

/** Contiguous splits of one pool laid out as [train | val | test] (synthetic data, generated per split). */
export function contiguousSplits(pool: number, sizes: Record<SplitName, number>): Record<SplitName, Split> {
  const at = (start: number, n: number): Split => {
    const indices = sharedUint32(n);
    for (let i = 0; i < n; i++) indices[i] = start + i;
    return { pool, indices };
  };
  return {
    train: at(0, sizes.train),
    val: at(sizes.train, sizes.val),
    test: at(sizes.train + sizes.val, sizes.test),
  };
}

function sortedShared(src: Uint32Array): Uint32Array {
  const out = sharedUint32(src.length);
  out.set(src);
  return out.sort();
}

function rangeShared(n: number): Uint32Array {
  const out = sharedUint32(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
