import * as tf from '@tensorflow/tfjs-core';
import { denseMatMul } from '@prunelab/engine';
import type { LayerSpec, ParamKind } from './architecture.js';
import { applyBatchNorm, type BatchStats } from './batch-norm.js';
import { depthwiseConv } from './depthwise.js';
import { downstreamOf, INPUT, unitChain, type Graph } from './graph.js';
import { applyStateless } from './layer-ops.js';
import { isParamKind } from './names.js';
import type { NetLayers, ParamLayer } from './param-layer.js';

/**
 * The network's one forward pass, over the graph of layers (architecture.ts).
 * `Net.forward` is this pass without hooks, in inference mode for evaluation
 * and in training mode for training; the scorers use the hooks to read and
 * perturb the same computation, so they score exactly the network that is
 * trained. Scorers run in inference mode (batch norms use their running
 * statistics), as evaluation does.
 *
 * What a param layer's pre- and post-activation are, for zoo and imported
 * models alike:
 *  - pre-activation z = xW + b: the layer's own output before any activation.
 *    Perturbations are added here, and per-example deltas dl/dz are taken
 *    against it (Fisher, OBD), since dl/dW = x^T dl/dz needs exactly this z.
 *  - post-activation (the unit's output): z after the layer's own activation
 *    AND the run of per-channel layers that follow it, each the one reader of
 *    the layer before (`unitChain`, graph.ts): batch norm, activation layers
 *    other than softmax, and the carried-along affine (folded batch norm),
 *    identity (dropout) and activation layers of imported models. The run
 *    stops before pooling, flatten, softmax, add, concatenate, the next param
 *    layer, or a layer whose output two layers read. apoz, entropy and
 *    mutual-information read it, and unit ablation zeroes it. So conv ->
 *    batch norm -> relu is one unit output; in a residual block conv -> batch
 *    norm -> add, the unit output is the batch norm's (the add mixes in the
 *    shortcut, which is not the unit's).
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
 *
 * A param layer's run is computed with the layer itself, so `observe` sees
 * the param layers in their order whatever the order of the branches.
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

/** Inference (the default) or training mode; only batch norms differ (batch-norm.ts). */
export interface ForwardMode {
  /** Batch norms normalise with the batch's statistics instead of the running ones. */
  readonly training?: boolean;
  /** In training mode, where batch norms record their batch statistics for the running-statistics update after the step. */
  readonly batchStats?: BatchStats;
}

export interface ForwardHooks extends ForwardMode {
  /** Kernel i replaces param layer i's kernel (perturbed weights, or the variable of tf.grads). */
  readonly kernels?: readonly (tf.Tensor | undefined)[];
  /** perturb[i] is added to param layer i's pre-activation (same shape): read dl/dz as the gradient at 0. */
  readonly perturb?: readonly (tf.Tensor | undefined)[];
  /** Zeroes unit `unit`'s output (its channel of the post-activation) of param layer `param`. */
  readonly ablate?: { readonly param: number; readonly unit: number };
  /** Called once per param layer, in order, when its post-activation is complete (from a `start`: the param layers downstream of it). */
  readonly observe?: (o: LayerObservation) => void;
  /**
   * Continue from `h`, the post-activation of param layer `after`, instead of
   * from the input: the layers downstream of that unit output are computed
   * from `h`, and every value they read that is not downstream of it (a
   * residual shortcut that leaves before the layer) is computed from `x` as
   * in the full pass. In a Sequential stack nothing upstream is recomputed.
   */
  readonly start?: { readonly after: number; readonly h: tf.Tensor };
}

/**
 * Logits for a batch, with hooks. The caller owns tidying: observed tensors
 * live in the caller's scope, so wrap the call (or the tf.grads around it) in
 * tf.tidy.
 */
