import { tf } from '@prunelab/engine';
import type { Net } from '@prunelab/models';

/**
 * Gradients the scorers need, all through the net's own forward pass
 * (`Net.forwardWith`, packages/models/src/forward.ts), so that they
 * differentiate exactly the network that is trained and evaluated, carried-
 * along layers of imported models included.
 */

/** Per-example softmax cross-entropy, shape [b]; its mean is `crossEntropy`. */
export function exampleLosses(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/** Gradients of the mean cross-entropy with respect to every kernel (or to `kernels`, replacing them). Call inside tf.tidy. */
export function kernelGrads(net: Net, xs: tf.Tensor, labels: tf.Tensor1D, kernels: readonly tf.Tensor[] = net.params.map((p) => p.kernel)): tf.Tensor[] {
  const classes = net.arch.classes;
  return tf.grads((...ks: tf.Tensor[]) => tf.mean(exampleLosses(net.forwardWith(xs, { kernels: ks }), labels, classes)) as tf.Scalar)([...kernels]);
}

/** Disposes tensors returned by `layerDeltas` that outlive tidy scopes (its inputs and logits). */
export function disposeTrace(t: { inputs: tf.Tensor[]; logits: tf.Tensor }): void {
  for (const x of t.inputs) x.dispose();
  t.logits.dispose();
}

/**
 * Per-example output gradients: deltas[i] = d l_n / d z_i (pre-activation of
 * param layer i, before its activation and any carried-along layers) for every
 * example n, from ONE backward pass of the summed per-example losses (example
 * n's loss depends on example n's z only, so the gradient of the sum holds
 * every per-example gradient). Also returns each layer's input and the logits;
 * these are kept past tidy scopes, so release them with `disposeTrace`. Call
 * inside tf.tidy.
 */
export function layerDeltas(
  net: Net,
  xs: tf.Tensor,
  lossOf: (logits: tf.Tensor2D) => tf.Tensor1D,
): { deltas: tf.Tensor[]; inputs: tf.Tensor[]; logits: tf.Tensor2D } {
  const b = xs.shape[0]!;
  const zeros = net.params.map((p) => tf.zeros([b, ...p.outShape]));
  const inputs: tf.Tensor[] = [];
  let logits: tf.Tensor2D | undefined;
  const f = (...es: tf.Tensor[]): tf.Scalar => {
    const out = net.forwardWith(xs, { perturb: es, observe: (o) => void (inputs[o.param] = tf.keep(tf.clone(o.input))) });
    logits = tf.keep(out);
    return tf.sum(lossOf(out));
  };
  const deltas = tf.grads(f)(zeros);
  return { deltas, inputs, logits: logits! };
}

/**
 * sum_n w_n * (d l_n / d W)^2 for one layer, exactly, from the layer's input
 * and per-example output gradients, without materialising more than one
 * kernel offset's per-example gradients at a time.
 *  - dense: d l_n/dW = a_n (outer) delta_n, so sum_n w_n (a_n delta_n)^2 = (a^2)^T (w delta^2): one matmul.
 *  - conv2d: for kernel offset (i, j), d l_n/dW[i,j] = P_nij^T delta_n with P_nij the
 *    [positions, in] input patch at that offset (an exact unfold); a batched
 *    matmul gives the [b, in, out] per-example gradients, squared and summed.
 */
export function squaredGradSum(net: Net, param: number, input: tf.Tensor, delta: tf.Tensor, weights?: tf.Tensor1D): tf.Tensor {
  const p = net.params[param]!;
  const spec = net.arch.layers[p.index]!;
  const b = input.shape[0]!;
  const w = weights ?? tf.ones([b]);
  if (spec.kind !== 'conv2d') {
    const d2 = tf.mul(tf.square(delta), tf.reshape(w, [b, 1]));
    return tf.matMul(tf.transpose(tf.square(input)), d2);
  }
  const [kh, kw, ci, co] = p.kernel.shape as [number, number, number, number];
  const [, h, wd] = input.shape as [number, number, number, number];
  const [, oh, ow] = delta.shape as [number, number, number, number];
  const s = spec.stride;
  let xp = input;
  if (spec.padding === 'same') {
    const ph = Math.max((oh - 1) * s + kh - h, 0);
    const pw = Math.max((ow - 1) * s + kw - wd, 0);
    const top = Math.floor(ph / 2);
    const left = Math.floor(pw / 2);
    xp = tf.pad(input, [
      [0, 0],
      [top, ph - top],
      [left, pw - left],
      [0, 0],
    ]);
  }
  const d = tf.reshape(delta, [b, oh * ow, co]);
  const wcol = tf.reshape(w, [b, 1, 1]);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const patch = tf.stridedSlice(xp, [0, i, j, 0], [b, i + (oh - 1) * s + 1, j + (ow - 1) * s + 1, ci], [1, s, s, 1]);
      const pt = tf.transpose(tf.reshape(patch, [b, oh * ow, ci]), [0, 2, 1]);
      const g = tf.matMul(pt as tf.Tensor3D, d as tf.Tensor3D);
      parts.push(tf.sum(tf.mul(tf.square(g), wcol), 0));
    }
  }
  return tf.reshape(tf.stack(parts), [kh, kw, ci, co]);
}
