import * as tf from '@tensorflow/tfjs-core';
import { splitSize, type LoadedDataset, type SplitName } from '@prunelab/datasets';
import { BatchBuffer } from './data.js';
import { architectureShapes } from './geometry.js';
import type { Net } from './net.js';

export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly examples: number;
}

/**
 * What a chunk's forward pass may hold at once. Inside one tidy every layer's
 * output lives until the chunk ends: 1,000 CIFAR images through ResNet-56 are
 * about 13 GB, past the wasm heap (the evaluation aborted). MLPs and LeNets stay
 * at 1,000 examples a chunk, so their figures are unchanged.
 */
const CHUNK_BYTES = 256 * 2 ** 20;

/** Float32 values one example holds during a forward pass: each layer's output, twice for a pre- and post-activation. */
function valuesPerExample(net: Net): number {
  return architectureShapes(net.arch).layers.reduce((sum, g) => sum + 2 * g.out.reduce((a, b) => a * b, 1), 0);
}

/** Accuracy and mean cross-entropy over a whole split, in fixed-size chunks (smaller where activations are large). */
export function evaluate(net: Net, ds: LoadedDataset, split: SplitName = 'test', chunk = 1000): Evaluation {
  const n = splitSize(ds, split);
  const fits = Math.max(1, Math.floor(CHUNK_BYTES / (4 * valuesPerExample(net))));
  const buffer = new BatchBuffer(ds, Math.min(chunk, fits, n));
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
