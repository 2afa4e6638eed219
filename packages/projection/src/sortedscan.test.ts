import { describe, expect, it } from 'vitest';
import { selectFast32, type FastPool } from './fastselect.js';
import type { List, ScanState } from './listscan.js';
import { project } from './project.js';
import { keepCount } from './rounding.js';
import { scanSortedPool } from './sortedscan.js';
import { referenceFloors } from './test-utils/reference.js';
import type { LayerScores } from './types.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const bits = (x: number): number => new Int32Array(new Float32Array([x]).buffer)[0]!;
const list = (): List => ({ index: new Uint32Array(1 << 16), key: new Int32Array(1 << 16) });
const state = (): ScanState => ({ c: 0, flag: 0, nl: 0 });

function sortedLayers(seed: number, dir: 1 | -1, count = 8, rows = 200): LayerScores[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, l) => {
    const s = Float32Array.from({ length: rows * 64 }, () => Math.floor(r() * 5000) / 4999); // some ties too
    s.sort();
    if (dir === -1) s.reverse();
    return { name: `s${l}`, shape: [rows, 64], scores: s };
  });
}

describe('sorted pools', () => {
  it('ascending and descending: the mask, the count and the listed run match a plain scan', () => {
    for (const dir of [1, -1] as const) {
      const v = sortedLayers(1, dir, 1)[0]!.scores;
      const u = new Int32Array(v.buffer);
      const hi = bits(0.8);
      const lo = bits(0.75);
      const out = new Uint8Array(v.length);
      const l = list();
      const st = state();
      expect(scanSortedPool(u, out, dir, hi, lo, l, st)).toBe(true);
      const above = Array.from(v, (x) => (x > 0.8 ? 1 : 0));
      expect(Array.from(out)).toEqual(above);
      expect(st.c).toBe(above.reduce((s: number, x) => s + x, 0));
      const inside = Array.from(v.keys()).filter((i) => v[i]! >= 0.75 && v[i]! <= 0.8);
      expect(Array.from(l.index.subarray(0, st.nl))).toEqual(inside);
      expect(Array.from(l.key.subarray(0, st.nl))).toEqual(inside.map((i) => u[i]!));
    }
  });

  it('declines, writing nothing, when the pool is not sorted after all or holds a bad key', () => {
    const base = sortedLayers(2, 1, 1)[0]!.scores.map((x, i) => x + (i + 1) * 1e-6); // strictly ascending and positive: halving any key inverts
    const n = base.length;
    // One inversion in each lane of a four-key step, at a block edge (8192) and in the tail.
    const inversions = [1, 2, 3, 4, 5, 6, 8191, 8192, 8193, 8194, n - 3, n - 2, n - 1].map((at): [number, number] => [at, base[at - 1]! / 2]);
    const cases: [number, number][] = [
      ...inversions,
      [0, -1], // a negative key
      [base.length - 1, Infinity],
      [base.length - 1, NaN],
    ];
    for (const [at, bad] of cases) {
      const v = base.slice();
      v[at] = bad;
      const out = new Uint8Array(v.length).fill(7);
      expect(scanSortedPool(new Int32Array(v.buffer), out, 1, bits(0.8), bits(0.75), list(), state())).toBe(false);
      expect(out.every((x) => x === 7)).toBe(true);
    }
  });

  it('project() on sorted layers (either order, ties, with the floor guard) gives the reference masks; a late inversion or NaN is still caught', () => {
    for (const dir of [1, -1] as const) {
      const layers = sortedLayers(3, dir);
      const n = layers.reduce((s, l) => s + l.scores.length, 0);
      for (const sparsity of [0.5, 0.9, 0.999]) {
        const k = keepCount(sparsity, n);
        const ps: FastPool[] = layers.map((l) => ({ values: l.scores, avail: null, out: new Uint8Array(l.scores.length), available: l.scores.length }));
        expect(selectFast32(ps, k)).not.toBeNull();
        expect(ps.map((p) => Array.from(p.out))).toEqual(referenceFloors(layers, k).map((m) => Array.from(m)));
        const r = project(layers, { sparsity });
        expect(r.masks.map((m) => Array.from(m.mask))).toEqual(
          referenceFloors(
            layers,
            k,
            layers.map(() => 1),
          ).map((m) => Array.from(m)),
        );
      }
    }
    const layers = sortedLayers(4, 1);
    const inverted = layers.map((l) => ({ ...l, scores: l.scores.slice() }));
    inverted[5]!.scores[100] = 0.99; // sampled keys still ascend, the scan must not trust them
    const n = layers.reduce((s, l) => s + l.scores.length, 0);
    expect(project(inverted, { sparsity: 0.9 }).masks.map((m) => Array.from(m.mask))).toEqual(
      referenceFloors(
        inverted,
        keepCount(0.9, n),
        inverted.map(() => 1),
      ).map((m) => Array.from(m)),
    );
    const withNaN = layers.map((l) => ({ ...l, scores: l.scores.slice() }));
    withNaN[2]!.scores[withNaN[2]!.scores.length - 1] = NaN;
    expect(() => project(withNaN, { sparsity: 0.9 })).toThrow(/NaN/);
  });
});
