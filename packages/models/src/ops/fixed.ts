import * as tf from '@tensorflow/tfjs-core';
import { windowGeometry } from '@prunelab/engine';

/**
 * Non-prunable layers of an imported model (see zoo/tfjs.ts). They are carried
 * along unpruned and untrained but are computed in forward, so an imported
 * Keras/tfjs network keeps its function. Constants are plain arrays so an
 * Architecture stays plain data.
 */
export type FixedActivation = 'relu' | 'relu6' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'softsign' | 'linear' | 'softmax';

export type FixedOp =
  | { readonly type: 'identity' }
  | { readonly type: 'activation'; readonly fn: FixedActivation }
  /** y = x * scale + offset along the last (channel) axis: inference-mode batch normalisation folded (Ioffe & Szegedy 2015). */
  | { readonly type: 'affine'; readonly scale: readonly number[]; readonly offset: readonly number[] }
  | { readonly type: 'pool'; readonly mode: 'max' | 'avg'; readonly size: readonly [number, number]; readonly stride: readonly [number, number]; readonly padding: 'same' | 'valid' }
  | { readonly type: 'globalPool'; readonly mode: 'max' | 'avg' };

export const FIXED_ACTIVATIONS: readonly FixedActivation[] = ['relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'softsign', 'linear', 'softmax'];

export function applyFixed(op: FixedOp, x: tf.Tensor): tf.Tensor {
  switch (op.type) {
    case 'identity':
      return x;
    case 'activation':
      return activate(op.fn, x);
    case 'affine':
      return tf.add(tf.mul(x, tf.tensor1d(op.scale as number[])), tf.tensor1d(op.offset as number[]));
    case 'pool':
      if (op.mode === 'max') return tf.maxPool(x as tf.Tensor4D, op.size as [number, number], op.stride as [number, number], op.padding);
      return op.padding === 'same'
        ? exactAvgPool(x as tf.Tensor4D, op.size, op.stride)
        : tf.avgPool(x as tf.Tensor4D, op.size as [number, number], op.stride as [number, number], 'valid');
    case 'globalPool':
      return op.mode === 'max' ? tf.max(x, [1, 2]) : tf.mean(x, [1, 2]);
  }
}

function activate(fn: FixedActivation, x: tf.Tensor): tf.Tensor {
  switch (fn) {
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'linear':
      return x;
    case 'softmax':
      return tf.softmax(x);
  }
}

/** Constants the op carries (counted as non-prunable parameters). */
export function fixedParamCount(op: FixedOp): number {
  return op.type === 'affine' ? op.scale.length + op.offset.length : 0;
}

/**
 * The op applied to a channel that is constant `c` everywhere (a removed unit
 * outputs act(bias)), or undefined when the result is not a per-channel
 * constant (softmax mixes channels). Pools map a constant map to the same constant.
 */
export function fixedOnConstant(op: FixedOp, c: number, channel: number): number | undefined {
  switch (op.type) {
    case 'identity':
    case 'pool':
    case 'globalPool':
      return c;
    case 'affine':
      return c * op.scale[channel]! + op.offset[channel]!;
    case 'activation':
      return op.fn === 'softmax' ? undefined : scalarActivation(op.fn, c);
  }
}

function scalarActivation(fn: Exclude<FixedActivation, 'softmax'>, x: number): number {
  switch (fn) {
    case 'relu':
      return Math.max(0, x);
    case 'relu6':
      return Math.min(6, Math.max(0, x));
    case 'elu':
      return x > 0 ? x : Math.expm1(x);
    case 'selu':
      return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x));
    case 'tanh':
      return Math.tanh(x);
    case 'sigmoid':
      return 1 / (1 + Math.exp(-x));
    case 'softplus':
      return Math.log1p(Math.exp(x));
    case 'softsign':
      return x / (1 + Math.abs(x));
    case 'linear':
      return x;
  }
}

/**
 * Average pooling with 'same' padding, which averages the in-bounds values of each window (as
 * tf.avgPool's forward and Keras' AveragePooling2D do). Not tf.avgPool itself: tfjs' AvgPoolGrad
 * divides by the whole window even where the padding leaves fewer values, so its gradient is not
 * that of its own forward, and a network with such a pool trained differently on tfjs than on the
 * native engine (whose gradient is exact). Here the window sums are a 'valid' average pool (every
 * window full, so its gradient is right) of the zero-padded input, times the window's area, divided
 * by the constant count of in-bounds values per window. Built from ops that differentiate on every
 * backend (wasm has no depthwise-convolution gradients).
 */
function exactAvgPool(x: tf.Tensor4D, size: readonly [number, number], stride: readonly [number, number]): tf.Tensor4D {
  return tf.tidy(() => {
    const gh = windowGeometry(x.shape[1], size[0], stride[0], 'same');
    const gw = windowGeometry(x.shape[2], size[1], stride[1], 'same');
    const pad: Array<[number, number]> = [
      [0, 0],
      [gh.before, gh.after],
      [gw.before, gw.after],
      [0, 0],
    ];
    const windowSums = (t: tf.Tensor4D) => tf.mul(tf.avgPool(tf.pad(t, pad), size as [number, number], stride as [number, number], 'valid'), size[0] * size[1]);
    const count = windowSums(tf.ones([1, x.shape[1], x.shape[2], 1]) as tf.Tensor4D);
    return tf.div(windowSums(x), count);
  });
}
