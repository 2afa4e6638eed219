// A faster Conv2DBackpropInput for the wasm backend. tfjs-backend-wasm 4.22.0
// does ship this kernel, but as a naive direct loop in C++; on LeNet-5 it was the
// single most expensive kernel of a training step. This one is opt-in (see
// registerWasmTrainingKernels({ replaceSlowKernels: true })).
//
// dx[b, ih, iw, ci] = sum over (oh, ow, kh, kw) with ih = oh*sh - padTop + kh*dh,
//                     iw = ow*sw - padLeft + kw*dw of dy[b,oh,ow,co] * W[kh,kw,ci,co]
//
// Built as one MatMul + col2im: cols [N = B*OH*OW, K = KH*KW*CI] = dy[N, CO] x
// W^T[CO, K] runs in wasm's BatchMatMul (XNNPACK; W^T is transposed in JS since
// it is small), then each row of cols is scatter-added into dx in JS (O(N*K)).
import { backend_util, Conv2DBackpropInput, type Conv2DBackpropInputAttrs, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convGradInfo, DEFAULT_MAX_BLOCK_FLOATS, wasmMatMul } from './wasm-kernel-utils.js';

const KERNEL = 'Conv2DBackpropInput';

/** Attributes as tfjs-core's Conv2D gradient passes them, plus optional dilations for direct callers. */
type Attrs = Conv2DBackpropInputAttrs & { dilations?: number | [number, number] };
type Args = { inputs: { dy?: TensorInfo; filter?: TensorInfo }; backend: BackendWasm; attrs: Attrs };

/**
 * Builds the kernel function. `maxColBlockFloats` bounds one block of the cols
 * matrix; it is a parameter only so tests can force the multi-block path.
 */
export function makeConv2DBackpropInputWasm(maxColBlockFloats: number = DEFAULT_MAX_BLOCK_FLOATS): KernelFunc {
  return ((args: Args) => conv2DBackpropInputWasm(args, maxColBlockFloats)) as unknown as KernelFunc;
}

function conv2DBackpropInputWasm(args: Args, maxColBlockFloats: number): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  if (dy === undefined || filter === undefined) {
    throw new Error(`${KERNEL} (wasm): inputs dy and filter are required`);
  }
  const { inputShape } = attrs;
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') {
    throw new Error(`${KERNEL} (wasm): float32 inputs required, got dy ${dy.dtype}, filter ${filter.dtype}`);
  }
  if (dy.shape.length !== 4 || filter.shape.length !== 4 || inputShape.length !== 4) {
    throw new Error(`${KERNEL} (wasm): dy, filter and inputShape must be rank 4`);
  }
  const convInfo = convGradInfo(KERNEL, inputShape, filter.shape as [number, number, number, number], attrs, dy);
  const { batchSize, outHeight, outWidth, outChannels, filterHeight, filterWidth, inChannels } = convInfo;
  const n = batchSize * outHeight * outWidth;
  const k = filterHeight * filterWidth * inChannels;

  const dx = backend.makeOutput([...inputShape], 'float32');
  backend.typedArrayFromHeap(dx).fill(0);
  if (n === 0 || k === 0 || outChannels === 0) return dx;

  // W^T [CO, K]: W is [K, CO] in memory (HWIO). As b it is the XNNPACK weights,
  // packed once and reused for every block.
  const filterT = backend.makeOutput([1, outChannels, k], 'float32');
  {
    const w = backend.typedArrayFromHeap(filter);
    const wt = backend.typedArrayFromHeap(filterT);
    for (let i = 0; i < k; i++) {
      for (let o = 0; o < outChannels; o++) wt[o * k + i] = w[i * outChannels + o] as number;
    }
  }

  const rowsPerBlock = Math.max(1, Math.min(n, Math.floor(maxColBlockFloats / k)));
  for (let n0 = 0; n0 < n; n0 += rowsPerBlock) {
    const rows = Math.min(rowsPerBlock, n - n0);
    let dyBlock: TensorInfo;
    let ownsDyBlock = false;
    if (rows === n) {
      // A view over dy's dataId needs no refcount bump: we never dispose it,
      // and BatchMatMul balances its own reshape.
      dyBlock = { dataId: dy.dataId, shape: [1, n, outChannels], dtype: 'float32' };
    } else {
      dyBlock = backend.makeOutput([1, rows, outChannels], 'float32');
      ownsDyBlock = true;
      const src = backend.typedArrayFromHeap(dy);
      backend.typedArrayFromHeap(dyBlock).set(src.subarray(n0 * outChannels, (n0 + rows) * outChannels));
    }
    const cols = wasmMatMul(backend, dyBlock, filterT, KERNEL);
    if (ownsDyBlock) backend.disposeData(dyBlock.dataId);
    // Heap views after the last allocation: allocation can grow (and detach) the heap.
    col2imAdd(backend.typedArrayFromHeap(dx) as Float32Array, backend.typedArrayFromHeap(cols) as Float32Array, n0, rows, convInfo);
    backend.disposeData(cols.dataId);
  }
  backend.disposeData(filterT.dataId);
  return dx;
}

/**
 * Scatter-adds rows [n0, n0 + rows) of cols ([rows, K], row = (b, oh, ow),
 * column = (kh, kw, ci)) into dx (NHWC). Taps that fall in the padding are
 * dropped, which is exactly the adjoint of zero padding.
 */
function col2imAdd(dx: Float32Array, cols: Float32Array, n0: number, rows: number, info: backend_util.Conv2DInfo): void {
  const { inHeight, inWidth, inChannels: ci, outHeight, outWidth, filterHeight, filterWidth } = info;
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  const k = filterHeight * filterWidth * ci;
  for (let r = 0; r < rows; r++) {
    const nn = n0 + r;
    const ow = nn % outWidth;
    const t = (nn - ow) / outWidth;
    const oh = t % outHeight;
    const b = (t - oh) / outHeight;
    const ih0 = oh * strideHeight - padTop;
    const iw0 = ow * strideWidth - padLeft;
    let s = r * k;
    for (let kh = 0; kh < filterHeight; kh++) {
      const ih = ih0 + kh * dilationHeight;
      if (ih < 0 || ih >= inHeight) {
        s += filterWidth * ci;
        continue;
      }
      const rowBase = (b * inHeight + ih) * inWidth;
      for (let kw = 0; kw < filterWidth; kw++, s += ci) {
        const iw = iw0 + kw * dilationWidth;
        if (iw < 0 || iw >= inWidth) continue;
        const d = (rowBase + iw) * ci;
        for (let c = 0; c < ci; c++) dx[d + c] = (dx[d + c] as number) + (cols[s + c] as number);
      }
    }
  }
}

/** Conv2DBackpropInput on wasm (NHWC), as wasm BatchMatMul + col2im in JS. */
export const conv2DBackpropInputWasmConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: makeConv2DBackpropInputWasm(),
};
