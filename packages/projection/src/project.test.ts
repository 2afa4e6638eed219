import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { project } from './project.js';
import { keepCount } from './rounding.js';
import { layersArb, sparsityArb } from './test-utils/arbitraries.js';
import { groupsOf, referenceGroups, referenceNM } from './test-utils/checks.js';
import { countOnes, referenceTopK } from './test-utils/reference.js';
import type { LayerScores, ProjectionResult } from './types.js';

const masksOf = (r: ProjectionResult) => r.masks.map((m) => Array.from(m.mask));
const ones = (r: ProjectionResult) => r.masks.reduce((s, m) => s + (r.excluded.includes(m.name) ? 0 : countOnes(m.mask)), 0);
const total = (ls: readonly LayerScores[]) => ls.reduce((s, l) => s + l.scores.length, 0);

function checkReport(r: ProjectionResult, layers: readonly LayerScores[]): void {
  expect(ones(r)).toBe(r.kept);
  expect(r.kept).toBe(r.budget);
  expect(r.achieved.overall).toBe(r.prunable === 0 ? 0 : 1 - r.kept / r.prunable);
  for (const l of layers) {
    const m = r.masks.find((x) => x.name === l.name)!.mask;
    expect(m.length).toBe(l.scores.length);
    expect(r.achieved.perLayer[l.name]).toBe(1 - countOnes(m) / l.scores.length);
  }
}

describe('unstructured', () => {
  it('global: exact count, and the kept set is the tie-rule top-k (hence no kept/removed swap improves)', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const r = project(layers, { sparsity, allowEmptyLayers: true });
        const k = keepCount(sparsity, total(layers));
        expect(r.kept).toBe(k);
        expect(r.requestedBudget).toBe(k);
        checkReport(r, layers);
        expect(masksOf(r)).toEqual(referenceTopK(layers, k).map((m) => Array.from(m)));
        // swap optimality spelled out: every kept score >= every removed score
        let minKept = Infinity;
        let maxRemoved = -Infinity;
        layers.forEach((l, li) =>
          l.scores.forEach((s, i) => (r.masks[li]!.mask[i] ? (minKept = Math.min(minKept, s)) : (maxRemoved = Math.max(maxRemoved, s)))),
        );
        expect(minKept >= maxRemoved).toBe(true);
      }),
      { numRuns: 300, seed: 1300 },
    );
  });

  it('layerwise: each layer keeps exactly round((1-s) n_l), its own top entries', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const r = project(layers, { sparsity, scope: 'layerwise', allowEmptyLayers: true });
        checkReport(r, layers);
        layers.forEach((l, li) => {
          const k = keepCount(sparsity, l.scores.length);
          expect(Array.from(r.masks[li]!.mask)).toEqual(Array.from(referenceTopK([l], k)[0]!));
        });
        expect(r.kept).toBe(layers.reduce((s, l) => s + keepCount(sparsity, l.scores.length), 0));
      }),
      { numRuns: 200, seed: 2200 },
    );
  });

  it('perLayer: explicit sparsity per layer, default for the rest', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, sparsityArb, (layers, s0, s1) => {
        const r = project(layers, { sparsity: s0, scope: { perLayer: { l0: s1 } }, allowEmptyLayers: true });
        checkReport(r, layers);
        layers.forEach((l, li) => {
          const k = keepCount(li === 0 ? s1 : s0, l.scores.length);
          expect(r.layers[l.name]!.kept).toBe(k);
          expect(Array.from(r.masks[li]!.mask)).toEqual(Array.from(referenceTopK([l], k)[0]!));
        });
      }),
      { numRuns: 150, seed: 3150 },
    );
  });

  it('erk: per-layer budgets add up to round((1-s) N) exactly, each layer keeps its top entries', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const r = project(layers, { sparsity, scope: 'erk', allowEmptyLayers: true });
        checkReport(r, layers);
        expect(r.kept).toBe(keepCount(sparsity, total(layers)));
        layers.forEach((l, li) => {
          const k = r.layers[l.name]!.kept;
          expect(Array.from(r.masks[li]!.mask)).toEqual(Array.from(referenceTopK([l], k)[0]!));
        });
      }),
      { numRuns: 150, seed: 4150 },
    );
  });

  it('is deterministic', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const a = project(layers, { sparsity, allowEmptyLayers: true });
        const b = project(layers, { sparsity, allowEmptyLayers: true });
        expect(masksOf(a)).toEqual(masksOf(b));
      }),
      { numRuns: 50, seed: 5050 },
    );
  });

  it('sparsity 0 keeps everything; achieved.overall = 1 - kept/prunable exactly', () => {
    fc.assert(
      fc.property(layersArb(), (layers) => {
        const r = project(layers, { sparsity: 0 });
        expect(r.kept).toBe(total(layers));
        expect(r.masks.every((m) => m.mask.every((x) => x === 1))).toBe(true);
        expect(r.achieved.overall).toBe(0);
      }),
      { numRuns: 50, seed: 6050 },
    );
    const layers = [{ name: 'a', shape: [3, 7], scores: Float32Array.from({ length: 21 }, (_, i) => i) }];
    const r = project(layers, { sparsity: 0.3 });
    expect(r.kept).toBe(15); // round(0.7 * 21) = round(14.7)
    expect(r.achieved.overall).toBe(1 - 15 / 21);
  });

  it('excluded layers are all ones, not counted, and reported', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const r = project(layers, { sparsity, exclude: ['l0'], allowEmptyLayers: true });
        expect(Array.from(r.masks[0]!.mask).every((x) => x === 1)).toBe(true);
        expect(r.excluded).toEqual(['l0']);
        const rest = layers.slice(1);
        expect(r.prunable).toBe(total(rest));
        expect(r.kept).toBe(keepCount(sparsity, total(rest)));
        checkReport(r, rest);
      }),
      { numRuns: 100, seed: 7100 },
    );
  });

  it('large inputs (fast path) agree with the reference, global and layerwise', () => {
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const layers = [
      { name: 'a', shape: [100, 50], scores: Float32Array.from({ length: 5000 }, () => rnd()) },
      { name: 'b', shape: [3, 3, 20, 30], scores: Float32Array.from({ length: 5400 }, () => Math.floor(rnd() * 100)) },
      { name: 'c', shape: [64, 10], scores: Float32Array.from({ length: 640 }, () => rnd() ** 4) },
    ];
    for (const sparsity of [0.1, 0.5, 0.9, 0.99]) {
      const g = project(layers, { sparsity, allowEmptyLayers: true });
      expect(masksOf(g)).toEqual(referenceTopK(layers, keepCount(sparsity, total(layers))).map((m) => Array.from(m)));
      const lw = project(layers, { sparsity, scope: 'layerwise' });
      layers.forEach((l, li) => expect(Array.from(lw.masks[li]!.mask)).toEqual(Array.from(referenceTopK([l], keepCount(sparsity, l.scores.length))[0]!)));
    }
  });
});

