import type { NativeAddon, NativeProgramHandle } from './addon.js';

/**
 * A training program for the native engine: a graph of layers (NHWC, as in
 * tfjs) that the addon runs forward and backward and updates with a fused
 * optimizer step, in one call per optimizer step. Built op by op with
 * `ProgramBuilder`: each op reads one or more values (the input, or earlier
 * ops' outputs) and returns its own, so any DAG of layers in topological
 * order can be written; a value read by several ops gets the sum of their
 * gradients. The shapes are checked here and again in C++; the encoding the
 * builder writes is documented in native/src/program.h.
 */
export type NativeActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'softsign' | 'softmax';
export const NATIVE_ACTIVATIONS: readonly NativeActivation[] = ['linear', 'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'softsign', 'softmax'];

export type Padding = 'same' | 'valid';

/** What the optimizer step does: tfjs-core 4.22's SGD, Momentum or Adam update, with L2 weight decay added to the gradient. */
export interface NativeOptimizer {
  readonly kind: 'sgd' | 'momentum' | 'adam';
  /** The learning rate of steps that do not give their own (`NativeProgram.step`'s `lr`). */
  readonly lr: number;
  readonly momentum: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
}

/** A value in the program: one example's shape [h, w, channels] ([1, 1, n] when flat) and where it lives. */
export interface NativeValue {
  readonly buffer: number;
  readonly shape: Shape;
}

/** Whether a parameter is trained (kernels, biases, batch norms' gamma and beta) or state a batch norm updates (running statistics). */
export type NativeParamKind = 'trainable' | 'state';

/** A layer with weights: its output and the indices of its parameters in the program's parameter list. */
export interface WeightedOp {
  readonly out: NativeValue;
  readonly kernel: number;
  /** Absent for a layer without a bias. */
  readonly bias?: number;
}

export interface BatchNormOp {
  readonly out: NativeValue;
  readonly gamma: number;
  readonly beta: number;
  readonly movingMean: number;
  readonly movingVariance: number;
}

const OP = {
  dense: 0,
  conv2d: 1,
  activation: 2,
  affine: 3,
  maxPool: 4,
  avgPool: 5,
  globalAvg: 6,
  globalMax: 7,
  batchNorm: 8,
  add: 9,
  concat: 10,
  depthwise: 11,
  zeroPad: 12,
} as const;
const OPT = { sgd: 0, momentum: 1, adam: 2 } as const;
const PARAM_KIND = { trainable: 0, state: 1 } as const;
// Must match kOpInts and kHeaderInts in native/src/program.h.
const OP_INTS = 22;

/** Output size of a window along one axis, with the padding before it (tfjs' conventions for 'same' and 'valid'). */
export function windowGeometry(n: number, k: number, stride: number, padding: Padding): { out: number; before: number; after: number } {
  const out = padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1;
  const total = padding === 'same' ? Math.max((out - 1) * stride + k - n, 0) : 0;
  return { out, before: Math.floor(total / 2), after: total - Math.floor(total / 2) };
}

type Shape = readonly [number, number, number];

const size = (s: Shape): number => s[0] * s[1] * s[2];

interface Record {
  readonly kind: number;
  readonly inputs: readonly NativeValue[];
  readonly out: Shape;
  readonly p0?: number;
  readonly p1?: number;
  readonly s0?: number;
  readonly s1?: number;
  readonly act?: number;
  readonly extra?: number;
  /** kH kW strideH strideW padTop padLeft; default 1 1 1 1 0 0. */
  readonly window?: readonly [number, number, number, number, number, number];
}

export interface ConvOptions {
  readonly kernel: number;
  readonly stride: number;
  readonly padding: Padding;
  /** Default true. */
  readonly bias?: boolean;
  /** A relu fused after the bias (default linear). */
  readonly relu?: boolean;
}

export class ProgramBuilder {
  private readonly ops: number[] = [];
  private readonly inputList: number[] = [];
  private readonly constants: number[] = [];
  private readonly paramSizes: number[] = [];
  private readonly paramKinds: NativeParamKind[] = [];
  private buffers = 1;
  /** The network's input (buffer 0). */
  readonly input: NativeValue;

  /** `input`: one example's shape, [features] or [height, width, channels]. */
  constructor(input: readonly number[]) {
    this.input = { buffer: 0, shape: toShape(input) };
  }

  /** x W + b over a flat input; W is [in, units]. */
  dense(x: NativeValue, units: number, o: { bias?: boolean; relu?: boolean } = {}): WeightedOp {
    const n = flatSize(x, 'dense');
    const kernel = this.param(n * units);
    const bias = o.bias === false ? undefined : this.param(units);
    const out = this.push({ kind: OP.dense, inputs: [x], out: [1, 1, units], p0: kernel, ...(bias !== undefined && { p1: bias }), act: o.relu ? 1 : 0 });
    return { out, kernel, ...(bias !== undefined && { bias }) };
  }

  /** A 2-D convolution with a [k, k, in, filters] kernel. */
  conv2d(x: NativeValue, filters: number, o: ConvOptions): WeightedOp {
    const [h, w, c] = x.shape;
    const { window, outH, outW } = windowOf(h, w, o.kernel, o.stride, o.padding);
    const kernel = this.param(o.kernel * o.kernel * c * filters);
    const bias = o.bias === false ? undefined : this.param(filters);
    const out = this.push({
      kind: OP.conv2d,
      inputs: [x],
      out: [outH, outW, filters],
      p0: kernel,
      ...(bias !== undefined && { p1: bias }),
      act: o.relu ? 1 : 0,
      window,
    });
    return { out, kernel, ...(bias !== undefined && { bias }) };
  }

  /** A depthwise convolution, channel multiplier 1, kernel [k, k, channels] (tfjs' [k, k, channels, 1]). */
  depthwiseConv2d(x: NativeValue, o: ConvOptions): WeightedOp {
    const [h, w, c] = x.shape;
    const { window, outH, outW } = windowOf(h, w, o.kernel, o.stride, o.padding);
    const kernel = this.param(o.kernel * o.kernel * c);
    const bias = o.bias === false ? undefined : this.param(c);
    const out = this.push({
      kind: OP.depthwise,
      inputs: [x],
      out: [outH, outW, c],
      p0: kernel,
      ...(bias !== undefined && { p1: bias }),
      act: o.relu ? 1 : 0,
      window,
    });
    return { out, kernel, ...(bias !== undefined && { bias }) };
  }

  /**
   * Batch normalisation over the channels (Ioffe & Szegedy 2015): in training, the batch's mean and
   * biased variance, and afterwards running <- running - (running - batch) (1 - momentum), as tfjs-layers;
   * in `NativeProgram.forward`, the running statistics.
   */
  batchNorm(x: NativeValue, epsilon: number, momentum: number): BatchNormOp {
    const c = x.shape[2];
    const gamma = this.param(c);
    const beta = this.param(c);
    const movingMean = this.param(c, 'state');
    const movingVariance = this.param(c, 'state');
    const at = this.constants.length;
    this.constants.push(epsilon, 1 - momentum);
    const out = this.push({ kind: OP.batchNorm, inputs: [x], out: x.shape, p0: gamma, p1: beta, s0: movingMean, s1: movingVariance, extra: at });
    return { out, gamma, beta, movingMean, movingVariance };
  }

  /** An activation on its own (softmax: over the channels). Linear returns `x` itself. */
  activation(x: NativeValue, fn: NativeActivation): NativeValue {
    if (fn === 'linear') return x;
    return this.push({ kind: OP.activation, inputs: [x], out: x.shape, act: NATIVE_ACTIVATIONS.indexOf(fn) });
  }

  /** y = x * scale[c] + offset[c] along the channel axis (a batch norm folded with its running statistics). */
  affine(x: NativeValue, scale: ArrayLike<number>, offset: ArrayLike<number>): NativeValue {
    const c = x.shape[2];
    if (scale.length !== c || offset.length !== c) throw new Error(`affine has ${scale.length}/${offset.length} channels, its input has ${c}`);
    const at = this.constants.length;
    this.constants.push(...Array.from(scale), ...Array.from(offset));
    return this.push({ kind: OP.affine, inputs: [x], out: x.shape, extra: at });
  }

  pool(x: NativeValue, mode: 'max' | 'avg', poolSize: readonly [number, number], stride: readonly [number, number], padding: Padding): NativeValue {
    const [h, w, c] = x.shape;
    const y = windowGeometry(h, poolSize[0], stride[0], padding);
    const xg = windowGeometry(w, poolSize[1], stride[1], padding);
    return this.push({
      kind: mode === 'max' ? OP.maxPool : OP.avgPool,
      inputs: [x],
      out: [y.out, xg.out, c],
      window: [poolSize[0], poolSize[1], stride[0], stride[1], y.before, xg.before],
    });
  }

  globalPool(x: NativeValue, mode: 'max' | 'avg'): NativeValue {
    return this.push({ kind: mode === 'max' ? OP.globalMax : OP.globalAvg, inputs: [x], out: [1, 1, x.shape[2]] });
  }

  /** A reshape: NHWC is contiguous, so flattening moves no data and adds no op. */
  flatten(x: NativeValue): NativeValue {
    return { buffer: x.buffer, shape: [1, 1, size(x.shape)] };
  }

  /** The elementwise sum of two or more values of one shape, left to right. */
  add(xs: readonly NativeValue[]): NativeValue {
    const s = xs[0]?.shape;
    if (!s || xs.length < 2 || xs.some((x) => x.shape.some((d, k) => d !== s[k])))
      throw new Error(`add needs two or more values of one shape, got ${describe(xs)}`);
    return this.push({ kind: OP.add, inputs: xs, out: s });
  }

  /** Two or more values side by side along the channels. */
  concatenate(xs: readonly NativeValue[]): NativeValue {
    const s = xs[0]?.shape;
    if (!s || xs.length < 2 || xs.some((x) => x.shape[0] !== s[0] || x.shape[1] !== s[1]))
      throw new Error(`concatenate needs two or more values of one spatial size, got ${describe(xs)}`);
    return this.push({ kind: OP.concat, inputs: xs, out: [s[0], s[1], xs.reduce((a, x) => a + x.shape[2], 0)] });
  }

  /** Zeros around the spatial axes ((top, bottom), (left, right)) and the channels (before, after). */
  zeroPad(x: NativeValue, padding: readonly [readonly [number, number], readonly [number, number]], channels: readonly [number, number] = [0, 0]): NativeValue {
    const [h, w, c] = x.shape;
    const [[top, bottom], [left, right]] = padding;
    const out: Shape = [h + top + bottom, w + left + right, c + channels[0] + channels[1]];
    return this.push({ kind: OP.zeroPad, inputs: [x], out, extra: channels[0], window: [1, 1, 1, 1, top, left] });
  }

  /** The program, whose logits are `output` (one value per class). */
  build(addon: NativeAddon, output: NativeValue, batch: number, classes: number, optimizer: NativeOptimizer): NativeProgram {
    if (size(output.shape) !== classes) throw new Error(`the program ends in ${size(output.shape)} values per example, expected ${classes} logits`);
    const header = Int32Array.from([batch, classes, size(this.input.shape), this.buffers, output.buffer]);
    const opt = Float64Array.from([
      OPT[optimizer.kind],
      optimizer.lr,
      optimizer.beta1,
      optimizer.beta2,
      optimizer.epsilon,
      optimizer.momentum,
      optimizer.weightDecay,
    ]);
    const handle = addon.createProgram(
      header,
      Int32Array.from(this.ops),
      Int32Array.from(this.inputList),
      Float32Array.from(this.constants),
      Float64Array.from(this.paramSizes),
      Int32Array.from(this.paramKinds, (k) => PARAM_KIND[k]),
      opt,
    );
    return new NativeProgram(addon, handle, batch, classes, [...this.paramSizes], [...this.paramKinds], optimizer.lr);
  }

  private param(n: number, kind: NativeParamKind = 'trainable'): number {
    this.paramSizes.push(n);
    this.paramKinds.push(kind);
    return this.paramSizes.length - 1;
  }

  private push(r: Record): NativeValue {
    const [h, w, c] = r.inputs.length === 1 ? r.inputs[0]!.shape : r.out;
    const [kh, kw, sh, sw, pt, pl] = r.window ?? [1, 1, 1, 1, 0, 0];
    const out = { buffer: this.buffers++, shape: r.out };
    const record = [r.kind, out.buffer, this.inputList.length, r.inputs.length, r.p0 ?? -1, r.p1 ?? -1, r.s0 ?? -1, r.s1 ?? -1, r.act ?? 0, r.extra ?? 0];
    record.push(h, w, c, r.out[0], r.out[1], r.out[2], kh, kw, sh, sw, pt, pl);
    if (record.length !== OP_INTS) throw new Error('native op record has the wrong width');
    this.inputList.push(...r.inputs.map((x) => x.buffer));
    this.ops.push(...record);
    return out;
  }
}

function windowOf(h: number, w: number, k: number, stride: number, padding: Padding) {
  const y = windowGeometry(h, k, stride, padding);
  const x = windowGeometry(w, k, stride, padding);
  return { window: [k, k, stride, stride, y.before, x.before] as const, outH: y.out, outW: x.out };
}

function flatSize(x: NativeValue, what: string): number {
  if (x.shape[0] !== 1 || x.shape[1] !== 1) throw new Error(`${what} takes a flat input, got [${x.shape.join(', ')}]; flatten it first`);
  return x.shape[2];
}

const describe = (xs: readonly NativeValue[]): string => xs.map((x) => `[${x.shape.join(', ')}]`).join(' and ');

function toShape(s: readonly number[]): Shape {
  if (s.length === 1) return [1, 1, s[0]!];
  if (s.length === 3) return [s[0]!, s[1]!, s[2]!];
  throw new Error(`native programs take [features] or [height, width, channels] inputs, not [${s.join(', ')}]`);
}

/**
 * A built program: one call per optimizer step, on parameters given as
 * Float32Array views in the order the builder numbered them (state ones
 * included: a training step writes the running statistics into them).
 */
export class NativeProgram {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: NativeProgramHandle,
    readonly batch: number,
    readonly classes: number,
    readonly paramSizes: readonly number[],
    readonly paramKinds: readonly NativeParamKind[],
    /** The learning rate the program was built with: a step's default. */
    readonly lr: number,
  ) {}

  /**
   * Forward (batch norms on the batch's statistics), softmax cross-entropy, backward, the optimizer
   * update at learning rate `lr` (a schedule's rate for this step; default: the built one) and the
   * running statistics' update; returns the batch's mean loss before the update. `masks`: one per
   * parameter, null for none (and for state); a masked parameter's gradient is masked and the mask
   * re-applied after the update, so its zeros stay exactly 0.
   */
  step(x: Float32Array, labels: Int32Array, params: readonly Float32Array[], masks: ReadonlyArray<Float32Array | null>, lr: number = this.lr): number {
    return this.addon.trainStep(this.handle, x, labels, params, masks, true, lr);
  }

  /** The loss and the gradient of every trainable parameter (undefined for state), without an update: for tests. */
  gradients(x: Float32Array, labels: Int32Array, params: readonly Float32Array[]): { loss: number; grads: Array<Float32Array | undefined> } {
    const loss = this.addon.trainStep(
      this.handle,
      x,
      labels,
      params,
      this.paramSizes.map(() => null),
      false,
      this.lr,
    );
    const grads = this.paramSizes.map((n, k) => {
      if (this.paramKinds[k] !== 'trainable') return undefined;
      const g = new Float32Array(n);
      this.addon.readGradient(this.handle, k, g);
      return g;
    });
    return { loss, grads };
  }

  /** Logits of n <= batch examples, batch norms in inference mode. */
  forward(x: Float32Array, n: number, params: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(n * this.classes);
    this.addon.forward(this.handle, x, n, params, out);
    return out;
  }
}
