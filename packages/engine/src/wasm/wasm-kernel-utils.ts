// Small helpers shared by the wasm training kernels in this folder.
import { backend_util, BatchMatMul, getKernel, util, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Normalises a `number | [a, b]` attribute (strides, dilations) to a pair. */
function asPair(v: number | readonly number[] | undefined, fallback: number, what: string, kernel: string): [number, number] {
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

/** The attributes both conv gradients receive from tfjs-core, plus optional dilations for direct callers. */
export interface ConvGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: number | [number, number];
}

/**
 * The forward conv's geometry for a conv gradient kernel: checks the NHWC
 * layout, computes tfjs' Conv2DInfo for input `xShape` and `filterShape`, and
 * checks that dy has the conv output's shape.
 */
export function convGradInfo(
  kernel: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: ConvGradAttrs,
  dy: TensorInfo,
): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== undefined && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} (wasm): only dataFormat 'NHWC' is supported, got '${attrs.dataFormat}'`);
  }
  const info = backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    asPair(attrs.strides, 1, 'strides', kernel),
    asPair(attrs.dilations, 1, 'dilations', kernel),
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const expectedDy = [info.batchSize, info.outHeight, info.outWidth, info.outChannels];
  if (!util.arraysEqual(dy.shape, expectedDy)) {
    throw new Error(`${kernel} (wasm): dy shape [${dy.shape}] does not match the conv output [${expectedDy}]`);
  }
  return info;
}
