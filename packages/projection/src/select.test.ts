import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectFast32 } from './fastselect.js';
import { samplePosition, sampleStep } from './sample.js';
import { applyThreshold, selectThreshold, type Pool } from './select.js';

/** Reference: keep the first k of (value desc, pool asc, index asc). */
function reference(values: number[][], k: number): Uint8Array[] {
  const all = values.flatMap((v, p) => v.map((x, i) => ({ x, p, i })));
  all.sort((a, b) => b.x - a.x || a.p - b.p || a.i - b.i);
  const out = values.map((v) => new Uint8Array(v.length));
  for (const e of all.slice(0, k)) out[e.p]![e.i] = 1;
  return out;
}

function pools32(values: number[][]): Pool[] {
  return values.map((v) => ({ values: Float32Array.from(v), avail: null, out: new Uint8Array(v.length) }));
}

const f32 = fc.oneof(fc.float({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0, -0, 1, -1, 2), fc.integer({ min: -3, max: 3 }));

describe('radix select (general path)', () => {
  it('matches the sorted reference for float32, including -0/+0, negatives and ties', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(f32, { minLength: 1, maxLength: 30 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (vals, frac) => {
          const values = vals.map((v) => Array.from(Float32Array.from(v)));
          const total = values.reduce((s, v) => s + v.length, 0);
          const k = Math.round(frac * total);
          const pools = pools32(values);
          const counts = applyThreshold(pools, selectThreshold(pools, k));
          expect(counts.reduce((s, c) => s + c, 0)).toBe(k);
          expect(pools.map((p) => Array.from(p.out))).toEqual(reference(values, k).map((m) => Array.from(m)));
        },
      ),
      { numRuns: 300, seed: 1300 },
    );
  });

  it('matches the sorted reference for float64 group scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -2, max: 2 })), { minLength: 1, maxLength: 30 }), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (vals, frac) => {
          const values = vals.map((v) => v.map((x) => x + 0)); // group scores are never -0
          const total = values.reduce((s, v) => s + v.length, 0);
          const k = Math.round(frac * total);
          const pools: Pool[] = values.map((v) => ({ values: Float64Array.from(v), avail: null, out: new Uint8Array(v.length) }));
          applyThreshold(pools, selectThreshold(pools, k));
          expect(pools.map((p) => Array.from(p.out))).toEqual(reference(values, k).map((m) => Array.from(m)));
        },
      ),
      { numRuns: 300, seed: 2300 },
    );
  });

  it('respects availability masks', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(f32, fc.boolean()), { minLength: 1, maxLength: 40 }), fc.double({ min: 0, max: 1, noNaN: true }), (entries, frac) => {
        const v = Float32Array.from(entries.map((e) => e[0]));
        const a = Uint8Array.from(entries.map((e) => (e[1] ? 1 : 0)));
        const avail = a.reduce((s, x) => s + x, 0);
        const k = Math.round(frac * avail);
        const pool: Pool = { values: v, avail: a, out: new Uint8Array(v.length) };
        applyThreshold([pool], selectThreshold([pool], k));
        const ref = reference([Array.from(v).map((x, i) => (a[i] ? x : -Infinity))], k)[0]!;
        expect(Array.from(pool.out)).toEqual(Array.from(ref));
      }),
      { numRuns: 200, seed: 3200 },
    );
  });
});