describe('n:m', () => {
  const nmArb = fc.constantFrom([1, 2], [2, 4], [1, 4], [3, 4], [2, 2], [4, 8]);
  it('at most n per group; exactly n when the budget demands it; equals the reference; optimal within groups', () => {
    fc.assert(
      fc.property(
        nmArb.chain(([n, m]) => fc.tuple(fc.constant(n!), fc.constant(m!), layersArb({ inMultiple: m! }))),
        sparsityArb,
        fc.constantFrom('global' as const, 'layerwise' as const),
        ([n, m, layers], sparsity, scope) => {
          const r = project(layers, { sparsity, scope, structure: { kind: 'n:m', n, m }, allowEmptyLayers: true });
          checkReport(r, layers);
          const cap = (t: number) => (t / m) * n;
          const expected =
            scope === 'global'
              ? Math.min(keepCount(sparsity, total(layers)), cap(total(layers)))
              : layers.reduce((s, l) => s + Math.min(keepCount(sparsity, l.scores.length), cap(l.scores.length)), 0);
          expect(r.kept).toBe(expected);
          const full = scope === 'global' ? keepCount(sparsity, total(layers)) >= cap(total(layers)) : false;
          layers.forEach((l, li) => {
            const mask = r.masks[li]!.mask;
            for (const g of groupsOf(l, li, 'nm', m)) {
              const kept = g.entries.filter((i) => mask[i] === 1);
              expect(kept.length).toBeLessThanOrEqual(n);
              if (full) expect(kept.length).toBe(n);
              // within-group swap optimality: if the group has a removed entry better than a kept one, swapping would improve
              const removed = g.entries.filter((i) => mask[i] === 0);
              if (kept.length > 0 && removed.length > 0 && kept.length === n)
                expect(Math.min(...kept.map((i) => l.scores[i]!))).toBeGreaterThanOrEqual(Math.max(...removed.map((i) => l.scores[i]!)));
            }
          });
          expect(masksOf(r)).toEqual(referenceNM(layers, n, m, sparsity, scope).map((x) => Array.from(x)));
        },
      ),
      { numRuns: 300, seed: 8300 },
    );
  });

  it('with previous masks: only entries kept before are candidates; equals the reference', () => {
    fc.assert(
      fc.property(
        nmArb.chain(([n, m]) =>
          fc.tuple(
            fc.constant(n!),
            fc.constant(m!),
            layersArb({ inMultiple: m! }).chain((layers) =>
              fc.tuple(
                fc.constant(layers),
                fc.tuple(...layers.map((l) => fc.uint8Array({ min: 0, max: 1, minLength: l.scores.length, maxLength: l.scores.length }))),
              ),
            ),
          ),
        ),
        sparsityArb,
        fc.constantFrom('global' as const, 'layerwise' as const),
        ([n, m, [layers, prev]], sparsity, scope) => {
          const previous = layers.map((l, li) => ({ name: l.name, mask: prev[li]! }));
          const r = project(layers, { sparsity, scope, structure: { kind: 'n:m', n, m }, previous, allowEmptyLayers: true });
          checkReport(r, layers);
          r.masks.forEach((x, li) => x.mask.forEach((v, i) => expect(v <= prev[li]![i]!).toBe(true)));
          expect(masksOf(r)).toEqual(referenceNM(layers, n, m, sparsity, scope, { previous: prev }).map((x) => Array.from(x)));
        },
      ),
      { numRuns: 200, seed: 9200 },
    );
  });

  it('global with minDensity: a layer the ranking leaves under its floor keeps its best candidates; equals the reference', () => {
    fc.assert(
      fc.property(
        nmArb.chain(([n, m]) => fc.tuple(fc.constant(n!), fc.constant(m!), layersArb({ inMultiple: m! }))),
        sparsityArb,
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        ([n, m, layers], sparsity, minDensity) => {
          const floors = layers.map((l) => Math.min((l.scores.length / m) * n, Math.max(1, Math.ceil(minDensity * l.scores.length - 1e-9))));
          const k = Math.min(keepCount(sparsity, total(layers)), (total(layers) / m) * n);
          if (floors.reduce((s, f) => s + f, 0) > k) return;
          const r = project(layers, { sparsity, structure: { kind: 'n:m', n, m }, minDensity });
          checkReport(r, layers);
          expect(masksOf(r)).toEqual(referenceNM(layers, n, m, sparsity, 'global', { floors }).map((x) => Array.from(x)));
        },
      ),
      { numRuns: 300, seed: 10300 },
    );
  });

  it('large inputs (the sample-bracket path, which writes over the candidates): pinning, previous and all-equal scores agree with the reference', () => {
    let seed = 21;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const big = { name: 'big', shape: [400, 64], scores: Float32Array.from({ length: 25600 }, () => rnd()) };
    // Tiny scores: the global ranking gives this layer nothing, so the guard pins it.
    const tiny = { name: 'tiny', shape: [40, 64], scores: Float32Array.from({ length: 2560 }, () => rnd() * 1e-6) };
    const prev = Uint8Array.from({ length: 25600 }, () => (rnd() < 0.7 ? 1 : 0));
    const equal = { name: 'equal', shape: [400, 64], scores: new Float32Array(25600).fill(0.5) };
    const nm = { kind: 'n:m', n: 2, m: 4 } as const;
    const floors = [Math.ceil(0.01 * 25600), Math.ceil(0.01 * 2560)];
    const pinned = project([big, tiny], { sparsity: 0.9, structure: nm, minDensity: 0.01 });
    expect(pinned.layers['tiny']!.kept).toBe(floors[1]);
    expect(masksOf(pinned)).toEqual(referenceNM([big, tiny], 2, 4, 0.9, 'global', { floors }).map((x) => Array.from(x)));
    const withPrev = project([big], { sparsity: 0.8, structure: nm, previous: [{ name: 'big', mask: prev }] });
    expect(masksOf(withPrev)).toEqual(referenceNM([big], 2, 4, 0.8, 'global', { previous: [prev] }).map((x) => Array.from(x)));
    const ties = project([equal], { sparsity: 0.7, structure: nm });
    expect(masksOf(ties)).toEqual(referenceNM([equal], 2, 4, 0.7, 'global').map((x) => Array.from(x)));
  });

  it('2:4 at sparsity 0.5 keeps exactly 2 of every 4 along the input dimension (dense and conv)', () => {
    const dense = { name: 'd', shape: [8, 3], scores: Float32Array.from({ length: 24 }, (_, i) => (i * 7) % 11) };
    const conv = { name: 'c', shape: [2, 1, 4, 2], scores: Float32Array.from({ length: 16 }, (_, i) => (i * 5) % 7) };
    const r = project([dense, conv], { sparsity: 0.5, structure: { kind: 'n:m', n: 2, m: 4 } });
    expect(r.kept).toBe(20);
    expect(r.warnings).toEqual([]);
    for (const [li, l] of [dense, conv].entries())
      for (const g of groupsOf(l, li, 'nm', 4)) expect(g.entries.filter((i) => r.masks[li]!.mask[i] === 1).length).toBe(2);
  });

  it('caps the budget at n/m density and reports it', () => {
    const l = { name: 'd', shape: [4, 2], scores: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]) };
    const r = project([l], { sparsity: 0.25, structure: { kind: 'n:m', n: 2, m: 4 } });
    expect(r.requestedBudget).toBe(6);
    expect(r.budget).toBe(4);
    expect(r.kept).toBe(4);
    expect(r.warnings.join()).toMatch(/capped/);
  });
});

