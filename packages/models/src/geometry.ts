import type { Architecture, LayerSpec } from './architecture.js';
import { fixedParamCount, type FixedOp } from './ops/fixed.js';

/**
 * Shapes of an architecture, from its plain data alone (no tensors). The Net
 * builds its variables from these, and `architectureSize` counts from them, so
 * the two cannot disagree about a layer.
 */

/**
 * Output size along one axis of a conv or pooling window of size `k`, in
 * tfjs' (and Keras') conventions: 'same' pads so that every stride-th input
 * starts a window, 'valid' keeps only windows that fit. The one place this
 * formula is written: layers, carried-along pooling and the Keras import all
 * use it.
 */
export function windowOut(n: number, k: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1;
}

/** Spatial output size of a square conv or pooling window. */
export function convOut(h: number, w: number, k: number, stride: number, padding: 'same' | 'valid'): [number, number] {
  return [windowOut(h, k, stride, padding), windowOut(w, k, stride, padding)];
}

/** Output shape of a carried-along layer of an imported model. */
function fixedOutShape(op: FixedOp, shape: readonly number[]): number[] {
  if (op.type === 'pool') {
    const [h, w, c] = shape as [number, number, number];
    return [windowOut(h, op.size[0], op.stride[0], op.padding), windowOut(w, op.size[1], op.stride[1], op.padding), c];
  }
  if (op.type === 'globalPool') return [shape[2]!];
  if (op.type === 'affine' && op.scale.length !== shape.at(-1)) {
    throw new Error(`affine layer has ${op.scale.length} channels, its input has ${shape.at(-1)}`);
  }
  return [...shape];
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
