import * as tf from '@tensorflow/tfjs-core';
// Type only: importing the package registers the wasm backend, which would then
// outrank cpu before anyone chose a backend (see backend.ts, which loads it on demand).
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * Float32Array views onto the wasm backend's heap, so native code reads and
 * writes tensors where they live. A view is valid until the next tfjs
 * allocation (the heap may grow and move), so take views right before a native
 * call and drop them after.
 */
/** Whether `b` is tfjs' wasm backend (by what native code needs of it: its tensor table, module and output allocation). */
export function isWasmBackend(b: unknown): b is BackendWasm {
  return typeof b === 'object' && b !== null && 'dataIdMap' in b && 'wasm' in b && 'makeOutput' in b;
}

function wasmBackend(): BackendWasm {
  const b = tf.backend();
  if (tf.getBackend() !== 'wasm' || !isWasmBackend(b)) throw new Error(`native kernels need the wasm backend, the active one is ${tf.getBackend()}`);
  return b;
}

/** The wasm module's memory (emscripten's HEAPU8 is refreshed when the memory grows). */
function heapBuffer(b: BackendWasm): ArrayBufferLike {
  const mod = b.wasm;
  if (!('HEAPU8' in mod) || !(mod.HEAPU8 instanceof Uint8Array)) throw new Error('the wasm backend exposes no heap');
  return mod.HEAPU8.buffer;
}

export function heapView(t: tf.TensorInfo): Float32Array {
  const b = wasmBackend();
  const data = b.dataIdMap.get(t.dataId);
  if (!data) throw new Error('tensor has no data on the wasm backend (disposed?)');
  if (t.dtype !== 'float32') throw new Error(`native kernels take float32 tensors, not ${t.dtype}`);
  const size = t.shape.reduce((a, d) => a * d, 1);
  return new Float32Array(heapBuffer(b), data.memoryOffset, size);
}

/**
 * Gives a variable fresh data with the same values. Native training writes
 * variables in place, but the wasm backend caches XNNPACK operators with their
 * packed weights keyed on the tensor's id (matmul and conv), assuming tensors
 * never change: a new id after in-place writes keeps those caches honest. At
 * the start it also makes sure no other tensor shares the variable's data.
 */
export function renewVariable(v: tf.Variable): void {
  tf.tidy(() => v.assign(tf.tensor(heapView(v).slice(), v.shape, 'float32')));
}
