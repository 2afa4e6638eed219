// Shared by the wasm kernel tests: deterministic data, tolerance checks, shapes.
import { expect } from 'vitest';

export type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

export interface ConvCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  s: number | [number, number];
  pad: Pad;
}

/** Deterministic uniform [-1, 1) values (mulberry32), identical for both backends. */
export function randomArray(size: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Relative-norm error and worst element relative to the largest reference element, both below `tol`. */
export function expectClose(actual: Float32Array, expected: Float32Array, tol = 1e-4): void {
  expect(actual.length).toBe(expected.length);
  let diff2 = 0;
  let ref2 = 0;
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = (actual[i] as number) - (expected[i] as number);
    diff2 += d * d;
    ref2 += (expected[i] as number) ** 2;
    maxDiff = Math.max(maxDiff, Math.abs(d));
    maxRef = Math.max(maxRef, Math.abs(expected[i] as number));
  }
  expect(Number.isFinite(diff2)).toBe(true);
  expect(Math.sqrt(diff2) / Math.max(Math.sqrt(ref2), 1e-12)).toBeLessThan(tol);
  expect(maxDiff / Math.max(maxRef, 1e-12)).toBeLessThan(tol);
}

/** Strides 1 and 2, 'same'/'valid'/explicit pads, odd/even sizes, 1x1/3x3/5x5, channels 1-8 (+ LeNet shapes). */
export const convCases: ConvCase[] = [
  { b: 1, h: 5, w: 5, ci: 1, co: 1, kh: 3, kw: 3, s: 1, pad: 'valid' },
  { b: 2, h: 8, w: 8, ci: 3, co: 4, kh: 3, kw: 3, s: 1, pad: 'same' },
  { b: 2, h: 8, w: 8, ci: 3, co: 4, kh: 3, kw: 3, s: 2, pad: 'same' },
  { b: 3, h: 9, w: 7, ci: 2, co: 5, kh: 3, kw: 3, s: 2, pad: 'same' },
  { b: 3, h: 9, w: 7, ci: 2, co: 5, kh: 3, kw: 3, s: 2, pad: 'valid' },
  { b: 4, h: 12, w: 12, ci: 1, co: 8, kh: 5, kw: 5, s: 1, pad: 'valid' },
  { b: 2, h: 11, w: 10, ci: 8, co: 6, kh: 5, kw: 5, s: 1, pad: 'same' },
  { b: 2, h: 11, w: 13, ci: 4, co: 3, kh: 5, kw: 5, s: 2, pad: 'same' },
  { b: 1, h: 13, w: 13, ci: 5, co: 7, kh: 5, kw: 5, s: 2, pad: 'valid' },
  { b: 2, h: 6, w: 7, ci: 4, co: 3, kh: 1, kw: 1, s: 1, pad: 'valid' },
  { b: 2, h: 6, w: 7, ci: 4, co: 3, kh: 1, kw: 1, s: 1, pad: 'same' },
  { b: 3, h: 7, w: 6, ci: 3, co: 2, kh: 1, kw: 1, s: 2, pad: 'same' },
  { b: 1, h: 10, w: 9, ci: 6, co: 8, kh: 3, kw: 5, s: [2, 1], pad: 'same' },
  { b: 2, h: 9, w: 9, ci: 3, co: 4, kh: 3, kw: 3, s: 1, pad: 1 },
  {
    b: 2,
    h: 9,
    w: 8,
    ci: 2,
    co: 3,
    kh: 3,
    kw: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { b: 4, h: 28, w: 28, ci: 1, co: 20, kh: 5, kw: 5, s: 1, pad: 'valid' },
  { b: 4, h: 12, w: 12, ci: 20, co: 50, kh: 5, kw: 5, s: 1, pad: 'valid' },
];
