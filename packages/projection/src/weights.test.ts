import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { erkDensities } from './erk.js';
import { project } from './project.js';
import { objectiveImportance, projectWeights } from './weights.js';

describe('projectWeights (Euclidean projection, ADMM Z-update)', () => {
  it('keeps the largest |w| and zeroes the rest; the result is the closest k-sparse vector', () => {
    fc.assert(
      fc.property(
        fc.array(fc.float({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 40 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        (w, sparsity) => {
          const weights = Float32Array.from(w);
          const r = projectWeights([{ name: 'w', shape: [weights.length], weights }], { sparsity, allowEmptyLayers: true });
          const z = r.weights[0]!.weights;
          const mask = r.masks[0]!.mask;
          z.forEach((x, i) => expect(x).toBe(mask[i] ? weights[i] : 0));
          // no kept/removed swap reduces ||w - z||^2: every kept |w| >= every removed |w|
          let minKept = Infinity;
          let maxRemoved = -Infinity;
          weights.forEach((x, i) => (mask[i] ? (minKept = Math.min(minKept, Math.abs(x))) : (maxRemoved = Math.max(maxRemoved, Math.abs(x)))));
          expect(minKept >= maxRemoved).toBe(true);
        },
      ),
      { numRuns: 200, seed: 1200 },
    );
  });

  it('blocks and units are scored by sum of w^2 (reduce is ignored)', () => {
    // unit 0: [3, -3] -> 18; unit 1: [4, 0] -> 16; l1 would prefer neither (6 vs 4), l2 same order; sum would pick unit 1 (0 vs 4)
    const weights = Float32Array.from([3, 4, -3, 0]);
    const r = projectWeights([{ name: 'w', shape: [2, 2], weights }], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'sum' } });
    expect(Array.from(r.weights[0]!.weights)).toEqual([3, 0, -3, 0]);
    const b = projectWeights([{ name: 'w', shape: [2, 2], weights }], { sparsity: 0.5, structure: { kind: 'block', rows: 2, cols: 1 } });
    expect(Array.from(b.masks[0]!.mask)).toEqual([1, 0, 1, 0]);
  });

  it('objectiveImportance = s w^2, and project() on it is the weighted projection', () => {
    const w = Float32Array.from([1, -2, 3, 0.5]);
    const s = Float32Array.from([4, 1, 0.1, 100]);
    const imp = objectiveImportance(w, s);
    expect(Array.from(imp)).toEqual([4, 4, Math.fround(Math.fround(0.1) * 9), 25]);
    expect(Array.from(objectiveImportance(w, 1))).toEqual([1, 4, 9, 0.25]);
    const r = project([{ name: 'w', shape: [4], scores: imp }], { sparsity: 0.5 });
    expect(Array.from(r.masks[0]!.mask)).toEqual([1, 0, 0, 1]);
  });
});

describe('ERK (Evci et al. 2020)', () => {
  it('density proportional to sum(shape)/prod(shape); overall budget met', () => {
    const shapes = [
      [100, 50],
      [3, 3, 16, 32],
      [200, 10],
    ];
    const d = erkDensities(shapes, 0.8);
    const n = shapes.map((s) => s.reduce((a, b) => a * b, 1));
    const raw = shapes.map((s, i) => s.reduce((a, b) => a + b, 0) / n[i]!);
    const keep = d.reduce((a, x, i) => a + x * n[i]!, 0);
    expect(keep).toBeCloseTo(0.2 * n.reduce((a, b) => a + b, 0), 6);
    d.forEach((x, i) => x < 1 && expect(x / raw[i]!).toBeCloseTo(d[0]! / raw[0]!, 9));
  });

  it('clamps at 1 and redistributes, as RigL does', () => {
    const shapes = [
      [2, 2],
      [100, 100],
    ];
    const d = erkDensities(shapes, 0.5);
    expect(d[0]).toBe(1);
    const n = [4, 10000];
    expect(d[0]! * n[0]! + d[1]! * n[1]!).toBeCloseTo(0.5 * 10004, 6);
  });

  it('project with erk: exact overall budget, per-layer budgets follow the densities', () => {
    const layers = [
      { name: 'a', shape: [40, 30], scores: Float32Array.from({ length: 1200 }, (_, i) => (i * 37) % 101) },
      { name: 'b', shape: [3, 3, 8, 16], scores: Float32Array.from({ length: 1152 }, (_, i) => (i * 13) % 97) },
      { name: 'c', shape: [30, 10], scores: Float32Array.from({ length: 300 }, (_, i) => (i * 7) % 89) },
    ];
    const r = project(layers, { sparsity: 0.9, scope: 'erk' });
    expect(r.kept).toBe(Math.round(0.1 * 2652));
    const d = erkDensities(
      layers.map((l) => l.shape),
      0.9,
    );
    layers.forEach((l, i) => expect(Math.abs(r.layers[l.name]!.kept - d[i]! * l.scores.length)).toBeLessThan(1));
  });
});
