import type * as tf from '@tensorflow/tfjs-core';
import type { Architecture } from './architecture.js';

/** A layer with weights. `kernel` is [in, out] (dense) or [kh, kw, in, out] (conv), as in tfjs. */
export interface ParamLayer {
  readonly name: string;
  readonly kind: 'dense' | 'conv2d';
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;
  /** Spatial size of this layer's output (conv) or 1 (dense), for FLOP counts. */
  readonly outPixels: number;
  /** Index of this layer in `arch.layers`. */
  readonly index: number;
  /** Shape of one example's pre-activation output: [units] (dense) or [h, w, filters] (conv). */
  readonly outShape: readonly number[];
}

/**
 * What the forward pass and the weight copies read of a built network: its
 * architecture and its param layers. The Net implements it; they take this
 * instead of the Net so that net.ts can call them without an import circle.
 */
export interface NetLayers {
  readonly arch: Architecture;
  readonly params: readonly ParamLayer[];
  /** The param layer computed by `arch.layers[i]`, if that layer has weights. */
  paramAt(i: number): ParamLayer | undefined;
}
