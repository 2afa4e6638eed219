import * as tf from '@tensorflow/tfjs-core';
import type { LayerSpec, ParamKind } from './architecture.js';
import { applyFixed } from './ops/fixed.js';

/**
 * The layers without variables, as tfjs ops: the forward pass (forward.ts)
 * computes prunable layers and batch norms itself, since the hooks and the
 * training mode act there, and everything else here. The ops are those
 * tfjs-layers uses for the same layers, so imported models compute the same.
 */
export type StatelessSpec = Exclude<LayerSpec, { kind: ParamKind | 'batchnorm' }>;

/** The layer applied to its inputs' values (one, or two or more for add and concatenate). */
export function applyStateless(spec: StatelessSpec, inputs: readonly tf.Tensor[]): tf.Tensor {
  const h = inputs[0]!;
  switch (spec.kind) {
    case 'maxpool':
      return tf.maxPool(h as tf.Tensor4D, spec.size, spec.stride, 'valid');
    case 'flatten':
      return tf.reshape(h, [h.shape[0]!, -1]);
    case 'fixed':
      return applyFixed(spec.op, h);
    case 'activation':
      return applyFixed({ type: 'activation', fn: spec.fn }, h);
    case 'add':
      // Left to right, as tfjs-layers' Add.
      return inputs.slice(1).reduce((sum, t) => tf.add(sum, t), h);
    case 'concatenate':
      return tf.concat([...inputs], -1);
    case 'globalAvgPool':
      return tf.mean(h, [1, 2]);
    case 'zeroPad': {
      const [rows, cols] = spec.padding;
      return tf.pad(h, [[0, 0], [rows[0], rows[1]], [cols[0], cols[1]], [...(spec.channels ?? [0, 0])] as [number, number]]);
    }
  }
}
