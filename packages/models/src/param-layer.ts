import type * as tf from '@tensorflow/tfjs-core';
import type { Architecture, ParamKind } from './architecture.js';
import type { BatchNormLayer } from './batch-norm.js';
import type { Graph } from './graph.js';

/**
 * A layer with a prunable kernel. `kernel` is [in, out] (dense), [kh, kw, in,
 * out] (conv) or [kh, kw, 1, channels] (depthwise, architecture.ts), as in
 * tfjs: the last axis is always the output unit.
 */
export interface ParamLayer {
  readonly name: string;
  readonly kind: ParamKind;
  readonly kernel: tf.Variable;
  /** Absent for a layer built with `bias: false`. */
  readonly bias?: tf.Variable;
  /** Spatial size of this layer's output (conv, depthwise) or 1 (dense), for FLOP counts. */
  readonly outPixels: number;
  /** Index of this layer in `arch.layers`. */
  readonly index: number;
  /** Shape of one example's pre-activation output: [units] (dense) or [h, w, filters] (conv, depthwise). */
  readonly outShape: readonly number[];
}

/**
 * What the forward pass and the weight copies read of a built network: its
 * architecture, its resolved graph, its param layers and batch norms. The Net
 * implements it; they take this instead of the Net so that net.ts can call
 * them without an import circle.
 */
export interface NetLayers {
  readonly arch: Architecture;
  readonly graph: Graph;
  readonly params: readonly ParamLayer[];
  /** The batch norms, in layer order. */
  readonly norms: readonly BatchNormLayer[];
  /** The param layer computed by `arch.layers[i]`, if that layer has a prunable kernel. */
  paramAt(i: number): ParamLayer | undefined;
  /** The batch norm computed by `arch.layers[i]`, if that layer is one. */
  normAt(i: number): BatchNormLayer | undefined;
}
