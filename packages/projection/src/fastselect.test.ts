import { describe, expect, it } from 'vitest';
import { DISTRIBUTIONS, tileNetwork } from './bench/distributions.js';
import { planFast32, scanFast32, selectFast32, writeFast32, type FastPool } from './fastselect.js';
import { project } from './project.js';
import { keepCount } from './rounding.js';
import { samplePosition, sampleStep } from './sample.js';
import { referenceFloors } from './test-utils/reference.js';
import type { LayerScores } from './types.js';

// 12 layers of [160, 64]: 122,880 scores, so the sample takes one key in every
// run of 3 (the jittered positions matter) and the bracket list is a real subset.
const L = 12;
const ROWS = 160;
const COLS = 64;

function pools(layers: readonly LayerScores[], avail?: readonly Uint8Array[], aliased = false): FastPool[] {
  return layers.map((l, i) => {
    const a = avail?.[i] ?? null;
    const out = aliased && a !== null ? a.slice() : new Uint8Array(l.scores.length);
    return {
      values: l.scores,
      avail: aliased ? out : a,
      out,
      available: a === null ? l.scores.length : a.reduce((s, x) => s + (x === 0 ? 0 : 1), 0),
    };
  });
}

const masks = (ps: readonly FastPool[]): number[][] => ps.map((p) => Array.from(p.out));
const arrays = (ms: readonly Uint8Array[]): number[][] => ms.map((m) => Array.from(m));

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('realistic score distributions (the benchmark set, smaller)', () => {
  for (const d of DISTRIBUTIONS) {
    it(`${d.name}: the fast path answers, with the reference masks, at 50%, 90% and 99% sparsity`, () => {
      const layers = d.make(L, ROWS, COLS, 7);
      const n = L * ROWS * COLS;
      for (const sparsity of [0.5, 0.9, 0.99]) {
        const k = keepCount(sparsity, n);
        const ps = pools(layers);
        expect(selectFast32(ps, k)).not.toBeNull();
        expect(masks(ps)).toEqual(arrays(referenceFloors(layers, k)));
      }
    });

    it(`${d.name}: project() gives the reference masks, global with the floor guard and layerwise`, () => {
      const layers = d.make(L, ROWS, COLS, 8);
      const n = L * ROWS * COLS;
      const k = keepCount(0.9, n);
      const g = project(layers, { sparsity: 0.9 });
      expect(g.kept).toBe(k);
      expect(arrays(g.masks.map((m) => m.mask))).toEqual(
        arrays(
          referenceFloors(
            layers,
            k,
            layers.map(() => 1),
          ),
        ),
      );
      const lw = project(layers, { sparsity: 0.97, scope: 'layerwise' });
      layers.forEach((l, li) => expect(Array.from(lw.masks[li]!.mask)).toEqual(Array.from(referenceFloors([l], keepCount(0.97, l.scores.length))[0]!)));
    });
  }

  it('layers of very different scales: pinned layers keep their best entry and the re-plan gives the reference', () => {
    const r = rng(3);
    // Four layers 1000x smaller than the rest: the global ranking leaves them empty.
    const layers = Array.from({ length: L }, (_, l) => ({
      name: `l${l}`,
      shape: [ROWS, COLS],
      scores: Float32Array.from({ length: ROWS * COLS }, () => r() * (l % 3 === 1 ? 1e-3 : 1)),
    }));
    for (const sparsity of [0.6, 0.9]) {
      const k = keepCount(sparsity, L * ROWS * COLS);
      const res = project(layers, { sparsity });
      expect(res.warnings.filter((w) => w.includes('under its floor'))).toHaveLength(4);
      expect(arrays(res.masks.map((m) => m.mask))).toEqual(
        arrays(
          referenceFloors(
            layers,
            k,
            layers.map(() => 1),
          ),
        ),
      );
      // minDensity floors that the bracket cannot hold: the pinned layers select on their own.
      const floors = layers.map(() => Math.ceil(0.02 * ROWS * COLS));
      const withFloor = project(layers, { sparsity, minDensity: 0.02 });
      expect(arrays(withFloor.masks.map((m) => m.mask))).toEqual(arrays(referenceFloors(layers, k, floors)));
    }
  });

  it('a trained network tiled with ulp shifts: copies are distinct, close, and select exactly', () => {
    const r = rng(5);
    const base = [
      { name: 'fc1', shape: [40, 30], scores: Float32Array.from({ length: 1200 }, () => r() * 0.05) },
      { name: 'fc2', shape: [30, 10], scores: Float32Array.from({ length: 300 }, () => r() * 0.2) },
    ];
    const tiled = tileNetwork(base, 90);
    expect(tiled.map((l) => l.name).slice(0, 3)).toEqual(['fc1#0', 'fc2#0', 'fc1#1']);
    const a = tiled[0]!.scores[17]!;
    const b = tiled[2 * 89]!.scores[17]!;
    expect(b).not.toBe(a);
    expect(Math.abs(b - a) / a).toBeLessThan(2 ** -16);
    const k = keepCount(0.9, 1500 * 90);
    const ps = pools(tiled);
    expect(selectFast32(ps, k)).not.toBeNull();
    expect(masks(ps)).toEqual(arrays(referenceFloors(tiled, k)));
  });
});