describe('sample-bracket fast path', () => {
  function run(values: Float32Array[], k: number, avail?: Uint8Array[]) {
    const pools = values.map((v, i) => ({
      values: v,
      avail: avail?.[i] ?? null,
      out: new Uint8Array(v.length),
      available: avail?.[i] ? avail[i]!.reduce((s, x) => s + x, 0) : v.length,
    }));
    return { counts: selectFast32(pools, k), masks: pools.map((p) => p.out) };
  }
  function rng(seed: number) {
    let s = seed >>> 0;
    return () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return s / 2 ** 32;
    };
  }

  it('gives the exact reference answer on large non-negative inputs (uniform, skewed, few distinct values)', () => {
    const gens: ((r: () => number) => number)[] = [(r) => r(), (r) => r() ** 8, (r) => Math.floor(r() * 50), (r) => (r() < 0.5 ? 0 : r())];
    for (const [gi, gen] of gens.entries()) {
      for (const frac of [0.001, 0.1, 0.5, 0.9, 0.999]) {
        const r = rng(gi * 100 + Math.round(frac * 1000));
        const values = [3000, 5000, 17, 4000].map((n) => Float32Array.from({ length: n }, () => gen(r)));
        const total = values.reduce((s, v) => s + v.length, 0);
        const k = Math.round(frac * total);
        const res = run(values, k);
        const ref = reference(
          values.map((v) => Array.from(v)),
          k,
        );
        if (res.counts !== null) {
          expect(res.counts.reduce((s, c) => s + c, 0)).toBe(k);
          res.masks.forEach((m, i) => expect(Array.from(m)).toEqual(Array.from(ref[i]!)));
        }
      }
    }
  });

  it('is taken on ordinary data (so the tests above exercise it)', () => {
    const r = rng(7);
    const values = [Float32Array.from({ length: 20000 }, () => r())];
    expect(run(values, 5000).counts).not.toBeNull();
  });

  it('declines negative, NaN and infinite scores (the general path handles or rejects them)', () => {
    const r = rng(3);
    for (const bad of [-1, NaN, Infinity, -Infinity, -0]) {
      const v = Float32Array.from({ length: 20000 }, () => r());
      v[12345] = bad;
      expect(run([v], 5000).counts).toBeNull();
    }
  });

  it('finds a bad score at any position: in each lane of a four-entry word and in the tail', () => {
    // 200,011 entries: the sample takes one of every 6, none of these positions
    // (checked here), so only the scan can see them (word 1 and the three-entry tail).
    const n = 200011;
    const step = sampleStep(n);
    const sampled = new Set(Array.from({ length: Math.ceil(n / step) }, (_, j) => samplePosition(j, step)));
    const positions = [4, 5, 6, 7, n - 3, n - 2, n - 1];
    expect(positions.filter((at) => sampled.has(at))).toEqual([]);
    const r = rng(5);
    for (const at of positions) {
      for (const bad of [NaN, -1, Infinity]) {
        const v = Float32Array.from({ length: n }, () => r());
        v[at] = bad;
        expect(run([v], 50000).counts).toBeNull();
      }
    }
  });

  it('gives the same masks whether the output is word-aligned or not, and treats any nonzero availability byte as available', () => {
    const r = rng(13);
    const v = Float32Array.from({ length: 10007 }, () => r());
    const a = Uint8Array.from({ length: 10007 }, () => (r() < 0.6 ? [1, 2, 255][Math.floor(r() * 3)]! : 0));
    const aligned = { values: v, avail: a, out: new Uint8Array(v.length), available: a.reduce((s, x) => s + (x === 0 ? 0 : 1), 0) };
    const unaligned = { ...aligned, out: new Uint8Array(v.length + 1).subarray(1) };
    const k = 2500;
    const c1 = selectFast32([aligned], k);
    const c2 = selectFast32([unaligned], k);
    expect(c1).not.toBeNull();
    expect(c2).toEqual(c1);
    expect(Array.from(unaligned.out)).toEqual(Array.from(aligned.out));
    const ref = reference([Array.from(v).map((x, i) => (a[i] ? x : -Infinity))], k)[0]!;
    expect(Array.from(aligned.out)).toEqual(Array.from(ref));
  });

  it('answers all-equal scores in tie mode: the first k in (pool, index) order, for k near either end', () => {
    for (const k of [1, 5000, 19999]) {
      const values = [new Float32Array(12000).fill(1), new Float32Array(8000).fill(1)];
      const res = run(values, k);
      expect(res.counts).toEqual([Math.min(k, 12000), Math.max(0, k - 12000)]);
      res.masks.forEach((m, i) =>
        expect(Array.from(m)).toEqual(
          Array.from(
            reference(
              values.map((v) => Array.from(v)),
              k,
            )[i]!,
          ),
        ),
      );
    }
  });

  it('declines when the listed range overflows (a light key between two heavy ones round the k-th), leaving the general path to answer', () => {
    const v = Float32Array.from({ length: 20000 }, (_, i) => (i % 200 === 0 ? 1.5 : i % 2 === 0 ? 1 : 2));
    expect(run([v], 10000).counts).toBeNull();
  });

  it('matches the reference with availability masks', () => {
    const r = rng(11);
    const v = Float32Array.from({ length: 20000 }, () => r());
    const a = Uint8Array.from({ length: 20000 }, () => (r() < 0.7 ? 1 : 0));
    const k = 3000;
    const res = run([v], k, [a]);
    const ref = reference([Array.from(v).map((x, i) => (a[i] ? x : -Infinity))], k)[0]!;
    expect(res.counts).not.toBeNull();
    expect(Array.from(res.masks[0]!)).toEqual(Array.from(ref));
  });
});
