export { activeNativeEngine, initBackend, tf, webgpuAdapter } from './backend.js';
export type { BackendInfo, BackendName, BackendPreference } from './backend.js';
export { denseMatMul } from './ops/dense.js';
export { chosenBlasCore, nativeStatus, NATIVE_FIX } from './native/addon.js';
export type { DirectIsa, NativeAddon, NativeStatus } from './native/addon.js';
export { NativeProgram, ProgramBuilder, NATIVE_ACTIVATIONS, windowGeometry } from './native/program.js';
export type { BatchNormOp, ConvOptions, NativeActivation, NativeOptimizer, NativeParamKind, NativeValue, Padding, WeightedOp } from './native/program.js';
export { heapView, renewVariable } from './native/heap.js';
export { forgetWasmWeights, seenByWasmCache } from './native/wasm-cache.js';
