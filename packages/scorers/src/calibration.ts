import { z } from 'zod';
import { createRng, permutation } from '@prunelab/core';
import { splitSize, type LoadedDataset } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import { BatchBuffer } from '@prunelab/models';

/**
 * Calibration data: `batches` batches of `batchSize` examples from the TRAIN
 * split (never the test split), at positions drawn from a permutation seeded by
 * the run seed only. Every scorer therefore sees the same examples for the same
 * seed, and the same seed always gives the same batches. When the split is
 * smaller than batches x batchSize, every example is used once.
 */
export const calibrationFields = {
  batches: z.number().int().positive().default(4).describe('Calibration batches from the train split.'),
  batchSize: z.number().int().positive().default(256).describe('Examples per calibration batch.'),
};

export function calibrationPositions(ds: LoadedDataset, seed: number, batches: number, batchSize: number): Uint32Array[] {
  const n = splitSize(ds, 'train');
  const total = Math.min(n, batches * batchSize);
  const order = permutation(n, createRng(`calibration:${seed}`));
  const out: Uint32Array[] = [];
  for (let start = 0; start < total; start += batchSize) out.push(order.slice(start, Math.min(total, start + batchSize)));
  return out;
}

export interface CalibrationBatch {
  readonly xs: tf.Tensor;
  readonly labels: tf.Tensor1D;
  readonly index: number;
}

/**
 * Calls `fn` once per calibration batch with that batch's tensors, disposing
 * them afterwards. `fn` must be synchronous in its tensor use (wrap its work in
 * tf.tidy); whatever tensors it keeps are its own to dispose.
 */
export function forEachBatch(ds: LoadedDataset, positions: readonly Uint32Array[], fn: (b: CalibrationBatch) => void): number {
  const capacity = Math.max(1, ...positions.map((p) => p.length));
  const buffer = new BatchBuffer(ds, capacity);
  let examples = 0;
  positions.forEach((pos, index) => {
    const { xs, labels } = buffer.load('train', pos);
    try {
      fn({ xs, labels, index });
    } finally {
      xs.dispose();
      labels.dispose();
    }
    examples += pos.length;
  });
  return examples;
}
