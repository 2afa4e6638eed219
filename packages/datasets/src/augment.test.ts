import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { augmentPlan, type AugmentPlan } from './augment.js';
import { fillBatch } from './batch.js';
import type { LoadedDataset, Normalization } from './types.js';

const H = 3,
  W = 4,
  C = 2;
/** Raw value of pixel (r, c), channel k of example e: distinct for every position, so a moved pixel is recognised. */
const raw = (e: number, r: number, c: number, k: number) => 1 + e * 100 + r * 20 + c * 4 + k;

/** Two 3x4x2 images with the raw values above, split train = [row 1, row 0]. */
function images(normalization: Normalization): LoadedDataset {
  const x = new Uint8Array(2 * H * W * C);
  for (let e = 0; e < 2; e++)
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) for (let k = 0; k < C; k++) x[((e * H + r) * W + c) * C + k] = raw(e, r, c, k);
  const indices = new Uint32Array([1, 0]);
  return {
    name: 'images',
    shape: [H, W, C],
    classes: 2,
    pools: [{ x, y: new Uint8Array([0, 1]), n: 2 }],
    splits: { train: { pool: 0, indices }, val: { pool: 0, indices: new Uint32Array(0) }, test: { pool: 0, indices: new Uint32Array(0) } },
    normalization,
    identity: { name: 'images', checksum: '', sizes: { train: 2, val: 0, test: 0 }, options: {} },
  };
}

const plain: Normalization = { kind: 'scale', scale: 1, mean: [0], std: [1] };
const standardized: Normalization = { kind: 'standardize', scale: 0.5, mean: [3, 5], std: [2, 4] };

/** The plan with the given draws at each split position. */
const planOf = (crop: number, draws: Array<[number, number, 0 | 1]>): AugmentPlan => ({ crop, flip: true, offsets: Uint8Array.from(draws.flat()) });

function filled(ds: LoadedDataset, positions: number[], plan?: AugmentPlan): Float32Array {
  const x = new Float32Array(positions.length * H * W * C);
  fillBatch(ds, 'train', positions, x, new Int32Array(positions.length), plan);
  return x;
}

/** The hand formula: out(r, c) = raw(r + dy - crop, c' + dx - crop), c' = W-1-c when flipped, raw 0 outside. */
function expected(e: number, crop: number, [dy, dx, flip]: [number, number, 0 | 1], norm: (v: number, k: number) => number): number[] {
  const out: number[] = [];
  for (let r = 0; r < H; r++) {
    for (let c = 0; c < W; c++) {
      const sr = r + dy - crop;
      const sc = (flip ? W - 1 - c : c) + dx - crop;
      for (let k = 0; k < C; k++) out.push(norm(sr >= 0 && sr < H && sc >= 0 && sc < W ? raw(e, sr, sc, k) : 0, k));
    }
  }
  return out;
}

