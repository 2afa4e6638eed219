import { createRng } from '@prunelab/core';
import { tf } from '@prunelab/engine';
import type { Net } from '@prunelab/models';
import { clip, inputGrad, type ClipRange } from './common.js';

/**
 * Projected Gradient Descent attack, L-infinity (Madry et al. 2018, "Towards
 * Deep Learning Models Resistant to Adversarial Attacks"): from x_0 = x (or a
 * seeded uniform point of the eps-ball with `randomStart`), repeat
 *
 *     x_{t+1} = clip(Proj_{||x' - x||_inf <= eps}(x_t + alpha * sign(grad_x L(x_t, y))))
 *
 * for `steps` steps. Returns a new tensor (caller disposes).
 */
export interface PgdOptions {
  readonly eps: number;
  readonly steps: number;
  /** alpha; default 2.5 * eps / steps. */
  readonly stepSize?: number;
  readonly randomStart?: boolean;
  readonly seed?: number;
  readonly clip?: ClipRange;
}

export function pgd(net: Net, xs: tf.Tensor, labels: tf.Tensor1D, o: PgdOptions): tf.Tensor {
  const alpha = o.stepSize ?? (2.5 * o.eps) / o.steps;
  let x = tf.tidy(() => {
    if (!o.randomStart) return tf.clone(xs);
    const rng = createRng(`pgd:${o.seed ?? 0}`);
    const noise = new Float32Array(xs.size);
    for (let i = 0; i < noise.length; i++) noise[i] = (rng.next() * 2 - 1) * o.eps;
    return clip(tf.add(xs, tf.tensor(noise, xs.shape)), o.clip);
  });
  for (let t = 0; t < o.steps; t++) {
    const next = tf.tidy(() => {
      const stepped = tf.add(x, tf.mul(tf.sign(inputGrad(net, x, labels)), alpha));
      const projected = tf.minimum(tf.maximum(stepped, tf.sub(xs, o.eps)), tf.add(xs, o.eps));
      return clip(projected, o.clip);
    });
    x.dispose();
    x = next;
  }
  return x;
}
