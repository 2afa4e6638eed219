import type { NativeAddon, NativeProgramHandle } from './addon.js';

/**
 * A training program for the native engine: a chain of layers (NHWC, as in
 * tfjs) that the addon runs forward and backward and updates with a fused
 * optimizer step, in one call per optimizer step. Built layer by layer with
 * `ProgramBuilder`; the shapes are checked here and again in C++.
 */
export type NativeActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'softplus' | 'softsign';
export const NATIVE_ACTIVATIONS: readonly NativeActivation[] = ['linear', 'relu', 'relu6', 'elu', 'selu', 'tanh', 'sigmoid', 'softplus', 'softsign'];

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

const OP = { dense: 0, conv2d: 1, activation: 2, affine: 3, maxPool: 4, avgPool: 5, globalAvg: 6, globalMax: 7 } as const;
const OPT = { sgd: 0, momentum: 1, adam: 2 } as const;
// Must match kOpInts in native/src/program.h.
const OP_INTS = 20;

/** Output size of a window along one axis, with the padding before it (tfjs' conventions for 'same' and 'valid'). */
export function windowGeometry(n: number, k: number, stride: number, padding: Padding): { out: number; before: number } {
  const out = padding === 'same' ? Math.ceil(n / stride) : Math.floor((n - k) / stride) + 1;
  const total = padding === 'same' ? Math.max((out - 1) * stride + k - n, 0) : 0;
  return { out, before: Math.floor(total / 2) };
}

type Shape = readonly [number, number, number];

export class ProgramBuilder {
  private readonly ops: number[] = [];
  private readonly constants: number[] = [];
  private readonly paramSizes: number[] = [];
  private shape: Shape;
  private buffer = 0;
  private buffers = 1;
  private sawParam = false;

  /** `input`: one example's shape, [features] or [height, width, channels]. */
  private readonly inputSize: number;

  constructor(input: readonly number[]) {
    this.shape = toShape(input);
    this.inputSize = this.size;
  }

  /** Values per example of the current output. */
  get size(): number {
    return this.shape[0] * this.shape[1] * this.shape[2];
  }

  get outputShape(): Shape {
    return this.shape;
  }

  /** x W + b over the flattened input; W is [in, units]. Returns the parameter index. */
  dense(units: number): number {
    const param = this.addParam(this.size * units, units);
    this.push(OP.dense, [1, 1, units], { param, geometry: [1, 1, this.size, 1, 1, units, 1, 1, 1, 1, 0, 0] });
    return param;
  }

  /** A 2-D convolution with a [k, k, in, filters] kernel and a bias. Returns the parameter index. */
  conv2d(filters: number, kernel: number, stride: number, padding: Padding): number {
    const [h, w, c] = this.shape;
    const y = windowGeometry(h, kernel, stride, padding);
    const x = windowGeometry(w, kernel, stride, padding);
    const param = this.addParam(kernel * kernel * c * filters, filters);
    this.push(OP.conv2d, [y.out, x.out, filters], { param, geometry: [h, w, c, y.out, x.out, filters, kernel, kernel, stride, stride, y.before, x.before] });
    return param;
  }

  activation(fn: NativeActivation): void {
    if (fn === 'linear') return;
    this.push(OP.activation, this.shape, { act: NATIVE_ACTIVATIONS.indexOf(fn) });
  }

  /** y = x * scale[c] + offset[c] along the channel axis (a batch norm folded with its running statistics). */
  affine(scale: ArrayLike<number>, offset: ArrayLike<number>): void {
    const c = this.shape[2];
    if (scale.length !== c || offset.length !== c) throw new Error(`affine has ${scale.length}/${offset.length} channels, its input has ${c}`);
    const at = this.constants.length;
    this.constants.push(...Array.from(scale), ...Array.from(offset));
    this.push(OP.affine, this.shape, { affineOffset: at });
  }

  pool(mode: 'max' | 'avg', size: readonly [number, number], stride: readonly [number, number], padding: Padding): void {
    const [h, w, c] = this.shape;
    const y = windowGeometry(h, size[0], stride[0], padding);
    const x = windowGeometry(w, size[1], stride[1], padding);
    this.push(mode === 'max' ? OP.maxPool : OP.avgPool, [y.out, x.out, c], { geometry: [h, w, c, y.out, x.out, c, size[0], size[1], stride[0], stride[1], y.before, x.before] });
  }

