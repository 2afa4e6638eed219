import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@prunelab/core';
import type { Architecture } from './architecture.js';
import { forwardPass, type ForwardHooks } from './forward.js';
import { layerGeometry } from './geometry.js';
import { fixedParamCount } from './ops/fixed.js';
import type { NetLayers, ParamLayer } from './param-layer.js';
import { setWeights } from './weights.js';

export interface NetOptions {
  /**
   * Draw fresh random weights even when the architecture carries initial
   * weights, from the stream `init:<seed>:<initStream>` (the random
   * re-initialisation control of Frankle & Carbin 2019).
   */
  readonly randomInit?: boolean;
  readonly initStream?: string;
}

let netCounter = 0;

/**
 * A network as plain data (the architecture, architecture.ts) plus tfjs
 * variables (the weights). We keep our own small layer set instead of
 * tfjs-layers so that the training loop controls every variable directly:
 * masks are applied to gradients and re-applied after each optimizer step,
 * which tf.LayersModel.fit cannot do.
 */
export class Net implements NetLayers {
  readonly params: ParamLayer[] = [];
  private readonly byLayer: Array<ParamLayer | undefined> = [];

  constructor(readonly arch: Architecture, seed: number, options: NetOptions = {}) {
    const rng = createRng(options.initStream === undefined ? `init:${seed}` : `init:${seed}:${options.initStream}`);
    const id = netCounter++;
    let shape = [...arch.inputShape];
    const counts = { dense: 0, conv2d: 0 };
    for (const [index, spec] of arch.layers.entries()) {
      const g = layerGeometry(spec, shape);
      let layer: ParamLayer | undefined;
      if ((spec.kind === 'dense' || spec.kind === 'conv2d') && g.kernel !== undefined) {
        const kernel = [...g.kernel];
        const units = kernel.at(-1)!;
        const name = spec.kind === 'dense' ? `dense${++counts.dense}` : `conv${++counts.conv2d}`;
        // Glorot fans: fan-in = kernel size / out, fan-out = kernel size / in.
        const size = kernel.reduce((a, b) => a * b, 1);
        layer = {
          name,
          kind: spec.kind,
          kernel: variable(glorot(kernel, size / units, size / kernel.at(-2)!, rng), true, `n${id}/${name}/kernel`),
          bias: variable(tf.zeros([units]), true, `n${id}/${name}/bias`),
          outPixels: g.outPixels,
          index,
          outShape: g.out,
        };
      }
      shape = g.out;
      this.byLayer.push(layer);
      if (layer) this.params.push(layer);
    }
    if (shape.length !== 1 || shape[0] !== arch.classes) {
      throw new Error(`architecture ends in shape [${shape.join(', ')}], expected [${arch.classes}] logits`);
    }
    if (arch.initialWeights && !options.randomInit) setWeights(this, arch.initialWeights);
  }

  /** Logits for a batch shaped [b, ...inputShape]: the forward pass without hooks. */
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.tidy(() => forwardPass(this, x));
  }

  /**
   * The same pass with hooks (forward.ts): replaced kernels, perturbed
   * pre-activations, observed layers, an ablated unit, a start in the middle.
   * Not tidied: the caller owns the tensors, observed ones included.
   */
  forwardWith(x: tf.Tensor, hooks: ForwardHooks): tf.Tensor2D {
    return forwardPass(this, x, hooks);
  }

  /** Every trainable variable, kernels and biases. */
  variables(): tf.Variable[] {
    return this.params.flatMap((p) => [p.kernel, p.bias]);
  }

  /** Total parameter count, prunable or not (constants of fixed layers included). */
  totalParams(): number {
    const fixed = this.arch.layers.reduce((s, l) => s + (l.kind === 'fixed' ? fixedParamCount(l.op) : 0), 0);
    return this.variables().reduce((s, v) => s + v.size, 0) + fixed;
  }

  /** The param layer computed by `arch.layers[i]`, if that layer has weights. */
  paramAt(i: number): ParamLayer | undefined {
    return this.byLayer[i];
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** A variable initialised from `init`; the initial tensor is released so only the variable remains. */
function variable(init: tf.Tensor, trainable: boolean, name: string): tf.Variable {
  const v = tf.variable(init, trainable, name);
  init.dispose();
  return v;
}

/** Glorot & Bengio 2010 uniform init, Keras' default, drawn from our seeded RNG so init is backend-independent. */
function glorot(shape: number[], fanIn: number, fanOut: number, rng: Rng): tf.Tensor {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (rng.next() * 2 - 1) * limit;
  return tf.tensor(data, shape);
}