describe('tie mode', () => {
  const ties = (seed: number, values: number): LayerScores[] => {
    const r = rng(seed);
    return Array.from({ length: L }, (_, l) => ({
      name: `t${l}`,
      shape: [ROWS, COLS],
      scores: Float32Array.from({ length: ROWS * COLS }, () => Math.floor(r() * values) / values),
    }));
  };
  const n = L * ROWS * COLS;

  it('a cutoff between two heavy keys: the second key gets its own pass, with the reference masks', () => {
    const layers = ties(14, 16);
    // Exactly the top eight of sixteen classes, and one entry more or less.
    const top8 = layers.reduce((t, l) => t + l.scores.filter((x) => x >= 0.5).length, 0);
    for (const k of [top8 - 1, top8, top8 + 1]) {
      const ps = pools(layers);
      const scan = scanFast32(ps, k);
      expect(scan?.window.kind).toBe('tie');
      const again = pools(layers);
      expect(selectFast32(again, k)).not.toBeNull();
      expect(masks(again)).toEqual(arrays(referenceFloors(layers, k)));
    }
  });

  it('keeps the first ties in (layer, index) order whether the cutoff is early or late in the tied class (both scan directions)', () => {
    const layers = ties(11, 8);
    // The top class holds ~1/8 of the entries: cutoffs 20% and 80% of the way into the second.
    for (const into of [0.2, 0.8]) {
      const k = Math.round((n / 8) * (1 + into));
      const ps = pools(layers);
      const scan = scanFast32(ps, k);
      expect(scan?.window.kind).toBe('tie');
      expect(scan?.window.kind === 'tie' && scan.window.keptByScan).toBe(into > 0.5);
      expect(selectFast32(pools(layers), k)).not.toBeNull();
      const again = pools(layers);
      selectFast32(again, k);
      expect(masks(again)).toEqual(arrays(referenceFloors(layers, k)));
    }
  });

  it('respects availability, given apart or as the mask itself (n:m candidates)', () => {
    const layers = ties(12, 4);
    const r = rng(13);
    const avail = layers.map((l) => Uint8Array.from({ length: l.scores.length }, () => (r() < 0.7 ? 1 : 0)));
    const available = avail.reduce((s, a) => s + a.reduce((t, x) => t + x, 0), 0);
    for (const into of [0.3, 0.7]) {
      const k = Math.round((available / 4) * (1 + into));
      const expected = arrays(referenceFloors(layers, k, undefined, avail));
      for (const aliased of [false, true]) {
        const ps = pools(layers, avail, aliased);
        expect(selectFast32(ps, k)).not.toBeNull();
        expect(masks(ps)).toEqual(expected);
      }
    }
  });

  it('all scores zero (a fully pruned network scored by magnitude): the first k', () => {
    const layers = [0, 1, 2].map((l) => ({ name: `z${l}`, shape: [300, 100], scores: new Float32Array(30000) }));
    const ps = pools(layers);
    expect(selectFast32(ps, 40000)).toEqual([30000, 10000, 0]);
  });
});

describe('re-planning on one scan (the global guard without a second pass)', () => {
  it('a plan over some of the pools with a smaller budget equals the top-k of those pools, in list and tie mode', () => {
    const cases: LayerScores[][] = [
      DISTRIBUTIONS.find((d) => d.name === 'halfnormal-scaled')!.make(L, ROWS, COLS, 21),
      DISTRIBUTIONS.find((d) => d.name === 'ties16')!.make(L, ROWS, COLS, 22),
    ];
    for (const layers of cases) {
      const n = L * ROWS * COLS;
      const k = keepCount(0.9, n);
      const ps = pools(layers);
      const scan = scanFast32(ps, k)!;
      expect(scan).not.toBeNull();
      const which = [0, 2, 3, 5, 8, 9, 11];
      const subset = which.map((i) => layers[i]!);
      // A budget whose cutoff is inside the bracket: half of what the subset holds inside it.
      const share = which.reduce((t, i) => t + scan.above[i]! + scan.inside[i]! / 2, 0) | 0;
      const plan = planFast32(scan, which, share)!;
      expect(plan).not.toBeNull();
      writeFast32(scan, plan);
      expect(plan.counts.reduce((s, c) => s + c, 0)).toBe(share);
      expect(which.map((i) => Array.from(ps[i]!.out))).toEqual(arrays(referenceFloors(subset, share)));
    }
  });

  it('says so (null) when the budget leaves the bracket', () => {
    const layers = DISTRIBUTIONS[0]!.make(L, ROWS, COLS, 23);
    const k = keepCount(0.9, L * ROWS * COLS);
    const scan = scanFast32(pools(layers), k)!;
    expect(planFast32(scan, [0, 1, 2], k)).toBeNull(); // far more than three layers can keep above the bracket
    expect(planFast32(scan, [0], 0)).toBeNull(); // fewer than layer 0 keeps above the bracket alone
  });
});

describe('the sample', () => {
  it('takes one position from each run, inside it, in increasing order', () => {
    for (const n of [100, 65536, 122880, 1e6 + 7]) {
      const step = sampleStep(n);
      const bad: number[] = [];
      let last = -1;
      for (let j = 0; j < Math.ceil(n / step); j++) {
        const g = samplePosition(j, step);
        if (g < j * step || g >= (j + 1) * step || g <= last) bad.push(j);
        last = g;
      }
      expect(bad).toEqual([]);
    }
  });
});
