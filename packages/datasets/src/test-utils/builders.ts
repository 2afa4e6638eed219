import { isPrunelabError, type ErrorCode } from '@prunelab/core';
import { CIFAR_EXAMPLE, CIFAR_RECORD } from '../cifar-format.js';

/** Small IDX files for parser tests. */
export function idxImages(n: number, rows: number, cols: number, fill: (i: number) => number = (i) => i % 256): Uint8Array {
  const out = new Uint8Array(16 + n * rows * cols);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2051);
  v.setUint32(4, n);
  v.setUint32(8, rows);
  v.setUint32(12, cols);
  for (let i = 0; i < n * rows * cols; i++) out[16 + i] = fill(i);
  return out;
}

export function idxLabels(labels: readonly number[]): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const v = new DataView(out.buffer);
  v.setUint32(0, 2049);
  v.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}

/** CIFAR-10 binary records; pixel p of channel c of record r is (r * 7 + c * 3 + p) % 256. */
export function cifarRecords(labels: readonly number[]): Uint8Array {
  const out = new Uint8Array(labels.length * CIFAR_RECORD);
  labels.forEach((label, r) => {
    out[r * CIFAR_RECORD] = label;
    for (let k = 0; k < CIFAR_EXAMPLE; k++) {
      const c = Math.floor(k / 1024);
      const p = k % 1024;
      out[r * CIFAR_RECORD + 1 + k] = cifarPixel(r, c, p);
    }
  });
  return out;
}

export function cifarPixel(r: number, c: number, p: number): number {
  return (r * 7 + c * 3 + p) % 256;
}

/** Runs `f` and returns the PrunelabError it throws (failing when it does not throw one). */
export async function caught(f: () => unknown): Promise<Error & { code: ErrorCode; details: { file?: string; path?: string } }> {
  try {
    await f();
  } catch (e) {
    if (isPrunelabError(e)) return e;
    throw e;
  }
  throw new Error('expected a PrunelabError, but nothing was thrown');
}
