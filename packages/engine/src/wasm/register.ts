// Registers the kernels that tfjs-backend-wasm 4.22.0 lacks for training conv
// nets. Kernel registration is keyed by (kernelName, backendName) in tfjs-core's
// global registry, independent of whether the wasm backend has been created yet,
// so this is safe before or after `tf.setBackend('wasm')`.
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterWasmConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputWasmConfig } from './conv2d-backprop-input.js';

/**
 * Kernels missing on wasm for training. Audited against a LeNet-5 style net
 * (Conv2D, Relu, MaxPool, Reshape, MatMul, softmax cross-entropy; 'same' and
 * 'valid' padding; tf.variableGrads, optimizer.minimize and tfjs-layers
 * model.fit): Conv2DBackpropInput, MaxPoolGrad, the Relu gradient (Step +
 * Multiply) and the loss kernels already exist on wasm; only the filter
 * gradient is missing.
 */
export const wasmTrainingKernelConfigs: readonly KernelConfig[] = [conv2DBackpropFilterWasmConfig];

/**
 * Faster replacements for kernels wasm does ship, but slowly (its
 * Conv2DBackpropInput is a naive loop). Only registered on request.
 */
const wasmFastKernelConfigs: readonly KernelConfig[] = [conv2DBackpropInputWasmConfig];

export interface RegisterWasmTrainingKernelsOptions {
  /** Also replace wasm's own slow kernels with `wasmFastKernelConfigs` (default false). */
  replaceSlowKernels?: boolean;
}

/**
 * Registers every kernel in `wasmTrainingKernelConfigs` that is not registered for
 * 'wasm' yet. Idempotent: a second call, or a future tfjs release that ships its
 * own kernel, is left alone (registerKernel would otherwise warn and overwrite).
 * With `replaceSlowKernels`, the kernels in `wasmFastKernelConfigs` replace
 * whatever is registered under their names (also idempotent).
 */
export function registerWasmTrainingKernels(options: RegisterWasmTrainingKernelsOptions = {}): void {
  for (const config of wasmTrainingKernelConfigs) {
    if (getKernel(config.kernelName, config.backendName) === undefined) {
      registerKernel(config);
    }
  }
  if (options.replaceSlowKernels === true) {
    for (const config of wasmFastKernelConfigs) {
      const current = getKernel(config.kernelName, config.backendName);
      if (current === config) continue;
      if (current !== undefined) unregisterKernel(config.kernelName, config.backendName);
      registerKernel(config);
    }
  }
}