describe('block and unit', () => {
  const blockArb = fc.constantFrom([1, 1], [2, 1], [1, 2], [2, 2]);
  it('block: all-or-nothing, count = round((1-s) G) blocks, equals the ranked-block reference', () => {
    fc.assert(
      fc.property(
        blockArb,
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.float({ min: -2, max: 3, noNaN: true }), { minLength: 72, maxLength: 72 }),
        sparsityArb,
        fc.constantFrom('global' as const, 'layerwise' as const),
        ([br, bc], a, b, c, vals, sparsity, scope) => {
          const layers: LayerScores[] = [
            { name: 'l0', shape: [2 * a, 2 * b], scores: Float32Array.from(vals.slice(0, 4 * a * b)) },
            { name: 'l1', shape: [1, 2, 2 * c, 2], scores: Float32Array.from(vals.slice(0, 8 * c)) },
          ];
          const r = project(layers, { sparsity, scope, structure: { kind: 'block', rows: br!, cols: bc! }, allowEmptyLayers: true });
          checkReport(r, layers);
          const groups = layers.map((l, li) => groupsOf(l, li, 'block', br!, bc!));
          for (const gs of groups)
            for (const g of gs) {
              const v = g.entries.map((i) => r.masks[g.layer]!.mask[i]);
              expect(new Set(v).size).toBe(1);
            }
          const G = groups.flat().length;
          if (scope === 'global') expect(r.kept).toBe(keepCount(sparsity, G) * br! * bc!);
          expect(masksOf(r)).toEqual(referenceGroups(layers, groups, 'sum', sparsity, scope).map((x) => Array.from(x)));
        },
      ),
      { numRuns: 200, seed: 11200 },
    );
  });

  it('unit: all-or-nothing per output neuron/filter for every reduce; equals the ranked-unit reference', () => {
    fc.assert(
      fc.property(
        layersArb(),
        sparsityArb,
        fc.constantFrom('l1' as const, 'l2' as const, 'sum' as const),
        fc.constantFrom('global' as const, 'layerwise' as const),
        (layers, sparsity, reduce, scope) => {
          const r = project(layers, { sparsity, scope, structure: { kind: 'unit', reduce }, allowEmptyLayers: true });
          checkReport(r, layers);
          const groups = layers.map((l, li) => groupsOf(l, li, 'unit', 0));
          for (const gs of groups) for (const g of gs) expect(new Set(g.entries.map((i) => r.masks[g.layer]!.mask[i])).size).toBe(1);
          expect(masksOf(r)).toEqual(referenceGroups(layers, groups, reduce, sparsity, scope).map((x) => Array.from(x)));
          const keptUnits = Object.values(r.layers).reduce((s, x) => s + x.keptUnits, 0);
          if (scope === 'global') expect(keptUnits).toBe(keepCount(sparsity, groups.flat().length));
        },
      ),
      { numRuns: 200, seed: 12200 },
    );
  });
});

