import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { depthwiseConv } from './depthwise.js';

// On wasm, where tf.depthwiseConv2d has no gradient kernels: our depthwise
// conv against tfjs' own forward, and its gradients against a conv2d with the
// block-diagonal kernel (output channel c reads input channel c alone), which
// computes the same function with ops wasm differentiates.
beforeAll(async () => {
  await initBackend('wasm');
});

const cases: Array<[number, number, number, 'same' | 'valid']> = [
  // input side, kernel, stride, padding
  [6, 3, 1, 'same'],
  [6, 3, 2, 'same'],
  [7, 3, 2, 'same'],
  [7, 2, 1, 'valid'],
  [8, 3, 3, 'valid'],
];

describe.each(cases)('depthwise conv on %i x %i, kernel %i, stride %i, %s', (side, k, stride, padding) => {
  it('computes tf.depthwiseConv2d, and differentiates like the block-diagonal conv2d', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const c = 3;
      const x = tf.randomNormal([2, side, side + 1, c], 0, 1, 'float32', side);
      const kernel = tf.randomNormal([k, k, 1, c], 0, 1, 'float32', k + stride);
      const ours = depthwiseConv(x, kernel, stride, padding);
      const theirs = tf.depthwiseConv2d(x as tf.Tensor4D, tf.reshape(kernel, [k, k, c, 1]) as tf.Tensor4D, stride, padding);
      expect(ours.shape).toEqual(theirs.shape);
      expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-5);
      const blockDiagonal = (kk: tf.Tensor) => tf.mul(tf.reshape(kk, [k, k, 1, c]), tf.reshape(tf.eye(c), [1, 1, c, c]));
      const weight = tf.randomNormal(theirs.shape, 0, 1, 'float32', 99);
      const [gx, gk] = tf.grads((xx: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(depthwiseConv(xx, kk, stride, padding), weight)))([x, kernel]);
      const [rx, rk] = tf.grads((xx: tf.Tensor, kk: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xx as tf.Tensor4D, blockDiagonal(kk) as tf.Tensor4D, stride, padding), weight)))([x, kernel]);
      expect(tf.max(tf.abs(tf.sub(gx!, rx!))).dataSync()[0]).toBeLessThan(1e-4);
      expect(tf.max(tf.abs(tf.sub(gk!, rk!))).dataSync()[0]).toBeLessThan(1e-4);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});
