import * as tf from '@tensorflow/tfjs-core';
import { denseMatMul } from '@prunelab/engine';
import { applyFixed } from './ops/fixed.js';
import type { LayerSpec } from './architecture.js';
import type { NetLayers } from './param-layer.js';

/**
 * The network's one forward pass. `Net.forward` is this pass without hooks
 * (training and evaluation); the scorers use the hooks to read and perturb the
 * same computation, so they score exactly the network that is trained.
 *
 * What a param layer's pre- and post-activation are, for zoo and imported
 * models alike:
 *  - pre-activation z = xW + b: the layer's own output before any activation.
 *    Perturbations are added here, and per-example deltas dl/dz are taken
 *    against it (Fisher, OBD), since dl/dW = x^T dl/dz needs exactly this z.
 *  - post-activation (the unit's output): z after the layer's own activation
 *    AND the run of per-channel elementwise `fixed` layers that directly follow
 *    it (activations other than softmax, affine = folded batch norm, identity
 *    = dropout), stopping before pooling, flatten, softmax or the next param
 *    layer. apoz, entropy and mutual-information read it, and unit ablation
 *    zeroes it.
 * Why the run: an imported Keras model spells `Dense(activation='relu')` as
 * `Dense(linear) + Activation('relu')` or `Dense(linear) + BatchNormalization +
 * Activation('relu') + Dropout` just as often, and the import keeps relu on
 * the layer only in the first case (keras-import.ts; other activations always
 * become a `fixed` layer). Each of these layers acts on the unit's own channel
 * alone, so they all belong to the unit: stopping earlier would make a unit's
 * output depend on how the model was written, not on what it computes. A
 * final softmax is dropped by the import (the net returns logits), so the
 * output layer's post-activation is its logits either way. Pooling and
 * flatten mix positions, so they belong to the next layer's input; a unit
 * whose activation comes only after a pooling layer is read before it.
 */
export interface LayerObservation {
  /** Index into net.params. */
  readonly param: number;
  /** The layer's input (what its kernel multiplies). */
  readonly input: tf.Tensor;
  /** z = xW + b, plus the perturbation when one is given. */
  readonly pre: tf.Tensor;
  /** The unit outputs (see above), after ablation when this layer is ablated. */
  readonly post: tf.Tensor;
}

export interface ForwardHooks {
  /** Kernel i replaces param layer i's kernel (perturbed weights, or the variable of tf.grads). */
  readonly kernels?: readonly (tf.Tensor | undefined)[];
  /** perturb[i] is added to param layer i's pre-activation (same shape): read dl/dz as the gradient at 0. */
  readonly perturb?: readonly (tf.Tensor | undefined)[];
  /** Zeroes unit `unit`'s output (its channel of the post-activation) of param layer `param`. */
  readonly ablate?: { readonly param: number; readonly unit: number };
  /** Called once per param layer, in order, when its post-activation is complete. */
  readonly observe?: (o: LayerObservation) => void;
  /** Continue from `h`, the post-activation of param layer `after`, instead of from the input. */
  readonly start?: { readonly after: number; readonly h: tf.Tensor };
}

/** Whether `spec` acts on each channel alone and so extends the unit output of the param layer before it. */
export function extendsUnitOutput(spec: LayerSpec): boolean {
  if (spec.kind !== 'fixed') return false;
  const op = spec.op;
  return op.type === 'identity' || op.type === 'affine' || (op.type === 'activation' && op.fn !== 'softmax');
}

/**
 * Logits for a batch, with hooks. The caller owns tidying: observed tensors
 * live in the caller's scope, so wrap the call (or the tf.grads around it) in
 * tf.tidy.
 */
export function forwardPass(net: NetLayers, x: tf.Tensor, hooks: ForwardHooks = {}): tf.Tensor2D {
  const layers = net.arch.layers;
  // Unit-output bookkeeping costs nothing when nobody observes or ablates (Net.forward).
  const watch = hooks.observe !== undefined || hooks.ablate !== undefined;
  let h = x;
  let from = 0;
  let pi = 0;
  let open: { param: number; input: tf.Tensor; pre: tf.Tensor } | undefined;
  if (hooks.start) {
    const { after } = hooks.start;
    const p = net.params[after];
    if (!p) throw new Error(`forward: no param layer ${after} to start after (the net has ${net.params.length})`);
    from = p.index + 1;
    while (from < layers.length && extendsUnitOutput(layers[from]!)) from++;
    h = hooks.ablate?.param === after ? ablate(hooks.start.h, hooks.ablate.unit) : hooks.start.h;
    pi = after + 1;
  }
  for (let i = from; i < layers.length; i++) {
    const spec = layers[i]!;
    if (open && !extendsUnitOutput(spec)) {
      h = close(open, h, hooks);
      open = undefined;
    }
    if (spec.kind === 'dense' || spec.kind === 'conv2d') {
      const p = net.paramAt(i)!;
      const kernel = hooks.kernels?.[pi] ?? p.kernel;
      const input = h;
      let z =
        spec.kind === 'dense'
          ? tf.add(denseMatMul(h as tf.Tensor2D, kernel as tf.Tensor2D), p.bias)
          : tf.add(tf.conv2d(h as tf.Tensor4D, kernel as tf.Tensor4D, spec.stride, spec.padding), p.bias);
      const e = hooks.perturb?.[pi];
      if (e) z = tf.add(z, e);
      h = spec.activation === 'relu' ? tf.relu(z) : z;
      if (watch) open = { param: pi, input, pre: z };
      pi++;
    } else if (spec.kind === 'maxpool') {
      h = tf.maxPool(h as tf.Tensor4D, spec.size, spec.stride, 'valid');
    } else if (spec.kind === 'flatten') {
      h = tf.reshape(h, [h.shape[0]!, -1]);
    } else {
      h = applyFixed(spec.op, h);
    }
  }
  if (open) h = close(open, h, hooks);
  return h as tf.Tensor2D;
}

function close(open: { param: number; input: tf.Tensor; pre: tf.Tensor }, h: tf.Tensor, hooks: ForwardHooks): tf.Tensor {
  const post = hooks.ablate?.param === open.param ? ablate(h, hooks.ablate.unit) : h;
  hooks.observe?.({ ...open, post });
  return post;
}

/** h with channel `unit` of its last axis set to zero. */
function ablate(h: tf.Tensor, unit: number): tf.Tensor {
  const units = h.shape.at(-1)!;
  if (!(unit >= 0 && unit < units)) throw new Error(`forward: cannot ablate unit ${unit} of a layer with ${units} units`);
  const keep = new Float32Array(units).fill(1);
  keep[unit] = 0;
  return tf.mul(h, tf.tensor1d(keep));
}
