import { activeNativeEngine, heapView, ProgramBuilder, renewVariable, type NativeProgram } from '@prunelab/engine';
import type { MaskSet } from './mask-set.js';
import type { Net } from './net.js';
import type { TrainingConfig } from './optimizer.js';

/**
 * Training on the native engine: the net's layers as a native program
 * (packages/engine/native) that runs forward, softmax cross-entropy, backward
 * and the optimizer step in one call per step, on the variables' own memory
 * in the wasm heap. Same math as the tfjs path (tested to 1e-4 against it);
 * the last digits differ because the summation order differs.
 */
export class NativeTrainer {
  constructor(
    private readonly net: Net,
    private readonly program: NativeProgram,
  ) {
    // The variables are written in place from now on. Fresh data first: its ids
    // are new to the wasm backend's operator caches (so nothing cached can go
    // stale), and no other tensor shares it.
    this.renew();
  }

  /** One optimizer step at learning rate `lr` on the batch (x row-major, one example after another); returns its mean loss before the step. */
  step(x: Float32Array, labels: Int32Array, masks: MaskSet | undefined, lr: number): number {
    // nativeTrainer refuses layers without a bias, so every layer has one here.
    const params = this.net.params.flatMap((p) => [heapView(p.kernel), heapView(p.bias!)]);
    const maskViews = this.net.params.map((p) => {
      const m = masks?.get(p.name);
      return m ? heapView(m) : null;
    });
    return this.program.step(x, labels, params, maskViews, lr);
  }

  /**
   * Gives every variable fresh data holding its current values. Call before
   * tfjs computes with the net again: the wasm backend caches matmul and conv
   * operators with their weights keyed on the tensor, not its values.
   */
  renew(): void {
    for (const v of this.net.variables()) renewVariable(v);
  }
}

/**
 * A native trainer for `net`, or undefined when the active backend is not
 * `native` or the net has what the native engine does not run: that net then
 * trains on the tfjs path. The engine runs Sequential stacks of dense and conv
 * layers with biases, pooling, flatten, activations other than an inner
 * softmax, and carried-along affine layers; not a graph (a layer that names
 * its inputs other than the previous one), batch norm, add, concatenate,
 * depthwise convolution, zero padding, or a layer without a bias.
 */
export function nativeTrainer(net: Net, cfg: TrainingConfig): NativeTrainer | undefined {
  const addon = activeNativeEngine();
  if (!addon || !net.graph.sequential) return undefined;
  const b = new ProgramBuilder(net.arch.inputShape);
  for (const spec of net.arch.layers) {
    switch (spec.kind) {
      case 'dense':
        if (spec.bias === false) return undefined;
        b.dense(spec.units);
        b.activation(spec.activation);
        break;
      case 'conv2d':
        if (spec.bias === false) return undefined;
        b.conv2d(spec.filters, spec.kernel, spec.stride, spec.padding);
        b.activation(spec.activation);
        break;
      case 'activation':
        if (spec.fn === 'softmax') return undefined;
        b.activation(spec.fn);
        break;
      case 'globalAvgPool':
        b.globalPool('avg');
        break;
      case 'batchnorm':
      case 'add':
      case 'concatenate':
      case 'depthwiseConv2d':
      case 'zeroPad':
        return undefined;
      case 'maxpool':
        b.pool('max', [spec.size, spec.size], [spec.stride, spec.stride], 'valid');
        break;
      case 'flatten':
        b.flatten();
        break;
      case 'fixed': {
        const op = spec.op;
        if (op.type === 'activation') {
          if (op.fn === 'softmax') return undefined;
          b.activation(op.fn);
        } else if (op.type === 'affine') b.affine(op.scale, op.offset);
        else if (op.type === 'pool') b.pool(op.mode, op.size, op.stride, op.padding);
        else if (op.type === 'globalPool') b.globalPool(op.mode);
        break;
      }
    }
  }
  // tfjs-core 4.22's optimizers: Adam's defaults (beta1 0.9, beta2 0.999) and the backend's float32 epsilon, 1e-7.
  const program = b.build(addon, cfg.batchSize, net.arch.classes, {
    kind: cfg.optimizer,
    lr: cfg.lr,
    momentum: cfg.momentum,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    weightDecay: cfg.weightDecay,
  });
  return new NativeTrainer(net, program);
}
