import { describe, expect, it } from 'vitest';
import { exampleSize, fillBatch, splitSize } from './batch.js';
import type { LoadedDataset } from './types.js';

/** A hand-made 2x1x3 dataset: exact values for the per-channel formula. */
function tiny(): LoadedDataset {
  const x = new Uint8Array([0, 10, 20, 30, 40, 50, 255, 255, 255, 1, 2, 3]);
  const y = new Uint8Array([1, 0]);
  const indices = new Uint32Array([1, 0]);
  return {
    name: 'tiny',
    shape: [2, 1, 3],
    classes: 2,
    pools: [{ x, y, n: 2 }],
    splits: { train: { pool: 0, indices }, val: { pool: 0, indices }, test: { pool: 0, indices: new Uint32Array(0) } },
    normalization: { kind: 'standardize', scale: 0.5, mean: [1, 2, 3], std: [2, 4, 8] },
    identity: { name: 'tiny', checksum: '', sizes: { train: 2, val: 2, test: 0 }, options: {} },
  };
}

describe('fillBatch', () => {
  it('applies (raw * scale - mean[c]) / std[c] with channels last', () => {
    const ds = tiny();
    expect(exampleSize(ds)).toBe(6);
    expect(splitSize(ds, 'train')).toBe(2);
    const x = new Float32Array(12);
    const y = new Int32Array(2);
    fillBatch(ds, 'train', [1, 0], x, y); // position 1 -> row 0, position 0 -> row 1
    expect([...y]).toEqual([1, 0]);
    const want = (raw: number, c: number) => (raw * 0.5 - [1, 2, 3][c]!) / [2, 4, 8][c]!;
    const rows = [
      [0, 10, 20, 30, 40, 50],
      [255, 255, 255, 1, 2, 3],
    ];
    rows.forEach((row, i) => row.forEach((raw, k) => expect(x[i * 6 + k]).toBeCloseTo(want(raw, k % 3), 5)));
  });

  it('rejects positions outside the split and buffers that are too small', () => {
    const ds = tiny();
    expect(() => fillBatch(ds, 'train', [2], new Float32Array(6), new Int32Array(1))).toThrow(/outside split train/);
    expect(() => fillBatch(ds, 'train', [0, 1], new Float32Array(6), new Int32Array(2))).toThrow(/too small/);
  });
});
