import {
  backend_util,
  BatchMatMul,
  Conv2D,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  DepthwiseConv2dNative,
  FusedConv2D,
  FusedDepthwiseConv2D,
  getKernel,
  registerKernel,
  unregisterKernel,
  util,
  _FusedMatMul,
  type KernelConfig,
  type KernelFunc,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { NativeAddon } from './addon.js';
import { heapView, isWasmBackend } from './heap.js';
import { noteWasmWeights } from './wasm-cache.js';

/**
 * tfjs kernels on the wasm backend that call the native addon (OpenBLAS
 * sgemm, im2col convolutions) on the wasm heap in place: the matmuls and
 * convolutions of evaluation and scoring, whose tfjs ops stay as they are.
 * Anything a kernel does not cover (NCHW, broadcast batch shapes, an
 * activation it does not fuse) goes to the kernel it replaced.
 */
interface Original {
  readonly func: KernelFunc;
}

const KERNELS = [BatchMatMul, _FusedMatMul, Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter] as const;

function wasm(backend: unknown): BackendWasm {
  if (!isWasmBackend(backend)) throw new Error('native kernels run on the wasm backend only');
  return backend;
}

/** The whole wasm heap as floats, and a tensor's float offset into it. */
function heapAndOffset(t: TensorInfo): { heap: Float32Array; offset: number } {
  const view = heapView(t);
  return { heap: new Float32Array(view.buffer), offset: view.byteOffset / 4 };
}

function matMulOut(addon: NativeAddon, backend: BackendWasm, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo | undefined {
  const outer = (s: readonly number[]) => s.slice(0, -2);
  const batchA = util.sizeFromShape(outer(a.shape));
  const batchB = util.sizeFromShape(outer(b.shape));
  // Equal batch shapes, or one side without a batch: anything else broadcasts, which wasm's kernel does.
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return undefined;
  if (batchA === batchB && !util.arraysEqual(outer(a.shape), outer(b.shape))) return undefined;
  const [ar, ac] = [a.shape.at(-2)!, a.shape.at(-1)!];
  const [br, bc] = [b.shape.at(-2)!, b.shape.at(-1)!];
  const m = transposeA ? ac : ar;
  const k = transposeA ? ar : ac;
  const n = transposeB ? br : bc;
  if ((transposeB ? bc : br) !== k || m === 0 || n === 0 || k === 0) return undefined;
  const batch = Math.max(batchA, batchB);
  const outShape = [...(batchA >= batchB ? outer(a.shape) : outer(b.shape)), m, n];
  const out = backend.makeOutput(outShape, 'float32');
  const A = heapAndOffset(a);
  const B = heapAndOffset(b);
  const C = heapAndOffset(out);
  for (let i = 0; i < batch; i++) {
    addon.gemm(
      C.heap,
      transposeA,
      transposeB,
      m,
      n,
      k,
      A.offset + (batchA === 1 ? 0 : i * ar * ac),
      ac,
      B.offset + (batchB === 1 ? 0 : i * br * bc),
      bc,
      C.offset + i * m * n,
      n,
      0,
    );
  }
  return out;
}

export function convGeometry(info: backend_util.Conv2DInfo): Int32Array {
  return Int32Array.from([
    info.batchSize,
    info.inHeight,
    info.inWidth,
    info.inChannels,
    info.outHeight,
    info.outWidth,
    info.outChannels,
    info.filterHeight,
    info.filterWidth,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    info.dilationHeight,
    info.dilationWidth,
  ]);
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: readonly number[];
  filterShape?: readonly number[];
}

const isPair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number');
const isShape = (v: unknown): v is number[] => Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number');

/** The conv attributes tfjs-core passes, checked; undefined sends the call to the replaced kernel. */
function convAttrs(a: Record<string, unknown>): ConvAttrs | undefined {
  const { strides, pad, dataFormat, dilations, dimRoundingMode, inputShape, filterShape } = a;
  if (!(typeof strides === 'number' || isPair(strides))) return undefined;
  if (!(pad === 'valid' || pad === 'same' || typeof pad === 'number' || (Array.isArray(pad) && pad.length === 4 && pad.every(isPair)))) return undefined;
  if (dataFormat !== undefined && dataFormat !== 'NHWC') return undefined;
  if (dilations !== undefined && !(typeof dilations === 'number' || isPair(dilations))) return undefined;
  if (dimRoundingMode !== undefined && dimRoundingMode !== 'floor' && dimRoundingMode !== 'round' && dimRoundingMode !== 'ceil') return undefined;
  return {
    strides,
    pad: pad as ConvAttrs['pad'],
    ...(dilations !== undefined && { dilations }),
    ...(dimRoundingMode !== undefined && { dimRoundingMode }),
    ...(isShape(inputShape) && { inputShape }),
    ...(isShape(filterShape) && { filterShape }),
  };
}

const as4 = (s: readonly number[]): [number, number, number, number] => [s[0]!, s[1]!, s[2]!, s[3]!];

function convInfo(x: readonly number[], filter: readonly number[], a: ConvAttrs): backend_util.Conv2DInfo | undefined {
  if (x.length !== 4 || filter.length !== 4) return undefined;
  return backend_util.computeConv2DInfo(as4(x), as4(filter), a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
}

/** The fused activations applied natively after the matmul and bias; the rest go to wasm's own kernel. */
const FUSED: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => (v > 0 ? v : 0),
  relu6: (v) => Math.min(6, Math.max(0, v)),
};

function nativeKernel(name: (typeof KERNELS)[number], addon: NativeAddon, original: Original): KernelFunc {
  return (args) => {
    const backend = wasm(args.backend);
    const inputs = args.inputs as NamedTensorInfoMap;
    const attrs = args.attrs as Record<string, unknown>;
    let out: TensorInfo | undefined;
    if (name === BatchMatMul || name === _FusedMatMul) {
      const act = String(attrs['activation'] ?? 'linear');
      const fused = name === _FusedMatMul;
      const bias = inputs['bias'];
      const biasOk =
        !bias || (bias.shape.length <= 1 && util.sizeFromShape(bias.shape) === (attrs['transposeB'] ? inputs['b']!.shape.at(-2) : inputs['b']!.shape.at(-1)));
      if (!fused || (act in FUSED && biasOk && !inputs['preluActivationWeights'])) {
        out = matMulOut(addon, backend, inputs['a']!, inputs['b']!, attrs['transposeA'] === true, attrs['transposeB'] === true);
        if (out && fused) {
          const y = heapView(out);
          const n = out.shape.at(-1)!;
          const b = bias ? heapView(bias) : undefined;
          const f = FUSED[act]!;
          for (let i = 0; i < y.length; i++) y[i] = f(y[i]! + (b ? (b.length === 1 ? b[0]! : b[i % n]!) : 0));
        }
      }
    } else {
      const a = convAttrs(attrs);
      if (!a) {
        // NCHW or attributes this kernel does not know: the replaced kernel handles it.
      } else if (name === Conv2D) {
        const info = convInfo(inputs['x']!.shape, inputs['filter']!.shape, a);
        if (info) {
          out = backend.makeOutput(info.outShape, 'float32');
          const x = heapAndOffset(inputs['x']!);
          addon.conv2d(x.heap, convGeometry(info), x.offset, heapAndOffset(inputs['filter']!).offset, heapAndOffset(out).offset);
        }
      } else if (name === Conv2DBackpropInput) {
        const info = a.inputShape ? convInfo(a.inputShape, inputs['filter']!.shape, a) : undefined;
        if (info && a.inputShape) {
          out = backend.makeOutput([...a.inputShape], 'float32');
          const dy = heapAndOffset(inputs['dy']!);
          addon.conv2dBackpropInput(dy.heap, convGeometry(info), dy.offset, heapAndOffset(inputs['filter']!).offset, heapAndOffset(out).offset);
        }
      } else {
        const info = a.filterShape ? convInfo(inputs['x']!.shape, a.filterShape, a) : undefined;
        if (info && a.filterShape) {
          out = backend.makeOutput([...a.filterShape], 'float32');
          const x = heapAndOffset(inputs['x']!);
          addon.conv2dBackpropFilter(x.heap, convGeometry(info), x.offset, heapAndOffset(inputs['dy']!).offset, heapAndOffset(out).offset);
        }
      }
    }
    if (out) return out;
    // The replaced kernel caches its weights operand on the tensor's id (wasm-cache.ts).
    noteWasmWeights(inputs['b'] ?? inputs['filter']);
    return original.func(args);
  };
}

/** Wasm kernels that stay wasm's but cache their filter by tensor id: their reads are recorded (wasm-cache.ts). */
const CACHING = [DepthwiseConv2dNative, FusedConv2D, FusedDepthwiseConv2D] as const;

function recordingKernel(original: Original): KernelFunc {
  return (args) => {
    noteWasmWeights((args.inputs as NamedTensorInfoMap)['filter']);
    return original.func(args);
  };
}

/**
 * Replaces the wasm backend's matmul and convolution kernels with native ones
 * (idempotent). Registration is global per (kernel, backend) in tfjs-core, so
 * this is done only when the `native` backend is chosen.
 */
export function registerNativeKernels(addon: NativeAddon): void {
  for (const name of KERNELS) {
    const current = getKernel(name, 'wasm');
    if (!current || (current as KernelConfig & { native?: true }).native) continue;
    const original: Original = { func: current.kernelFunc };
    unregisterKernel(name, 'wasm');
    const config: KernelConfig & { native: true } = { kernelName: name, backendName: 'wasm', kernelFunc: nativeKernel(name, addon, original), native: true };
    registerKernel(config);
  }
  for (const name of CACHING) {
    const current = getKernel(name, 'wasm');
    if (!current || (current as KernelConfig & { native?: true }).native) continue;
    unregisterKernel(name, 'wasm');
    const config: KernelConfig & { native: true } = {
      kernelName: name,
      backendName: 'wasm',
      kernelFunc: recordingKernel({ func: current.kernelFunc }),
      native: true,
    };
    registerKernel(config);
  }
}
