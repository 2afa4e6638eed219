/**
 * Exhaustive checks on small inputs (n <= 12): enumerate every feasible subset,
 * find the best total score, and check the solver's total equals it; for
 * unstructured, also that the solver's set is the tie-rule winner.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { project } from './project.js';
import { keepCount } from './rounding.js';
import { groupScore, groupsOf } from './test-utils/checks.js';
import { close, forEachSubset, referenceTopK } from './test-utils/reference.js';
import type { LayerScores } from './types.js';

const small = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.float({ min: -2, max: 2, noNaN: true }));
const twoLayers = (maxA: number, maxB: number) =>
  fc.tuple(fc.array(small, { minLength: 1, maxLength: maxA }), fc.array(small, { minLength: 1, maxLength: maxB })).map(([a, b]): LayerScores[] => [
    { name: 'a', shape: [a.length, 1], scores: Float32Array.from(a) },
    { name: 'b', shape: [1, b.length], scores: Float32Array.from(b) },
  ]);

function keptTotal(layers: readonly LayerScores[], masks: { mask: Uint8Array }[]): number {
  let s = 0;
  layers.forEach((l, li) => l.scores.forEach((x, i) => (masks[li]!.mask[i] ? (s += x) : 0)));
  return s;
}

describe('brute force', () => {
  it('unstructured global: total equals the enumerated maximum; the set is the tie-rule winner', () => {
    fc.assert(
      fc.property(twoLayers(6, 6), fc.double({ min: 0, max: 0.99, noNaN: true }), (layers, sparsity) => {
        const flat = layers.flatMap((l) => Array.from(l.scores));
        const k = keepCount(sparsity, flat.length);
        let best = -Infinity;
        forEachSubset(
          flat.length,
          k,
          (sub) =>
            (best = Math.max(
              best,
              sub.reduce((t, i) => t + flat[i]!, 0),
            )),
        );
        const r = project(layers, { sparsity, allowEmptyLayers: true });
        expect(close(keptTotal(layers, r.masks), k === 0 ? 0 : best)).toBe(true);
        const ref = referenceTopK(layers, k);
        expect(r.masks.map((m) => Array.from(m.mask))).toEqual(ref.map((m) => Array.from(m)));
      }),
      { numRuns: 150, seed: 1150 },
    );
  });

  it('unstructured global with the guard: total equals the best subset that respects the per-layer floors', () => {
    fc.assert(
      fc.property(
        twoLayers(6, 6),
        fc.double({ min: 0, max: 0.9, noNaN: true }),
        fc.double({ min: 0, max: 0.6, noNaN: true }),
        (layers, sparsity, minDensity) => {
          const na = layers[0]!.scores.length;
          const flat = layers.flatMap((l) => Array.from(l.scores));
          const k = keepCount(sparsity, flat.length);
          const floors = layers.map((l) => Math.max(1, Math.ceil(minDensity * l.scores.length - 1e-9)));
          if (floors[0]! + floors[1]! > k) return;
          let best = -Infinity;
          forEachSubset(flat.length, k, (sub) => {
            const inA = sub.filter((i) => i < na).length;
            if (inA < floors[0]! || sub.length - inA < floors[1]!) return;
            best = Math.max(
              best,
              sub.reduce((t, i) => t + flat[i]!, 0),
            );
          });
          const r = project(layers, { sparsity, minDensity });
          expect(r.kept).toBe(k);
          expect(close(keptTotal(layers, r.masks), best)).toBe(true);
        },
      ),
      { numRuns: 150, seed: 2150 },
    );
  });

  it('n:m: total equals the best subset with at most n per group', () => {
    fc.assert(
      fc.property(
        fc.constantFrom([1, 2], [2, 4], [1, 3], [2, 3]),
        fc.array(small, { minLength: 12, maxLength: 12 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        ([n, m], vals, sparsity) => {
          const rows = m! * Math.floor(12 / m! / 2);
          const l: LayerScores = { name: 'x', shape: [rows, 2], scores: Float32Array.from(vals.slice(0, rows * 2)) };
          const groups = groupsOf(l, 0, 'nm', m!);
          const groupOf = new Map<number, number>();
          groups.forEach((g, gi) => g.entries.forEach((i) => groupOf.set(i, gi)));
          const N = l.scores.length;
          const k = Math.min(keepCount(sparsity, N), (N / m!) * n!);
          let best = -Infinity;
          forEachSubset(N, k, (sub) => {
            const per = new Map<number, number>();
            for (const i of sub) per.set(groupOf.get(i)!, (per.get(groupOf.get(i)!) ?? 0) + 1);
            if ([...per.values()].some((c) => c > n!)) return;
            best = Math.max(
              best,
              sub.reduce((t, i) => t + l.scores[i]!, 0),
            );
          });
          const r = project([l], { sparsity, structure: { kind: 'n:m', n: n!, m: m! }, allowEmptyLayers: true });
          expect(r.kept).toBe(k);
          expect(close(keptTotal([l], r.masks), k === 0 ? 0 : best)).toBe(true);
        },
      ),
      { numRuns: 150, seed: 3150 },
    );
  });

  it('block and unit: total group score equals the best choice of that many groups', () => {
    fc.assert(
      fc.property(
        fc.array(small, { minLength: 12, maxLength: 12 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.constantFrom('block', 'l1', 'l2', 'sum'),
        (vals, sparsity, kind) => {
          const l: LayerScores = { name: 'x', shape: [4, 3], scores: Float32Array.from(vals) };
          const reduce = kind === 'block' ? ('sum' as const) : (kind as 'l1' | 'l2' | 'sum');
          const groups = kind === 'block' ? groupsOf(l, 0, 'block', 2, 1) : groupsOf(l, 0, 'unit', 0);
          const scores = groups.map((g) => groupScore(l, g, reduce));
          const k = keepCount(sparsity, groups.length);
          let best = -Infinity;
          forEachSubset(
            groups.length,
            k,
            (sub) =>
              (best = Math.max(
                best,
                sub.reduce((t, i) => t + scores[i]!, 0),
              )),
          );
          const structure = kind === 'block' ? ({ kind: 'block', rows: 2, cols: 1 } as const) : ({ kind: 'unit', reduce } as const);
          const r = project([l], { sparsity, structure, allowEmptyLayers: true });
          const got = groups.reduce((t, g, gi) => t + (r.masks[0]!.mask[g.entries[0]!] ? scores[gi]! : 0), 0);
          expect(close(got, k === 0 ? 0 : best)).toBe(true);
        },
      ),
      { numRuns: 200, seed: 4200 },
    );
  });
});
