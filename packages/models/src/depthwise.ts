import * as tf from '@tensorflow/tfjs-core';
import { windowGeometry } from '@prunelab/engine';

/**
 * Depthwise convolution with channel multiplier 1 from slices, products and
 * a sum over the kernel's offsets:
 *
 *     y[n, p, q, c] = sum_{i, j} xpad[n, p s + i, q s + j, c] k[i, j, 0, c]
 *
 * with tfjs' 'same' padding (the odd pixel at the bottom and right) or none
 * ('valid'). tf.depthwiseConv2d computes the same, but tfjs-backend-wasm has
 * no kernels for its gradients (DepthwiseConv2dNativeBackpropInput/Filter),
 * and prunelab trains on wasm; these ops differentiate on every backend, so
 * every backend runs this one formulation. A stride subsamples with a 1x1
 * average pool (exact), since tfjs has no gradient for strided slices. Agrees
 * with tfjs-layers' DepthwiseConv2D to float rounding (exactness.test.ts).
 */
export function depthwiseConv(x: tf.Tensor, kernel: tf.Tensor, stride: number, padding: 'same' | 'valid'): tf.Tensor {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  const [kh, kw] = kernel.shape as [number, number, number, number];
  // The one copy of the window formula (engine's windowGeometry): output size and the padding before.
  const gh = windowGeometry(h, kh, stride, padding);
  const gw = windowGeometry(w, kw, stride, padding);
  const oh = gh.out;
  const ow = gw.out;
  const xp = padding === 'same' ? tf.pad(x, [[0, 0], [gh.before, gh.after], [gw.before, gw.after], [0, 0]]) : x;
  const terms: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      let patch = tf.slice(xp, [0, i, j, 0], [b, (oh - 1) * stride + 1, (ow - 1) * stride + 1, c]);
      if (stride > 1) patch = tf.avgPool(patch as tf.Tensor4D, 1, stride, 'valid');
      terms.push(tf.mul(patch, tf.reshape(tf.slice(kernel, [i, j, 0, 0], [1, 1, 1, c]), [c])));
    }
  }
  return terms.length === 1 ? terms[0]! : tf.addN(terms);
}