describe('global guard', () => {
  it('never empties a layer unless allowed; total still exact; replacement comes from the lowest-ranked kept', () => {
    fc.assert(
      fc.property(layersArb(), fc.double({ min: 0, max: 0.95, noNaN: true }), fc.double({ min: 0, max: 0.5, noNaN: true }), (layers, sparsity, minDensity) => {
        const k = keepCount(sparsity, total(layers));
        const floors = layers.map((l) => Math.max(1, Math.ceil(minDensity * l.scores.length - 1e-9)));
        const need = floors.reduce((s, f) => s + f, 0);
        if (need > k) {
          expect(() => project(layers, { sparsity, minDensity })).toThrow(/floors/);
          return;
        }
        const r = project(layers, { sparsity, minDensity });
        expect(r.kept).toBe(k);
        checkReport(r, layers);
        layers.forEach((l, li) => {
          expect(r.layers[l.name]!.kept).toBeGreaterThanOrEqual(floors[li]!);
          // mandatory top-floor of each layer, then the best of the rest: compare to that reference
        });
        const mandatory = layers.map((l, li) => referenceTopK([l], floors[li]!)[0]!);
        const rest = referenceTopK(layers, k - need, (li, i) => mandatory[li]![i] === 0);
        const expected = layers.map((_, li) => Array.from(mandatory[li]!, (x, i) => x | rest[li]![i]!));
        expect(masksOf(r)).toEqual(expected);
        const pinned = layers.some((l, li) => countOnes(referenceTopK(layers, k)[li]!) < floors[li]!);
        expect(r.warnings.length > 0).toBe(pinned);
      }),
      { numRuns: 300, seed: 13300 },
    );
  });

  it('guard kicks in: a layer of tiny scores keeps one entry, taken from the lowest-ranked kept elsewhere', () => {
    const big = { name: 'big', shape: [2, 4], scores: Float32Array.from([9, 8, 7, 6, 5, 4, 3, 2]) };
    const tiny = { name: 'tiny', shape: [1, 2], scores: Float32Array.from([0.1, 0.2]) };
    const r = project([big, tiny], { sparsity: 0.5 });
    expect(r.kept).toBe(5);
    expect(Array.from(r.masks[0]!.mask)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(r.masks[1]!.mask)).toEqual([0, 1]);
    expect(r.warnings[0]).toMatch(/tiny/);
    const free = project([big, tiny], { sparsity: 0.5, allowEmptyLayers: true });
    expect(Array.from(free.masks[1]!.mask)).toEqual([0, 0]);
    expect(free.warnings).toEqual([]);
  });
});

