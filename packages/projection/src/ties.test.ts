import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { project } from './project.js';
import { keepCount } from './rounding.js';
import { countOnes, referenceTopK } from './test-utils/reference.js';

describe('ties', () => {
  it('all-equal scores: exact count, lowest (layer, index) kept first', () => {
    const layers = [
      { name: 'a', shape: [4, 5], scores: new Float32Array(20).fill(0.5) },
      { name: 'b', shape: [2, 5], scores: new Float32Array(10).fill(0.5) },
    ];
    for (const sparsity of [0.1, 0.33, 0.5, 0.7, 0.9]) {
      const r = project(layers, { sparsity, allowEmptyLayers: true });
      const k = keepCount(sparsity, 30);
      expect(r.kept).toBe(k);
      const flat = [...r.masks[0]!.mask, ...r.masks[1]!.mask];
      expect(flat).toEqual(Array.from({ length: 30 }, (_, i) => (i < k ? 1 : 0)));
    }
  });

  it('the NNI #4580 case: 50% of all-equal scores keeps exactly 50%', () => {
    const r = project([{ name: 'w', shape: [10, 10], scores: new Float32Array(100).fill(1) }], { sparsity: 0.5 });
    expect(r.kept).toBe(50);
    expect(r.achieved.overall).toBe(0.5);
  });

  it('large all-equal input (the fast path declines, the general path answers) keeps the first k', () => {
    const n = 50000;
    const r = project([{ name: 'w', shape: [500, 100], scores: new Float32Array(n).fill(3) }], { sparsity: 0.45 });
    expect(r.kept).toBe(27500);
    expect(r.achieved.overall).toBe(1 - 27500 / n);
    expect(r.masks[0]!.mask.indexOf(0)).toBe(27500);
  });

  it('scores in {0,1,2}: exact count and the tie rule, every scope', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        (a, b, sparsity) => {
          const layers = [
            { name: 'a', shape: [a.length, 1], scores: Float32Array.from(a) },
            { name: 'b', shape: [1, b.length], scores: Float32Array.from(b) },
          ];
          const g = project(layers, { sparsity, allowEmptyLayers: true });
          const k = keepCount(sparsity, a.length + b.length);
          expect(g.kept).toBe(k);
          expect(g.masks.map((m) => Array.from(m.mask))).toEqual(referenceTopK(layers, k).map((m) => Array.from(m)));
          const lw = project(layers, { sparsity, scope: 'layerwise', allowEmptyLayers: true });
          layers.forEach((l, li) => {
            const kl = keepCount(sparsity, l.scores.length);
            expect(countOnes(lw.masks[li]!.mask)).toBe(kl);
            expect(Array.from(lw.masks[li]!.mask)).toEqual(Array.from(referenceTopK([l], kl)[0]!));
          });
        },
      ),
      { numRuns: 200, seed: 1200 },
    );
  });

  it('-0 and +0 are ties of each other (lower index wins)', () => {
    const r = project([{ name: 'z', shape: [1, 4], scores: Float32Array.from([-0, 0, -0, 0]) }], { sparsity: 0.5 });
    expect(Array.from(r.masks[0]!.mask)).toEqual([1, 1, 0, 0]);
  });

  it('rounding is half up with decimal sparsities behaving as written', () => {
    expect(keepCount(0.3, 15)).toBe(11); // 10.5 on paper, 10.499999999999998 in doubles
    expect(keepCount(0.5, 5)).toBe(3);
    expect(keepCount(0.45, 20)).toBe(11);
    expect(keepCount(0, 7)).toBe(7);
  });
});
