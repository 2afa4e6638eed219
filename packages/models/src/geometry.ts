import { windowGeometry } from '@prunelab/engine';
import type { Architecture, LayerSpec } from './architecture.js';
import { describeLayer, graphError, INPUT, resolveGraph, type Graph } from './graph.js';
import { fixedParamCount, type FixedOp } from './ops/fixed.js';

/**
 * Shapes of an architecture, from its plain data alone (no tensors). The Net
 * builds its variables from these, and `architectureSize` counts from them, so
 * the two cannot disagree about a layer. Every layer's shape is computed here
 * and nowhere else.
 */

/** Output size of a conv or pooling window along one axis (tfjs' conventions; the engine's windowGeometry, the one copy of the formula). */
export function windowOut(n: number, k: number, stride: number, padding: 'same' | 'valid'): number {
  return windowGeometry(n, k, stride, padding).out;
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
  /** Kernel shape, for prunable layers: [in, out] (dense), [k, k, in, out] (conv) or [k, k, 1, channels] (depthwise). */
  readonly kernel?: readonly number[];
  /** Output pixels per example (conv, depthwise), 1 otherwise: a kernel is applied this many times. */
  readonly outPixels: number;
  /**
   * Parameters besides a prunable kernel and its bias: the constants of a
   * carried-along layer (folded batch norm), and a batch norm's gamma, beta,
   * running mean and running variance (4 per channel, as Keras counts them).
   */
  readonly extraParams: number;
}

/**
 * One layer's geometry given its inputs' shapes (one shape, or two or more
 * for add and concatenate).
 */
export function layerGeometry(spec: LayerSpec, ...inputs: ReadonlyArray<readonly number[]>): LayerGeometry {
  const input = inputs[0]!;
  const plain = (out: number[]): LayerGeometry => ({ out, outPixels: 1, extraParams: 0 });
  switch (spec.kind) {
    case 'dense':
      if (input.length !== 1) throw new Error(`dense layer needs a flat input, got shape [${input.join(', ')}]; add a flatten layer`);
      return { out: [spec.units], kernel: [input[0]!, spec.units], outPixels: 1, extraParams: 0 };
    case 'conv2d': {
      const [h, w, c] = image(spec.kind, input);
      const [oh, ow] = convOut(h, w, spec.kernel, spec.stride, spec.padding);
      return { out: [oh, ow, spec.filters], kernel: [spec.kernel, spec.kernel, c, spec.filters], outPixels: oh * ow, extraParams: 0 };
    }
    case 'depthwiseConv2d': {
      const [h, w, c] = image(spec.kind, input);
      const [oh, ow] = convOut(h, w, spec.kernel, spec.stride, spec.padding);
      return { out: [oh, ow, c], kernel: [spec.kernel, spec.kernel, 1, c], outPixels: oh * ow, extraParams: 0 };
    }
    case 'maxpool': {
      const [h, w, c] = image(spec.kind, input);
      const [oh, ow] = convOut(h, w, spec.size, spec.stride, 'valid');
      return plain([oh, ow, c]);
    }
    case 'fixed':
      // Carried-along layers of an imported model (activations, folded batch norm, pooling).
      return { out: fixedOutShape(spec.op, input), outPixels: 1, extraParams: fixedParamCount(spec.op) };
    case 'flatten':
      return plain([input.reduce((a, b) => a * b, 1)]);
    case 'batchnorm':
      return { out: [...input], outPixels: 1, extraParams: 4 * input.at(-1)! };
    case 'activation':
      return plain([...input]);
    case 'globalAvgPool':
      return plain([image(spec.kind, input)[2]]);
    case 'zeroPad': {
      const [h, w, c] = image(spec.kind, input);
      const [[top, bottom], [left, right]] = spec.padding;
      const [before, after] = spec.channels ?? [0, 0];
      return plain([h + top + bottom, w + left + right, c + before + after]);
    }
    case 'add':
      for (const s of inputs) {
        if (s.length !== input.length || s.some((d, k) => d !== input[k])) {
          throw new Error(`add needs inputs of one shape, got ${inputs.map((t) => `[${t.join(', ')}]`).join(' and ')}`);
        }
      }
      return plain([...input]);
    case 'concatenate': {
      for (const s of inputs) {
        if (s.length !== input.length || s.some((d, k) => k < s.length - 1 && d !== input[k])) {
          throw new Error(`concatenate needs inputs that differ in their last axis only, got ${inputs.map((t) => `[${t.join(', ')}]`).join(' and ')}`);
        }
      }
      return plain([...input.slice(0, -1), inputs.reduce((a, t) => a + t.at(-1)!, 0)]);
    }
  }
}

/** An [h, w, channels] input, or an error naming the layer kind. */
function image(kind: string, input: readonly number[]): [number, number, number] {
  if (input.length !== 3) throw new Error(`${kind} layer needs an [h, w, channels] input, got shape [${input.join(', ')}]`);
  return [input[0]!, input[1]!, input[2]!];
}

/** Every layer's inputs, geometry and output shape: the architecture's shapes, checked. */
export interface ArchitectureShapes {
  readonly graph: Graph;
  readonly layers: readonly LayerGeometry[];
  /** The network's output shape (the last layer's). */
  readonly out: readonly number[];
}

/** Shapes of every layer, following the graph; a layer whose inputs do not fit is a user error naming it. */
export function architectureShapes(arch: Pick<Architecture, 'inputShape' | 'layers'>, graph: Graph = resolveGraph(arch)): ArchitectureShapes {
  const geometry: LayerGeometry[] = [];
  arch.layers.forEach((spec, i) => {
    const inputs = graph.inputs[i]!.map((j) => (j === INPUT ? arch.inputShape : geometry[j]!.out));
    try {
      geometry.push(layerGeometry(spec, ...inputs));
    } catch (e) {
      throw graphError(`${describeLayer(spec, i)}: ${(e as Error).message}`, 'Fix the layer or the layers it reads');
    }
  });
  return { graph, layers: geometry, out: geometry.at(-1)?.out ?? [...arch.inputShape] };
}

export interface ArchitectureSize {
  /** Weights, biases, batch norms' 4 values per channel and the constants of carried-along layers. */
  readonly params: number;
  /**
   * Multiply-accumulates of one forward pass on one example, of the prunable
   * layers (dense: in x out; conv: kernel x output pixels; depthwise: k x k x
   * channels x output pixels). Batch norm (foldable into the conv before it at
   * inference), additions, pooling and activations are not counted, as in
   * Blalock et al. 2020 and Li et al. 2017.
   */
  readonly macs: number;
}

/** Parameter and MAC counts of an architecture. */
export function architectureSize(arch: Architecture): ArchitectureSize {
  const shapes = architectureShapes(arch);
  let params = 0;
  let macs = 0;
  arch.layers.forEach((spec, i) => {
    const g = shapes.layers[i]!;
    if (g.kernel !== undefined) {
      const size = g.kernel.reduce((a, b) => a * b, 1);
      params += size + (hasBias(spec) ? g.kernel.at(-1)! : 0);
      macs += size * g.outPixels;
    }
    params += g.extraParams;
  });
  return { params, macs };
}

/** Whether a prunable layer has a bias (default yes, as Keras' use_bias). */
function hasBias(spec: LayerSpec): boolean {
  return (spec.kind === 'dense' || spec.kind === 'conv2d' || spec.kind === 'depthwiseConv2d') && spec.bias !== false;
}
