import type { DataId, TensorInfo } from '@tensorflow/tfjs-core';

/**
 * The wasm backend's XNNPACK kernels (matmul's right operand, the filters of
 * conv, depthwise and fused conv) pack the weights they are given once and
 * cache them keyed on the tensor's data id, assuming tensors never change.
 * Native training writes variables in place, so a variable whose id such a
 * kernel has seen must get a fresh id before tfjs computes with it again
 * (renewVariable). This records which ids were handed to a caching kernel
 * since the last renewal, so that only those are renewed: on the native
 * backend the matmuls and convs are native (no cache), and copying every
 * weight after every step of a hooked training cost a third of its speed.
 */
let seen = new WeakSet<DataId>();

/** A caching wasm kernel is about to read `t` as its weights. */
export function noteWasmWeights(t: TensorInfo | undefined): void {
  if (t) seen.add(t.dataId);
}

/** Whether a caching wasm kernel has read this tensor's data since the last `forgetWasmWeights`. */
export function seenByWasmCache(t: TensorInfo): boolean {
  return seen.has(t.dataId);
}

/** After renewing what was seen: from now on only new reads count. */
export function forgetWasmWeights(): void {
  seen = new WeakSet<DataId>();
}
