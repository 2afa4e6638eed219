import { fixedOutShape, fixedParamCount } from './ops/fixed.js';
import type { Architecture, LayerSpec } from './architecture.js';

/**
 * Shapes of an architecture, from its plain data alone (no tensors). The Net
 * builds its variables from these, and `architectureSize` counts from them, so
 * the two cannot disagree about a layer.
 */

/** Spatial output size of a conv or pooling window (tfjs conventions). */
export function convOut(h: number, w: number, k: number, stride: number, padding: 'same' | 'valid'): [number, number] {
  return padding === 'same'
    ? [Math.ceil(h / stride), Math.ceil(w / stride)]
    : [Math.floor((h - k) / stride) + 1, Math.floor((w - k) / stride) + 1];
}

export interface LayerGeometry {
  /** Output shape of one example. */
  readonly out: number[];
  /** Kernel shape, for layers with weights: [in, out] (dense) or [k, k, in, out] (conv). */
  readonly kernel?: readonly number[];
  /** Output pixels per example (conv), 1 otherwise: a kernel is applied this many times. */
  readonly outPixels: number;
  /** Constants a carried-along layer holds (folded batch norm). */
  readonly constants: number;
}

/** One layer's geometry given its input shape. */
export function layerGeometry(spec: LayerSpec, input: readonly number[]): LayerGeometry {
  switch (spec.kind) {
    case 'dense':
      if (input.length !== 1) throw new Error(`dense layer needs a flat input, got shape [${input.join(', ')}]; add a flatten layer`);
      return { out: [spec.units], kernel: [input[0]!, spec.units], outPixels: 1, constants: 0 };
    case 'conv2d': {
      const [h, w, c] = input as [number, number, number];
      const [oh, ow] = convOut(h, w, spec.kernel, spec.stride, spec.padding);
      return { out: [oh, ow, spec.filters], kernel: [spec.kernel, spec.kernel, c, spec.filters], outPixels: oh * ow, constants: 0 };
    }
    case 'maxpool': {
      const [h, w, c] = input as [number, number, number];
      const [oh, ow] = convOut(h, w, spec.size, spec.stride, 'valid');
      return { out: [oh, ow, c], outPixels: 1, constants: 0 };
    }
    case 'fixed':
      // Carried-along layers of an imported model (activations, folded batch norm, pooling).
      return { out: fixedOutShape(spec.op, input), outPixels: 1, constants: fixedParamCount(spec.op) };
    case 'flatten':
      return { out: [input.reduce((a, b) => a * b, 1)], outPixels: 1, constants: 0 };
  }
}

export interface ArchitectureSize {
  /** Weights, biases and the constants of carried-along layers. */
  readonly params: number;
  /** Multiply-accumulates of one forward pass on one example (dense: in x out; conv: kernel x output pixels). */
  readonly macs: number;
}

/** Parameter and MAC counts of an architecture. */
export function architectureSize(arch: Architecture): ArchitectureSize {
  let shape: readonly number[] = arch.inputShape;
  let params = 0;
  let macs = 0;
  for (const spec of arch.layers) {
    const g = layerGeometry(spec, shape);
    if (g.kernel !== undefined) {
      const size = g.kernel.reduce((a, b) => a * b, 1);
      params += size + g.kernel.at(-1)!;
      macs += size * g.outPixels;
    }
    params += g.constants;
    shape = g.out;
  }
  return { params, macs };
}
