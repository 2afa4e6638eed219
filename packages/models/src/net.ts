import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@prunelab/core';
import type { Architecture } from './architecture.js';
import { buildBatchNorm, type BatchNormLayer } from './batch-norm.js';
import { forwardPass, type ForwardHooks, type ForwardMode } from './forward.js';
import { architectureShapes } from './geometry.js';
import type { Graph } from './graph.js';
import { isParamKind, layerNames } from './names.js';
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
  readonly norms: BatchNormLayer[] = [];
  readonly graph: Graph;
  private readonly paramByLayer: Array<ParamLayer | undefined> = [];
  private readonly normByLayer: Array<BatchNormLayer | undefined> = [];

  constructor(readonly arch: Architecture, seed: number, options: NetOptions = {}) {
    const rng = createRng(options.initStream === undefined ? `init:${seed}` : `init:${seed}:${options.initStream}`);
    const id = netCounter++;
    const shapes = architectureShapes(arch);
    this.graph = shapes.graph;
    const names = layerNames(arch);
    for (const [index, spec] of arch.layers.entries()) {
      const g = shapes.layers[index]!;
      const name = names[index]!;
      let layer: ParamLayer | undefined;
      let norm: BatchNormLayer | undefined;
      if (isParamKind(spec) && g.kernel !== undefined) {
        const kernel = [...g.kernel];
        const units = kernel.at(-1)!;
        // Glorot fans: fan-in = kernel size / out, fan-out = kernel size / in. For a
        // depthwise [k, k, 1, c] kernel their sum is Keras' for its [k, k, c, 1] one.
        const size = kernel.reduce((a, b) => a * b, 1);
        layer = {
          name,
          kind: spec.kind,
          kernel: variable(glorot(kernel, size / units, size / kernel.at(-2)!, rng), true, `n${id}/${name}/kernel`),
          ...(spec.bias !== false && { bias: variable(tf.zeros([units]), true, `n${id}/${name}/bias`) }),
          outPixels: g.outPixels,
          index,
          outShape: g.out,
        };
      } else if (spec.kind === 'batchnorm') {
        norm = buildBatchNorm(spec, name, index, g.out.at(-1)!, `n${id}`);
      }
      this.paramByLayer.push(layer);
      this.normByLayer.push(norm);
      if (layer) this.params.push(layer);
      if (norm) this.norms.push(norm);
    }
    if (shapes.out.length !== 1 || shapes.out[0] !== arch.classes) {
      this.dispose();
      throw new Error(`architecture ends in shape [${shapes.out.join(', ')}], expected [${arch.classes}] logits`);
    }
    if (arch.initialWeights && !options.randomInit) {
      try {
        setWeights(this, arch.initialWeights);
      } catch (e) {
        this.dispose();
        throw e;
      }
    }
  }

  /** Logits for a batch shaped [b, ...inputShape]: the forward pass without hooks, in inference mode unless told otherwise. */
  forward(x: tf.Tensor, mode: ForwardMode = {}): tf.Tensor2D {
    return tf.tidy(() => forwardPass(this, x, mode));
  }

  /**
   * The same pass with hooks (forward.ts): replaced kernels, perturbed
   * pre-activations, observed layers, an ablated unit, a start in the middle.
   * Not tidied: the caller owns the tensors, observed ones included.
   */
  forwardWith(x: tf.Tensor, hooks: ForwardHooks): tf.Tensor2D {
    return forwardPass(this, x, hooks);
  }

  /** Every trainable variable in layer order: kernels and biases, batch norms' gamma and beta. */
  variables(): tf.Variable[] {
    return this.arch.layers.flatMap((_, i) => {
      const p = this.paramByLayer[i];
      if (p) return p.bias ? [p.kernel, p.bias] : [p.kernel];
      const bn = this.normByLayer[i];
      return bn ? [bn.gamma, bn.beta] : [];
    });
  }

  /** The non-trainable state: batch norms' running means and variances, in layer order. */
  stateVariables(): tf.Variable[] {
    return this.norms.flatMap((bn) => [bn.movingMean, bn.movingVariance]);
  }

  /** Total parameter count, prunable or not (batch norms' running statistics and constants of fixed layers included). */
  totalParams(): number {
    const fixed = this.arch.layers.reduce((s, l) => s + (l.kind === 'fixed' ? fixedParamCount(l.op) : 0), 0);
    return [...this.variables(), ...this.stateVariables()].reduce((s, v) => s + v.size, 0) + fixed;
  }

  /** The param layer computed by `arch.layers[i]`, if that layer has weights. */
  paramAt(i: number): ParamLayer | undefined {
    return this.paramByLayer[i];
  }

  /** The batch norm computed by `arch.layers[i]`, if that layer is one. */
  normAt(i: number): BatchNormLayer | undefined {
    return this.normByLayer[i];
  }

  dispose(): void {
    for (const v of [...this.variables(), ...this.stateVariables()]) v.dispose();
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
