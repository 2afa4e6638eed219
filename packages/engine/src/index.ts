export { initBackend, tf, webgpuAdapter } from './backend.js';
export type { BackendInfo, BackendName, BackendPreference } from './backend.js';
export { denseMatMul } from './ops/dense.js';
