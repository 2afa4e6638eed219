import * as tf from '@tensorflow/tfjs-core';
import { exampleSize, fillBatch, type AugmentPlan, type LoadedDataset, type SplitName } from '@prunelab/datasets';

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

  /** Fills the buffer with the examples at `positions` of `split` (augmented by `augment`'s draws) and returns tensors (caller disposes). */
  load(split: SplitName, positions: ArrayLike<number>, augment?: AugmentPlan): { xs: tf.Tensor; labels: tf.Tensor1D } {
    const { x, y } = this.fill(split, positions, augment);
    return { xs: tf.tensor(x, [positions.length, ...this.ds.shape]), labels: tf.tensor1d(y, 'int32') };
  }

  /**
   * Fills the buffer with the examples at `positions` of `split`, cropped and flipped by `augment`'s draws when given
   * (training only); returns views of the filled part (valid until the next fill).
   */
  fill(split: SplitName, positions: ArrayLike<number>, augment?: AugmentPlan): { x: Float32Array; y: Int32Array } {
    const b = positions.length;
    fillBatch(this.ds, split, positions, this.x, this.y, augment);
    return { x: this.x.subarray(0, b * this.featureSize), y: this.y.subarray(0, b) };
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
