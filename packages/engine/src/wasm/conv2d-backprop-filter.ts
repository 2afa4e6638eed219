// Conv2DBackpropFilter for the wasm backend, which tfjs-backend-wasm 4.22.0 does
// not ship: without it the gradient of Conv2D w.r.t. its filter throws, so conv
// nets cannot train on wasm.
//
// dW[kh,kw,ci,co] = sum_{b,oh,ow} xPad[b, oh*sh + kh*dh, ow*sw + kw*dw, ci] * dy[b,oh,ow,co]
//
// Built as im2col + one MatMul: the transposed patch matrix P^T [K = KH*KW*CI,
// N = B*OH*OW] is gathered in JS straight into the wasm heap (O(K*N) copies),
// then dW = P^T x dy[N, CO] runs in wasm's own BatchMatMul kernel, which hands
// the O(K*N*CO) work to XNNPACK. P^T is built in column blocks so a big input
// never needs one huge allocation; the small [K, CO] partial results are summed
// in place.
import { backend_util, Conv2DBackpropFilter, type Conv2DBackpropFilterAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGradInfo, DEFAULT_MAX_BLOCK_FLOATS, wasmMatMul } from './wasm-kernel-utils.js';

const KERNEL = 'Conv2DBackpropFilter';

/** Attributes as tfjs-core's Conv2D gradient passes them, plus optional dilations for direct callers. */
type Attrs = Conv2DBackpropFilterAttrs & { dilations?: number | [number, number] };

/**
 * Builds the kernel function. `maxPatchBlockFloats` bounds one im2col block; it
 * is a parameter only so tests can force the multi-block path on small inputs.
 */
export function makeConv2DBackpropFilterWasm(maxPatchBlockFloats: number = DEFAULT_MAX_BLOCK_FLOATS): KernelFunc {
  return ((args: { inputs: { x?: TensorInfo; dy?: TensorInfo }; backend: BackendWasm; attrs: Attrs }) =>
    conv2DBackpropFilterWasm(args, maxPatchBlockFloats)) as unknown as KernelFunc;
}

function conv2DBackpropFilterWasm(
  args: { inputs: { x?: TensorInfo; dy?: TensorInfo }; backend: BackendWasm; attrs: Attrs },
  maxPatchBlockFloats: number,
): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  if (x === undefined || dy === undefined) {
    throw new Error('Conv2DBackpropFilter (wasm): inputs x and dy are required');
  }
  const { filterShape } = attrs;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new Error(`Conv2DBackpropFilter (wasm): float32 inputs required, got x ${x.dtype}, dy ${dy.dtype}`);
  }
  if (x.shape.length !== 4 || dy.shape.length !== 4) {
    throw new Error(`Conv2DBackpropFilter (wasm): x and dy must be rank 4, got [${x.shape}] and [${dy.shape}]`);
  }
  if (filterShape[2] !== x.shape[3]) {
    throw new Error(`Conv2DBackpropFilter (wasm): filterShape [${filterShape}] does not match x channels ${x.shape[3]}`);
  }
  const convInfo = convGradInfo(KERNEL, x.shape as [number, number, number, number], filterShape, attrs, dy);
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = convInfo;

  const matMul = (a: TensorInfo, b: TensorInfo): TensorInfo => wasmMatMul(backend, a, b, KERNEL);

  const n = batchSize * outHeight * outWidth;
  const k = filterHeight * filterWidth * inChannels;
  const outShape = [filterHeight, filterWidth, inChannels, outChannels];

  if (n === 0) {
    // Empty batch: the sum is empty, so the gradient is all zeros.
    const out = backend.makeOutput(outShape, 'float32');
    backend.typedArrayFromHeap(out).fill(0);
    return out;
  }

  const colsPerBlock = Math.max(1, Math.min(n, Math.floor(maxPatchBlockFloats / k)));
  let acc: TensorInfo | undefined;
  for (let n0 = 0; n0 < n; n0 += colsPerBlock) {
    const cols = Math.min(colsPerBlock, n - n0);
    const patchesT = backend.makeOutput([1, k, cols], 'float32');
    // dy is b (the XNNPACK "weights"), P^T is a, so no transposes are needed.
    // Heap views must be taken after the allocation: it can grow (and detach) the heap.
    fillPatchesTransposed(backend.typedArrayFromHeap(patchesT) as Float32Array, backend.typedArrayFromHeap(x) as Float32Array, n0, cols, convInfo);
    // dy as [N, CO] is dy itself (NHWC is row-major over (b, oh, ow)); a block of
    // rows is copied out. A view over dy's dataId needs no refcount bump: we never
    // dispose it, and BatchMatMul balances its own reshape.
    let dyBlock: TensorInfo;
    let ownsDyBlock = false;
    if (cols === n) {
      dyBlock = { dataId: dy.dataId, shape: [1, n, outChannels], dtype: 'float32' };
    } else {
      dyBlock = backend.makeOutput([1, cols, outChannels], 'float32');
      ownsDyBlock = true;
      const src = backend.typedArrayFromHeap(dy);
      backend.typedArrayFromHeap(dyBlock).set(src.subarray(n0 * outChannels, (n0 + cols) * outChannels));
    }
    const part = matMul(patchesT, dyBlock);
    backend.disposeData(patchesT.dataId);
    if (ownsDyBlock) backend.disposeData(dyBlock.dataId);
    if (acc === undefined) {
      acc = part;
    } else {
      const a = backend.typedArrayFromHeap(acc);
      const p = backend.typedArrayFromHeap(part);
      for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) + (p[i] as number);
      backend.disposeData(part.dataId);
    }
  }
  if (acc === undefined) throw new Error('Conv2DBackpropFilter (wasm): internal error, no output');
  acc.shape = outShape;
  return acc;
}

