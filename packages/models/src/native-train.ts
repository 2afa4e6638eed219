import { activeNativeEngine, forgetWasmWeights, heapView, ProgramBuilder, renewVariable, seenByWasmCache, type NativeProgram, type NativeValue } from '@prunelab/engine';
import type * as tf from '@tensorflow/tfjs-core';
import { INPUT } from './graph.js';
import { maskableVariables, type MaskSet } from './mask-set.js';
import type { Net } from './net.js';
import { ADAM_CONSTANTS, type TrainingConfig } from './optimizer.js';

/** One parameter of the native program: the variable it lives in, and its MaskSet key where it can be masked. */
interface Binding {
  readonly variable: tf.Variable;
  /** Kernels, biases, gamma and beta (mask-set.ts names them); the running statistics have none. */
  readonly maskKey?: string;
}

/**
 * Training on the native engine: the net's graph as a native program
 * (packages/engine/native) that runs forward, softmax cross-entropy, backward,
 * the optimizer step and the batch norms' running-statistics update in one
 * call per step, on the variables' own memory in the wasm heap. Same math as
 * the tfjs path (tested to 1e-4 against it); the last digits differ because
 * the summation order differs.
 */
export class NativeTrainer {
  constructor(
    private readonly net: Net,
    private readonly program: NativeProgram,
    private readonly bindings: readonly Binding[],
  ) {
    // The variables are written in place from now on. Fresh data first: its ids
    // are new to the wasm backend's operator caches (so nothing cached can go
    // stale), and no other tensor shares it.
    this.renew();
  }

  /** One optimizer step at learning rate `lr` on the batch (x row-major, one example after another); returns its mean loss before the step. */
  step(x: Float32Array, labels: Int32Array, masks: MaskSet | undefined, lr: number): number {
    // The program takes a mask per parameter: it masks the gradient and re-applies the mask after the update,
    // for kernels and for the biases and batch norms a channel-group projection masks (as the tfjs path does).
    const params = this.bindings.map((b) => heapView(b.variable));
    const maskViews = this.bindings.map((b) => {
      const m = b.maskKey === undefined ? undefined : masks?.get(b.maskKey);
      return m ? heapView(m) : null;
    });
    return this.program.step(x, labels, params, maskViews, lr);
  }

  /**
   * Gives every variable (running statistics included) fresh data holding its
   * current values. Call before tfjs computes with the net again: the wasm
   * backend caches matmul and conv operators with their weights keyed on the
   * tensor, not its values.
   */
  renew(): void {
    for (const v of [...this.net.variables(), ...this.net.stateVariables()]) renewVariable(v);
    forgetWasmWeights();
  }

  /**
   * Between steps: fresh data only for the variables a caching wasm kernel
   * has read since the last renewal (engine's wasm-cache.ts), the only ones
   * whose in-place update a cache could miss. On the native backend that is
   * just the depthwise kernels, where a graph has them; copying every
   * variable after every hooked step cost a third of the training speed.
   */
  renewSeen(): void {
    for (const v of [...this.net.variables(), ...this.net.stateVariables()]) if (seenByWasmCache(v)) renewVariable(v);
    forgetWasmWeights();
  }
}

/**
 * A native trainer for `net`, or undefined when the active backend is not
 * `native`: that net then trains on the tfjs path. The engine runs every
 * layer of the graph format (architecture.ts): dense, conv and depthwise conv
 * with or without bias, batch norm in training mode, activations (softmax
 * included), add, concatenate, max and global average pooling, flatten, zero
 * padding, and the carried-along layers of imported models.
 *
 * One difference from the tfjs path remains, in the tfjs path: a carried-along
 * average pool with 'same' padding gets tfjs' AvgPoolGrad there, which divides
 * by the whole window at the borders; the native engine uses the exact gradient.
 */
export function nativeTrainer(net: Net, cfg: TrainingConfig): NativeTrainer | undefined {
  const addon = activeNativeEngine();
  if (!addon) return undefined;
  const b = new ProgramBuilder(net.arch.inputShape);
  const bindings: Binding[] = [];
  const maskKeys = new Map(maskableVariables(net).map((m) => [m.variable, m.key]));
  const bind = (index: number, variable: tf.Variable) => {
    // The builder numbers parameters in the order they are made; the bindings follow the same order.
    if (index !== bindings.length) throw new Error(`native program: parameter ${index} bound out of order`);
    const maskKey = maskKeys.get(variable);
    bindings.push({ variable, ...(maskKey !== undefined && { maskKey }) });
  };
  const values: NativeValue[] = [];
  net.arch.layers.forEach((spec, i) => {
    const ins = net.graph.inputs[i]!.map((j) => (j === INPUT ? b.input : values[j]!));
    const x = ins[0]!;
    let out: NativeValue;
    switch (spec.kind) {
      case 'dense':
      case 'conv2d':
      case 'depthwiseConv2d': {
        const p = net.paramAt(i)!;
        const o = { bias: p.bias !== undefined, relu: spec.activation === 'relu' };
        const r =
          spec.kind === 'dense'
            ? b.dense(x, spec.units, o)
            : spec.kind === 'conv2d'
              ? b.conv2d(x, spec.filters, { ...o, kernel: spec.kernel, stride: spec.stride, padding: spec.padding })
              : b.depthwiseConv2d(x, { ...o, kernel: spec.kernel, stride: spec.stride, padding: spec.padding });
        bind(r.kernel, p.kernel);
        if (r.bias !== undefined) bind(r.bias, p.bias!);
        out = r.out;
        break;
      }
      case 'batchnorm': {
        const bn = net.normAt(i)!;
        const r = b.batchNorm(x, bn.epsilon, bn.momentum);
        bind(r.gamma, bn.gamma);
        bind(r.beta, bn.beta);
        bind(r.movingMean, bn.movingMean);
        bind(r.movingVariance, bn.movingVariance);
        out = r.out;
        break;
      }
      case 'activation':
        out = b.activation(x, spec.fn);
        break;
      case 'maxpool':
        out = b.pool(x, 'max', [spec.size, spec.size], [spec.stride, spec.stride], 'valid');
        break;
      case 'flatten':
        out = b.flatten(x);
        break;
      case 'globalAvgPool':
        out = b.globalPool(x, 'avg');
        break;
      case 'add':
        out = b.add(ins);
        break;
      case 'concatenate':
        out = b.concatenate(ins);
        break;
      case 'zeroPad':
        out = b.zeroPad(x, spec.padding, spec.channels);
        break;
      case 'fixed': {
        const op = spec.op;
        if (op.type === 'identity') out = x;
        else if (op.type === 'activation') out = b.activation(x, op.fn);
        else if (op.type === 'affine') out = b.affine(x, op.scale, op.offset);
        else if (op.type === 'pool') out = b.pool(x, op.mode, op.size, op.stride, op.padding);
        else out = b.globalPool(x, op.mode);
        break;
      }
    }
    values.push(out);
  });
  const program = b.build(addon, values.at(-1)!, cfg.batchSize, net.arch.classes, {
    kind: cfg.optimizer,
    lr: cfg.lr,
    momentum: cfg.momentum,
    ...ADAM_CONSTANTS,
    weightDecay: cfg.weightDecay,
  });
  return new NativeTrainer(net, program, bindings);
}