  globalPool(mode: 'max' | 'avg'): void {
    const [h, w, c] = this.shape;
    this.push(mode === 'max' ? OP.globalMax : OP.globalAvg, [1, 1, c], { geometry: [h, w, c, 1, 1, c, h, w, 1, 1, 0, 0] });
  }

  /** A reshape: NHWC is contiguous, so flattening moves no data. */
  flatten(): void {
    this.shape = [1, 1, this.size];
  }

  build(addon: NativeAddon, batch: number, classes: number, optimizer: NativeOptimizer): NativeProgram {
    if (this.size !== classes) throw new Error(`the program ends in ${this.size} values per example, expected ${classes} logits`);
    const header = Int32Array.from([batch, classes, this.inputSize, this.buffers]);
    const opt = Float64Array.from([OPT[optimizer.kind], optimizer.lr, optimizer.beta1, optimizer.beta2, optimizer.epsilon, optimizer.momentum, optimizer.weightDecay]);
    const handle = addon.createProgram(header, Int32Array.from(this.ops), Float32Array.from(this.constants), Float64Array.from(this.paramSizes), opt);
    return new NativeProgram(addon, handle, batch, classes, [...this.paramSizes], optimizer.lr);
  }

  private addParam(kernel: number, bias: number): number {
    this.paramSizes.push(kernel, bias);
    return this.paramSizes.length / 2 - 1;
  }

  private push(kind: number, out: Shape, o: { param?: number; act?: number; geometry?: number[]; affineOffset?: number }): void {
    const [h, w, c] = this.shape;
    const geometry = o.geometry ?? [h, w, c, out[0], out[1], out[2], 1, 1, 1, 1, 0, 0];
    // Nothing before the first layer with weights needs a gradient.
    const needDx = this.sawParam ? 1 : 0;
    const record = [kind, this.buffer, this.buffers, o.param ?? -1, o.act ?? 0, needDx, ...geometry, o.affineOffset ?? 0, 0];
    if (record.length !== OP_INTS) throw new Error('native op record has the wrong width');
    this.ops.push(...record);
    if (kind === OP.dense || kind === OP.conv2d) this.sawParam = true;
    this.buffer = this.buffers++;
    this.shape = out;
  }
}

function toShape(s: readonly number[]): Shape {
  if (s.length === 1) return [1, 1, s[0]!];
  if (s.length === 3) return [s[0]!, s[1]!, s[2]!];
  throw new Error(`native programs take [features] or [height, width, channels] inputs, not [${s.join(', ')}]`);
}

/** A built program: one call per optimizer step, on parameters given as Float32Array views (kernel, bias per layer). */
export class NativeProgram {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: NativeProgramHandle,
    readonly batch: number,
    readonly classes: number,
    readonly paramSizes: readonly number[],
    /** The learning rate the program was built with: a step's default. */
    readonly lr: number,
  ) {}

  /**
   * Forward, softmax cross-entropy, backward and the optimizer update at learning rate `lr`
   * (a schedule's rate for this step; default: the built one); returns the batch's mean loss before the update.
   */
  step(x: Float32Array, labels: Int32Array, params: readonly Float32Array[], masks: ReadonlyArray<Float32Array | null>, lr: number = this.lr): number {
    return this.addon.trainStep(this.handle, x, labels, params, masks, true, lr);
  }

  /** The loss and the gradient of every parameter (kernel, bias, ...), without an update: for tests. */
  gradients(x: Float32Array, labels: Int32Array, params: readonly Float32Array[]): { loss: number; grads: Float32Array[] } {
    const loss = this.addon.trainStep(this.handle, x, labels, params, this.paramSizes.filter((_, i) => i % 2 === 0).map(() => null), false, this.lr);
    const grads = this.paramSizes.map((n, k) => {
      const g = new Float32Array(n);
      this.addon.readGradient(this.handle, k, g);
      return g;
    });
    return { loss, grads };
  }

  /** Logits of n <= batch examples. */
  forward(x: Float32Array, n: number, params: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(n * this.classes);
    this.addon.forward(this.handle, x, n, params, out);
    return out;
  }
}