/**
 * Writes columns [n0, n0 + cols) of the transposed im2col matrix P^T [K, N] of
 * `x` (NHWC) into `dst` ([K, cols], row-major). Row = (kh, kw, ci), matching the
 * HWIO filter layout, so P^T x dy reshapes straight to [KH, KW, CI, CO]; column
 * = (b, oh, ow), matching dy's memory order. Out-of-image taps are zero (malloc
 * does not zero the heap, so every element is written).
 */
function fillPatchesTransposed(dst: Float32Array, x: Float32Array, n0: number, cols: number, info: backend_util.Conv2DInfo): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  // Per column: top-left input pixel of its receptive field (may be outside the
  // image) and the flat offset of that pixel, computed once for all K rows.
  const ih0 = new Int32Array(cols);
  const iw0 = new Int32Array(cols);
  const base = new Int32Array(cols);
  for (let c = 0; c < cols; c++) {
    const nn = n0 + c;
    const ow = nn % outWidth;
    const t = (nn - ow) / outWidth;
    const oh = t % outHeight;
    const b = (t - oh) / outHeight;
    const h = oh * strideHeight - padTop;
    const w = ow * strideWidth - padLeft;
    ih0[c] = h;
    iw0[c] = w;
    base[c] = ((b * inHeight + h) * inWidth + w) * ci;
  }
  let row = 0;
  for (let kh = 0; kh < filterHeight; kh++) {
    const dh = kh * dilationHeight;
    for (let kw = 0; kw < filterWidth; kw++) {
      const dw = kw * dilationWidth;
      const off = (dh * inWidth + dw) * ci;
      for (let c0 = 0; c0 < ci; c0++, row++) {
        const d = row * cols;
        const o = off + c0;
        for (let c = 0; c < cols; c++) {
          const h = (ih0[c] as number) + dh;
          const w = (iw0[c] as number) + dw;
          dst[d + c] = h >= 0 && h < inHeight && w >= 0 && w < inWidth ? (x[(base[c] as number) + o] as number) : 0;
        }
      }
    }
  }
}

/** Conv2DBackpropFilter on wasm (NHWC), as im2col in JS + wasm BatchMatMul. */
export const conv2DBackpropFilterWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: makeConv2DBackpropFilterWasm(),
};