describe('unit normalize: layer-l2 (Molchanov et al. 2017)', () => {
  const unit = (normalize?: 'none' | 'layer-l2') => ({ kind: 'unit', reduce: 'l2', ...(normalize && { normalize }) }) as const;

  it("makes the global ranking blind to each layer's scale: scaling a layer by 2^k changes no mask", () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 4, maxLength: 4 }), (layers, sparsity, powers) => {
        const scaled = layers.map((l, li) => ({ ...l, scores: l.scores.map((x) => x * 2 ** powers[li]!) }));
        const spec = { sparsity, structure: unit('layer-l2'), allowEmptyLayers: true };
        expect(masksOf(project(scaled, spec))).toEqual(masksOf(project(layers, spec)));
      }),
      { numRuns: 200, seed: 14200 },
    );
  });

  it('compares units by their share of their layer: the strongest unit of a weak layer can win', () => {
    // Unit L2 norms: layer a [10, 20], layer b [0.1, 0.3]; keep 2 of 4 units globally.
    const a = { name: 'a', shape: [1, 2], scores: Float32Array.from([10, 20]) };
    const b = { name: 'b', shape: [1, 2], scores: Float32Array.from([0.1, 0.3]) };
    const raw = project([a, b], { sparsity: 0.5, structure: unit(), allowEmptyLayers: true });
    expect(masksOf(raw)).toEqual([
      [1, 1],
      [0, 0],
    ]);
    // Normalised: a [0.447, 0.894], b [0.316, 0.949]: keep a's second and b's second.
    const norm = project([a, b], { sparsity: 0.5, structure: unit('layer-l2'), allowEmptyLayers: true });
    expect(masksOf(norm)).toEqual([
      [0, 1],
      [0, 1],
    ]);
    // 'none' is the default.
    expect(masksOf(project([a, b], { sparsity: 0.5, structure: unit('none'), allowEmptyLayers: true }))).toEqual(masksOf(raw));
  });

  it('is the same as without it under a per-layer scope (the order within a layer does not change)', () => {
    fc.assert(
      fc.property(layersArb(), sparsityArb, (layers, sparsity) => {
        const spec = { sparsity, scope: 'layerwise' as const, allowEmptyLayers: true };
        expect(masksOf(project(layers, { ...spec, structure: unit('layer-l2') }))).toEqual(masksOf(project(layers, { ...spec, structure: unit() })));
      }),
      { numRuns: 100, seed: 15100 },
    );
  });
});

