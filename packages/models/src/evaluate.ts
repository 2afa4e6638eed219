import * as tf from '@tensorflow/tfjs-core';
import { splitSize, type LoadedDataset, type SplitName } from '@prunelab/datasets';
import { BatchBuffer } from './data.js';
import type { Net } from './net.js';

export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly examples: number;
}

/** Accuracy and mean cross-entropy over a whole split, in fixed-size chunks. */
export function evaluate(net: Net, ds: LoadedDataset, split: SplitName = 'test', chunk = 1000): Evaluation {
  const n = splitSize(ds, split);
  const buffer = new BatchBuffer(ds, Math.min(chunk, n));
  let correct = 0;
  let lossSum = 0;
  const positions = new Uint32Array(buffer.capacity);
  for (let start = 0; start < n; start += buffer.capacity) {
    const b = Math.min(buffer.capacity, n - start);
    for (let i = 0; i < b; i++) positions[i] = start + i;
    const [c, l] = tf.tidy(() => {
      const { xs, labels } = buffer.load(split, positions.subarray(0, b));
      const logits = net.forward(xs);
      const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), 'float32'));
      const nll = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, ds.classes), tf.logSoftmax(logits))));
      return [hits.dataSync()[0]!, nll.dataSync()[0]!];
    });
    correct += c;
    lossSum += l;
  }
  return { accuracy: correct / n, loss: lossSum / n, examples: n };
}
