/**
 * Typed arrays backed by SharedArrayBuffer. Structured clone (postMessage,
 * worker `workerData`) passes a SharedArrayBuffer by reference, so a dataset
 * built from these arrays is stored once per process however many worker
 * threads read it. A plain ArrayBuffer would be copied into every worker.
 */
export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT));
}

export function sharedUint32(length: number): Uint32Array {
  return new Uint32Array(new SharedArrayBuffer(length * Uint32Array.BYTES_PER_ELEMENT));
}

/** Copies `src` into shared memory unless it already lives there. */
export function toSharedUint8(src: Uint8Array): Uint8Array {
  if (src.buffer instanceof SharedArrayBuffer) return src;
  const out = sharedUint8(src.length);
  out.set(src);
  return out;
}
