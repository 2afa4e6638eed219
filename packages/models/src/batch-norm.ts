import * as tf from '@tensorflow/tfjs-core';
import { BATCH_NORM_DEFAULTS, type LayerSpec } from './architecture.js';

/**
 * Batch normalisation (Ioffe & Szegedy 2015, "Batch Normalization:
 * Accelerating Deep Network Training by Reducing Internal Covariate Shift"),
 * computed with the same tfjs ops as tfjs-layers' BatchNormalization so that
 * a network built here and one built with tfjs-layers agree (resnet.test.ts):
 *
 *     training:  y = gamma (x - mu_B) / sqrt(var_B + eps) + beta, mu_B and var_B the
 *                batch's mean and biased variance over every axis but the channels;
 *                afterwards running <- running - (1 - momentum) (running - batch)
 *     inference: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta
 *
 * The running statistics are updated after the optimizer step, outside the
 * gradient tape (`BatchStats`), never by the forward pass itself, so a
 * forward pass in training mode that is not a training step (a test, a
 * scorer) leaves them as they were.
 */
export interface BatchNormLayer {
  /** bn1, bn2, ... in layer order (names.ts). */
  readonly name: string;
  /** Index of this layer in `arch.layers`. */
  readonly index: number;
  /** Trainable scale and offset, per channel. */
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  /** Non-trainable running statistics, per channel. */
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;
  readonly epsilon: number;
  readonly momentum: number;
}

/** The four arrays of a batch norm, in Keras' order and with Keras' names (weights.ts). */
export const BATCH_NORM_ARRAYS = ['gamma', 'beta', 'moving_mean', 'moving_variance'] as const;

/** A batch norm over `channels` channels, at its initial state: gamma 1, beta 0, running mean 0, running variance 1 (Keras' initialisers). */
export function buildBatchNorm(spec: LayerSpec & { kind: 'batchnorm' }, name: string, index: number, channels: number, prefix: string): BatchNormLayer {
  const v = (init: tf.Tensor, trainable: boolean, what: string): tf.Variable => {
    const variable = tf.variable(init, trainable, `${prefix}/${name}/${what}`);
    init.dispose();
    return variable;
  };
  return {
    name,
    index,
    gamma: v(tf.ones([channels]), true, 'gamma'),
    beta: v(tf.zeros([channels]), true, 'beta'),
    movingMean: v(tf.zeros([channels]), false, 'moving_mean'),
    movingVariance: v(tf.ones([channels]), false, 'moving_variance'),
    epsilon: spec.epsilon ?? BATCH_NORM_DEFAULTS.epsilon,
    momentum: spec.momentum ?? BATCH_NORM_DEFAULTS.momentum,
  };
}

/** The layer's variables in BATCH_NORM_ARRAYS order. */
export function batchNormVariables(bn: BatchNormLayer): [tf.Variable, tf.Variable, tf.Variable, tf.Variable] {
  return [bn.gamma, bn.beta, bn.movingMean, bn.movingVariance];
}

/**
 * The batch statistics of one training step, recorded by the forward pass and
 * applied to the running statistics once the step is taken. The recorded
 * tensors are kept past the tidy scopes of the step; `commit` or `dispose`
 * releases them.
 */
export class BatchStats {
  private pending: Array<{ readonly bn: BatchNormLayer; readonly mean: tf.Tensor; readonly variance: tf.Tensor }> = [];

  /** Called by the forward pass in training mode, once per batch norm. */
  record(bn: BatchNormLayer, mean: tf.Tensor, variance: tf.Tensor): void {
    this.pending.push({ bn, mean: tf.keep(mean), variance: tf.keep(variance) });
  }

  /** Moves every recorded layer's running statistics towards the batch's, as tfjs-layers does, and releases the batch's. */
  commit(): void {
    const pending = this.pending;
    this.pending = [];
    try {
      tf.tidy(() => {
        for (const { bn, mean, variance } of pending) {
          const decay = 1 - bn.momentum;
          for (const [running, batch] of [[bn.movingMean, mean], [bn.movingVariance, variance]] as const) {
            running.assign(tf.sub(running, tf.mul(tf.sub(running, batch), decay)));
          }
        }
      });
    } finally {
      for (const p of pending) tf.dispose([p.mean, p.variance]);
    }
  }

  /** Releases what was recorded without applying it (a step that failed). */
  dispose(): void {
    for (const p of this.pending) tf.dispose([p.mean, p.variance]);
    this.pending = [];
  }
}

/** The batch norm applied to `x` ([b, ..., channels]); in training mode with the batch's statistics, recorded in `stats` when given. */
export function applyBatchNorm(bn: BatchNormLayer, x: tf.Tensor, training: boolean, stats?: BatchStats): tf.Tensor {
  if (!training) return tf.batchNorm(x, bn.movingMean, bn.movingVariance, bn.beta, bn.gamma, bn.epsilon);
  const axes = Array.from({ length: x.rank - 1 }, (_, k) => k);
  const { mean, variance } = tf.moments(x, axes);
  stats?.record(bn, mean, variance);
  return tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, bn.epsilon);
}
