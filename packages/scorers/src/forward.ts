import { convOut, tf, type Net, type ParamLayer } from '@prunelab/models';
import { log } from '@prunelab/core';

/**
 * A functional copy of `Net.forward` that the scorers need and `Net` does not
 * offer: kernels can be replaced by other tensors (perturbed weights), an
 * additive tensor can be injected into every pre-activation (to read per-example
 * output gradients dL/dz), a unit can be ablated, and each prunable layer's
 * input, pre- and post-activation can be observed. The math is exactly
 * `Net.forward`'s; the caller owns tidying.
 */
export interface LayerObservation {
  /** Index into net.params. */
  readonly param: number;
  readonly input: tf.Tensor;
  readonly pre: tf.Tensor;
  readonly post: tf.Tensor;
}

export interface ForwardOptions {
  readonly kernels?: readonly tf.Tensor[];
  /** Added to the pre-activation of param layer i (same shape). */
  readonly perturb?: readonly tf.Tensor[];
  /** Zeroes output unit `unit` of param layer `param` (its kernel column and bias). */
  readonly ablate?: { readonly param: number; readonly unit: number };
  readonly observe?: (o: LayerObservation) => void;
  /** Start at architecture layer `layer` (param counter `param`) with activation `h` instead of at the input. */
  readonly start?: { readonly layer: number; readonly param: number; readonly h: tf.Tensor };
}

export function forwardWith(net: Net, x: tf.Tensor, o: ForwardOptions = {}): tf.Tensor2D {
  let h: tf.Tensor = o.start?.h ?? x;
  let pi = o.start?.param ?? 0;
  const from = o.start?.layer ?? 0;
  for (const [li, spec] of net.arch.layers.entries()) {
    if (li < from) continue;
    if (spec.kind === 'dense' || spec.kind === 'conv2d') {
      const p = net.params[pi]!;
      const k = o.kernels?.[pi] ?? p.kernel;
      const input = h;
      let z =
        spec.kind === 'dense'
          ? tf.add(tf.matMul(h as tf.Tensor2D, k as tf.Tensor2D), p.bias)
          : tf.add(tf.conv2d(h as tf.Tensor4D, k as tf.Tensor4D, spec.stride, spec.padding), p.bias);
      if (o.ablate && o.ablate.param === pi) z = tf.mul(z, unitKeepMask(p, o.ablate.unit));
      const e = o.perturb?.[pi];
      if (e) z = tf.add(z, e);
      h = spec.activation === 'relu' ? tf.relu(z) : z;
      o.observe?.({ param: pi, input, pre: z, post: h });
      pi++;
    } else if (spec.kind === 'maxpool') {
      h = tf.maxPool(h as tf.Tensor4D, spec.size, spec.stride, 'valid');
    } else {
      h = tf.reshape(h, [h.shape[0]!, -1]);
    }
  }
  return h as tf.Tensor2D;
}

function unitKeepMask(p: ParamLayer, unit: number): tf.Tensor1D {
  const units = p.kernel.shape.at(-1)!;
  const m = new Float32Array(units).fill(1);
  m[unit] = 0;
  return tf.tensor1d(m);
}

/** Architecture-layer index of every param layer. */
export function paramLayerIndices(net: Net): number[] {
  const out: number[] = [];
  net.arch.layers.forEach((spec, li) => {
    if (spec.kind === 'dense' || spec.kind === 'conv2d') out.push(li);
  });
  return out;
}

/** Gradients of the mean cross-entropy with respect to every kernel (or to `kernels`, replacing them). Call inside tf.tidy. */
export function kernelGrads(net: Net, xs: tf.Tensor, labels: tf.Tensor1D, kernels: readonly tf.Tensor[] = net.params.map((p) => p.kernel)): tf.Tensor[] {
  const classes = net.arch.classes;
  return tf.grads((...ks: tf.Tensor[]) => tf.mean(exampleLosses(forwardWith(net, xs, { kernels: ks }), labels, classes)) as tf.Scalar)([...kernels]);
}

/** Disposes tensors returned by `layerDeltas` that outlive tidy scopes (its inputs and logits). */
export function disposeTrace(t: { inputs: tf.Tensor[]; logits: tf.Tensor }): void {
  for (const x of t.inputs) x.dispose();
  t.logits.dispose();
}