describe('previous masks', () => {
  const prevArb = layersArb().chain((layers) =>
    fc.tuple(fc.constant(layers), fc.tuple(...layers.map((l) => fc.array(fc.boolean(), { minLength: l.scores.length, maxLength: l.scores.length })))),
  );
  it('new mask is a subset of previous; count exact when feasible; regrowth only with allowRegrowth', () => {
    fc.assert(
      fc.property(prevArb, sparsityArb, fc.constantFrom('global' as const, 'layerwise' as const), ([layers, bits], sparsity, scope) => {
        const previous = layers.map((l, li) => ({ name: l.name, mask: Uint8Array.from(bits[li]!, (b) => (b ? 1 : 0)) }));
        const r = project(layers, { sparsity, scope, previous, allowEmptyLayers: true });
        checkReport(r, layers);
        r.masks.forEach((m, li) => m.mask.forEach((x, i) => expect(x <= previous[li]!.mask[i]!).toBe(true)));
        const avail = previous.reduce((s, p) => s + countOnes(p.mask), 0);
        if (scope === 'global') {
          expect(r.kept).toBe(Math.min(keepCount(sparsity, total(layers)), avail));
          const ref = referenceTopK(layers, r.kept, (li, i) => previous[li]!.mask[i] === 1);
          expect(masksOf(r)).toEqual(ref.map((x) => Array.from(x)));
        }
        const free = project(layers, { sparsity, scope, previous, allowEmptyLayers: true, allowRegrowth: true });
        const plain = project(layers, { sparsity, scope, allowEmptyLayers: true });
        expect(masksOf(free)).toEqual(masksOf(plain));
      }),
      { numRuns: 200, seed: 16200 },
    );
  });

  it('structured kinds keep only groups fully kept before', () => {
    const l = { name: 'u', shape: [2, 3], scores: Float32Array.from([1, 5, 9, 1, 5, 9]) };
    const previous = [{ name: 'u', mask: Uint8Array.from([1, 1, 0, 1, 1, 1]) }];
    const r = project([l], { sparsity: 0.5, structure: { kind: 'unit', reduce: 'l1' }, previous });
    // unit 2 (scores 9, 9) was partly pruned: it cannot come back; units 0 and 1 remain; keep 2 units? round(0.5*3)=2
    expect(Array.from(r.masks[0]!.mask)).toEqual([1, 1, 0, 1, 1, 0]);
  });

  it('with larger inputs (fast path with availability) agrees with the reference', () => {
    let seed = 9;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const layers = [{ name: 'a', shape: [100, 80], scores: Float32Array.from({ length: 8000 }, () => rnd()) }];
    const prev = Uint8Array.from({ length: 8000 }, () => (rnd() < 0.6 ? 1 : 0));
    const r = project(layers, { sparsity: 0.8, previous: [{ name: 'a', mask: prev }] });
    expect(r.kept).toBe(1600);
    expect(Array.from(r.masks[0]!.mask)).toEqual(Array.from(referenceTopK(layers, 1600, (_, i) => prev[i] === 1)[0]!));
  });
});
