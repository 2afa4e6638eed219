import * as tf from '@tensorflow/tfjs-core';
import { exampleSize, fillBatch, type LoadedDataset, type SplitName } from '@prunelab/datasets';

/**
 * Reusable host buffers for one batch. Allocated once per loop so the hot
 * path converts uint8 to float in place instead of allocating per step.
 */
export class BatchBuffer {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly featureSize: number;

  constructor(readonly ds: LoadedDataset, readonly capacity: number) {
    this.featureSize = exampleSize(ds);
    this.x = new Float32Array(capacity * this.featureSize);
    this.y = new Int32Array(capacity);
  }

  /** Fills the buffer with the examples at `positions` of `split` and returns tensors (caller disposes). */
  load(split: SplitName, positions: ArrayLike<number>): { xs: tf.Tensor; labels: tf.Tensor1D } {
    const b = positions.length;
    fillBatch(this.ds, split, positions, this.x, this.y);
    const xs = tf.tensor(this.x.subarray(0, b * this.featureSize), [b, ...this.ds.shape]);
    const labels = tf.tensor1d(this.y.subarray(0, b), 'int32');
    return { xs, labels };
  }
}

/** Mean softmax cross-entropy over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Scalar {
  return tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const onehot = tf.oneHot(labels, classes);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, logp), 1))) as tf.Scalar;
  });
}
