import { tf } from '@prunelab/engine';
import type { Net } from '@prunelab/models';
import { clip, inputGrad, type ClipRange } from './common.js';

/**
 * Fast Gradient Sign Method (Goodfellow, Shlens & Szegedy 2015, "Explaining
 * and Harnessing Adversarial Examples"):
 *
 *     x' = clip(x + eps * sign(grad_x L(x, y)))
 *
 * Returns a new tensor (caller disposes); the net is not modified.
 */
export interface FgsmOptions {
  readonly eps: number;
  readonly clip?: ClipRange;
}

export function fgsm(net: Net, xs: tf.Tensor, labels: tf.Tensor1D, o: FgsmOptions): tf.Tensor {
  return tf.tidy(() => clip(tf.add(xs, tf.mul(tf.sign(inputGrad(net, xs, labels)), o.eps)), o.clip));
}
