// Small helpers shared by the wasm training kernels in this folder.
import { BatchMatMul, getKernel, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Normalises a `number | [a, b]` attribute (strides, dilations) to a pair. */
export function asPair(
  v: number | readonly number[] | undefined,
  fallback: number,
  what: string,
  kernel: string,
): [number, number] {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') return [v, v];
  const a = v[0];
  const b = v[1];
  if (a === undefined || b === undefined || v.length !== 2) {
    throw new Error(`${kernel} (wasm): ${what} must be a number or a pair, got [${v.join(', ')}]`);
  }
  return [a, b];
}

/**
 * Plain `a [1, M, K] x b [1, K, N]` on wasm's own BatchMatMul kernel. No
 * transposes on purpose: wasm's BatchMatMul only reaches XNNPACK for untransposed
 * rank-3 inputs with batch 1; with transposeA/B it falls back to a naive triple
 * loop (several times slower), so callers lay their operands out to avoid it.
 * XNNPACK packs (and caches, keyed on b's tensor id) b as the weights, so the
 * operand reused across calls should be passed as b.
 */
export function wasmMatMul(backend: BackendWasm, a: TensorInfo, b: TensorInfo, kernel: string): TensorInfo {
  const batchMatMul = getKernel(BatchMatMul, 'wasm')?.kernelFunc;
  if (batchMatMul === undefined) throw new Error(`${kernel} (wasm): wasm BatchMatMul kernel missing`);
  return batchMatMul({
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false } as unknown as NamedAttrMap,
  }) as TensorInfo;
}

/** Default upper bound on the floats of one im2col/col2im block (64 MiB), so memory stays bounded. */
export const DEFAULT_MAX_BLOCK_FLOATS = 1 << 24;