/** Shapes of every param layer's pre-activation for a batch of `b` examples. */
export function preActivationShapes(net: Net, b: number): number[][] {
  let shape = [...net.arch.inputShape];
  const out: number[][] = [];
  for (const spec of net.arch.layers) {
    if (spec.kind === 'dense') {
      shape = [spec.units];
      out.push([b, spec.units]);
    } else if (spec.kind === 'conv2d') {
      const [oh, ow] = convOut(shape[0]!, shape[1]!, spec.kernel, spec.stride, spec.padding);
      shape = [oh, ow, spec.filters];
      out.push([b, oh, ow, spec.filters]);
    } else if (spec.kind === 'maxpool') {
      const [oh, ow] = convOut(shape[0]!, shape[1]!, spec.size, spec.stride, 'valid');
      shape = [oh, ow, shape[2]!];
    } else {
      shape = [shape.reduce((a, c) => a * c, 1)];
    }
  }
  return out;
}

/** Per-example softmax cross-entropy, shape [b]; its mean is `crossEntropy`. */
export function exampleLosses(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Tensor1D {
  return tf.neg(tf.sum(tf.mul(tf.oneHot(labels, classes), tf.logSoftmax(logits)), 1)) as tf.Tensor1D;
}

/**
 * Per-example output gradients: deltas[i] = d l_n / d z_i (pre-activation of
 * param layer i) for every example n, from ONE backward pass of the summed
 * per-example losses (example n's loss depends on example n's z only, so the
 * gradient of the sum holds every per-example gradient). Also returns each
 * layer's input and the logits; these are kept past tidy scopes, so release
 * them with `disposeTrace`. Call inside tf.tidy.
 */
export function layerDeltas(
  net: Net,
  xs: tf.Tensor,
  lossOf: (logits: tf.Tensor2D) => tf.Tensor1D,
): { deltas: tf.Tensor[]; inputs: tf.Tensor[]; logits: tf.Tensor2D } {
  const b = xs.shape[0]!;
  const zeros = preActivationShapes(net, b).map((s) => tf.zeros(s));
  const inputs: tf.Tensor[] = [];
  let logits: tf.Tensor2D | undefined;
  const f = (...es: tf.Tensor[]): tf.Scalar => {
    const out = forwardWith(net, xs, { perturb: es, observe: (o) => void (inputs[o.param] = tf.keep(tf.clone(o.input))) });
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
  const b = input.shape[0]!;
  const w = weights ?? tf.ones([b]);
  if (p.kind === 'dense') {
    const d2 = tf.mul(tf.square(delta), tf.reshape(w, [b, 1]));
    return tf.matMul(tf.transpose(tf.square(input)), d2);
  }
  const spec = convSpec(net, param);
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
    xp = tf.pad(input, [[0, 0], [top, ph - top], [left, pw - left], [0, 0]]);
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

function convSpec(net: Net, param: number): { stride: number; padding: 'same' | 'valid' } {
  let pi = 0;
  for (const spec of net.arch.layers) {
    if (spec.kind === 'dense' || spec.kind === 'conv2d') {
      if (pi === param) {
        if (spec.kind !== 'conv2d') break;
        return spec;
      }
      pi++;
    }
  }
  throw new Error(`param layer ${param} is not a conv2d layer`);
}

/** The param layers scorers support (dense, conv2d); anything else is skipped with a message. */
export function checkSupported(net: Net, scorer: string): void {
  for (const p of net.params) {
    if (p.kind !== 'dense' && p.kind !== 'conv2d') {
      log.warn(`scorer ${scorer}: skipping layer ${(p as ParamLayer).name} of unsupported kind ${String((p as ParamLayer).kind)}`);
    }
  }
}

/** Weights in one output unit of a kernel ([in, out] or [kh, kw, in, out]): everything but the last axis. */
export function unitSize(shape: readonly number[]): number {
  return shape.slice(0, -1).reduce((a, c) => a * c, 1);
}

/** Spreads unit scores over their weights: weight (r, j) gets unitScores[j] / unitSize. */
export function spreadUnitScores(name: string, shape: readonly number[], unitScores: Float32Array) {
  const units = shape.at(-1)!;
  const per = unitSize(shape);
  const scores = new Float32Array(per * units);
  for (let r = 0; r < per; r++) for (let j = 0; j < units; j++) scores[r * units + j] = unitScores[j]! / per;
  return { name, shape: [...shape], scores, unitScores };
}