describe('random crop and flip on a tiny image', () => {
  it('no shift and no flip copies the image; a flip mirrors the columns', () => {
    const ds = images(plain);
    expect([
      ...filled(
        ds,
        [0],
        planOf(1, [
          [1, 1, 0],
          [1, 1, 0],
        ]),
      ),
    ]).toEqual([...filled(ds, [0])]);
    // Position 1 is pool row 0; flipped, column c holds column 3 - c.
    const flipped = filled(
      ds,
      [1],
      planOf(1, [
        [1, 1, 0],
        [1, 1, 1],
      ]),
    );
    expect(flipped[0]).toBe(raw(0, 0, 3, 0));
    expect(flipped[(1 * W + 1) * C + 1]).toBe(raw(0, 1, 2, 1));
  });

  it('a crop at offset (0, 2) of the 1-padded image shifts down by one and left by one, padding with zeros', () => {
    const x = filled(
      images(plain),
      [1],
      planOf(1, [
        [0, 0, 0],
        [0, 2, 0],
      ]),
    );
    expect([...x.subarray(0, W * C)]).toEqual(new Array(W * C).fill(0)); // row 0 comes from the padding above
    expect(x[(1 * W + 0) * C]).toBe(raw(0, 0, 1, 0)); // out (1, 0) = in (0, 1)
    expect(x[(1 * W + 3) * C + 1]).toBe(0); // out (1, 3) = in (0, 4): the padding on the right
  });

  it('every draw of a 2-pixel crop with and without a flip matches the hand formula; padding is raw 0 normalised (-mean/std)', () => {
    const ds = images(standardized);
    const norm = (v: number, k: number) => (v * 0.5 - [3, 5][k]!) / [2, 4][k]!;
    for (let dy = 0; dy <= 4; dy++) {
      for (let dx = 0; dx <= 4; dx++) {
        for (const flip of [0, 1] as const) {
          const x = filled(
            ds,
            [0, 1],
            planOf(2, [
              [dy, dx, flip],
              [4 - dy, dx, (1 - flip) as 0 | 1],
            ]),
          );
          // Position 0 is pool row 1, position 1 is pool row 0.
          const want = [...expected(1, 2, [dy, dx, flip], norm), ...expected(0, 2, [4 - dy, dx, (1 - flip) as 0 | 1], norm)];
          want.forEach((v, i) => expect(x[i]).toBeCloseTo(v, 5));
        }
      }
    }
  });

  it('an example gets the draws of its split position, whatever batch it is filled in', () => {
    const ds = images(standardized);
    const plan = augmentPlan(2, { crop: 2, flip: true }, 7, 3);
    const both = filled(ds, [1, 0], plan);
    expect([...filled(ds, [1], plan)]).toEqual([...both.subarray(0, H * W * C)]);
    expect([...filled(ds, [0], plan)]).toEqual([...both.subarray(H * W * C)]);
  });

  it('refuses a flat dataset and a plan for a smaller split', () => {
    const flat: LoadedDataset = { ...images(plain), shape: [H * W * C] };
    expect(() => filled(flat, [0], augmentPlan(2, { crop: 1, flip: true }, 0, 0))).toThrow(/need images \[height, width, channels\]/);
    expect(() => filled(images(plain), [0], augmentPlan(1, { crop: 1, flip: true }, 0, 0))).toThrow(/covers 1 examples, split train has 2/);
  });
});

describe('augmentPlan', () => {
  it('depends only on (seed, epoch): the same twice, different across epochs and seeds', () => {
    fc.assert(
      fc.property(fc.nat(1000), fc.nat(50), fc.integer({ min: 1, max: 8 }), (seed, epoch, crop) => {
        const a = { crop, flip: true };
        const p = augmentPlan(64, a, seed, epoch).offsets;
        expect(augmentPlan(64, a, seed, epoch).offsets).toEqual(p);
        expect(augmentPlan(64, a, seed, epoch + 1).offsets).not.toEqual(p);
        expect(augmentPlan(64, a, seed + 1, epoch).offsets).not.toEqual(p);
        for (let i = 0; i < p.length; i++) expect(p[i]!).toBeLessThanOrEqual(i % 3 === 2 ? 1 : 2 * crop);
      }),
      { seed: 17, numRuns: 50 },
    );
  });

  it('draws every crop offset and both flips over many examples; none when turned off', () => {
    const p = augmentPlan(2000, { crop: 4, flip: true }, 1, 0).offsets;
    for (const j of [0, 1]) expect(new Set(p.filter((_, i) => i % 3 === j))).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]));
    expect(new Set(p.filter((_, i) => i % 3 === 2))).toEqual(new Set([0, 1]));
    expect(
      augmentPlan(50, { crop: 0, flip: true }, 1, 0)
        .offsets.filter((_, i) => i % 3 !== 2)
        .every((v) => v === 0),
    ).toBe(true);
    expect(
      augmentPlan(50, { crop: 3, flip: false }, 1, 0)
        .offsets.filter((_, i) => i % 3 === 2)
        .every((v) => v === 0),
    ).toBe(true);
  });
});