export function forwardPass(net: NetLayers, x: tf.Tensor, hooks: ForwardHooks = {}): tf.Tensor2D {
  const layers = net.arch.layers;
  const graph = net.graph;
  // Unit-output bookkeeping costs nothing when nobody observes or ablates (Net.forward).
  const watch = hooks.observe !== undefined || hooks.ablate !== undefined;
  const values: Array<tf.Tensor | undefined> = new Array(layers.length);
  const done = new Uint8Array(layers.length);
  const paramOf = new Map(net.params.map((p, k) => [p.index, k]));
  let compute: readonly boolean[] | undefined;
  let downstream: readonly boolean[] | undefined;
  if (hooks.start) {
    const { after } = hooks.start;
    const p = net.params[after];
    if (!p) throw new Error(`forward: no param layer ${after} to start after (the net has ${net.params.length})`);
    const end = unitChain(graph, layers, p.index).at(-1) ?? p.index;
    values[end] = hooks.ablate?.param === after ? ablate(hooks.start.h, hooks.ablate.unit) : hooks.start.h;
    downstream = downstreamOf(graph, end);
    compute = needed(graph, downstream, end);
  }
  for (let i = 0; i < layers.length; i++) {
    if (done[i] || (compute && !compute[i])) continue;
    const spec = layers[i]!;
    const inputs = graph.inputs[i]!.map((j) => (j === INPUT ? x : values[j]!));
    if (!isParamKind(spec)) {
      values[i] = applyLayer(net, i, inputs, hooks);
      continue;
    }
    const pi = paramOf.get(i)!;
    const p = net.params[pi]!;
    const input = inputs[0]!;
    let z = paramOutput(spec, p, hooks.kernels?.[pi] ?? p.kernel, input);
    const e = hooks.perturb?.[pi];
    if (e) z = tf.add(z, e);
    let h = spec.activation === 'relu' ? tf.relu(z) : z;
    // The unit's run of per-channel layers, computed now so that its output is complete.
    const chain = unitChain(graph, layers, i);
    for (const c of chain) {
      h = applyLayer(net, c, [h], hooks);
      done[c] = 1;
    }
    if (watch) {
      if (hooks.ablate?.param === pi) h = ablate(h, hooks.ablate.unit);
      if (!downstream || downstream[i]) hooks.observe?.({ param: pi, input, pre: z, post: h });
    }
    values[chain.at(-1) ?? i] = h;
  }
  return values[layers.length - 1]! as tf.Tensor2D;
}

/** A layer without a prunable kernel applied to its inputs' values: a batch norm in the pass's mode, or a stateless layer. */
function applyLayer(net: NetLayers, i: number, inputs: readonly tf.Tensor[], mode: ForwardMode): tf.Tensor {
  const spec = net.arch.layers[i]!;
  if (spec.kind === 'batchnorm') return applyBatchNorm(net.normAt(i)!, inputs[0]!, mode.training === true, mode.batchStats);
  if (isParamKind(spec)) throw new Error(`forward: layers[${i}] has a kernel, it is computed as a param layer`);
  return applyStateless(spec, inputs);
}

/** z = xW + b of a param layer, with `kernel` in place of its own. */
function paramOutput(spec: LayerSpec & { kind: ParamKind }, p: ParamLayer, kernel: tf.Tensor, h: tf.Tensor): tf.Tensor {
  let z: tf.Tensor;
  if (spec.kind === 'dense') z = denseMatMul(h as tf.Tensor2D, kernel as tf.Tensor2D);
  else if (spec.kind === 'conv2d') z = tf.conv2d(h as tf.Tensor4D, kernel as tf.Tensor4D, spec.stride, spec.padding);
  else z = depthwiseConv(h, kernel, spec.stride, spec.padding);
  return p.bias ? tf.add(z, p.bias) : z;
}

/**
 * From a start after a unit output ending at layer `end`: the layers to
 * compute, those downstream of it and those upstream values they read that do
 * not come from it (computed as in the full pass).
 */
function needed(graph: Graph, downstream: readonly boolean[], end: number): boolean[] {
  const need = downstream.map(() => false);
  for (let i = need.length - 1; i >= 0; i--) {
    need[i] = downstream[i]! || (i !== end && graph.consumers[i]!.some((c) => need[c]!));
  }
  return need;
}

/** h with channel `unit` of its last axis set to zero. */
function ablate(h: tf.Tensor, unit: number): tf.Tensor {
  const units = h.shape.at(-1)!;
  if (!(unit >= 0 && unit < units)) throw new Error(`forward: cannot ablate unit ${unit} of a layer with ${units} units`);
  const keep = new Float32Array(units).fill(1);
  keep[unit] = 0;
  return tf.mul(h, tf.tensor1d(keep));
}
