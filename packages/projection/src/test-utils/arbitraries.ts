/** fast-check generators for layers. */
import fc from 'fast-check';
import type { LayerScores } from '../types.js';

/** Scores drawn from a small set (many ties) or continuous floats, possibly negative. */
export const scoreValue = fc.oneof(
  fc.integer({ min: 0, max: 3 }).map((x) => x),
  fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }),
  fc.float({ min: 0, max: 1, noNaN: true, noDefaultInfinity: true }),
);

/** One dense layer [in, out] with in a multiple of `inMultiple`. */
export function denseLayer(name: string, opts: { inMultiple?: number; maxIn?: number; maxOut?: number } = {}): fc.Arbitrary<LayerScores> {
  const mult = opts.inMultiple ?? 1;
  return fc
    .record({
      inGroups: fc.integer({ min: 1, max: Math.max(1, Math.floor((opts.maxIn ?? 8) / mult)) }),
      out: fc.integer({ min: 1, max: opts.maxOut ?? 6 }),
    })
    .chain(({ inGroups, out }) => {
      const n = inGroups * mult * out;
      return fc.array(scoreValue, { minLength: n, maxLength: n }).map((vals) => ({
        name,
        shape: [inGroups * mult, out],
        scores: Float32Array.from(vals),
      }));
    });
}

/** One conv layer [kh, kw, in, out]. */
export function convLayer(name: string, opts: { inMultiple?: number } = {}): fc.Arbitrary<LayerScores> {
  const mult = opts.inMultiple ?? 1;
  return fc
    .record({ kh: fc.integer({ min: 1, max: 3 }), kw: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 2 }), out: fc.integer({ min: 1, max: 4 }) })
    .chain(({ kh, kw, g, out }) => {
      const n = kh * kw * g * mult * out;
      return fc.array(scoreValue, { minLength: n, maxLength: n }).map((vals) => ({
        name,
        shape: [kh, kw, g * mult, out],
        scores: Float32Array.from(vals),
      }));
    });
}

/** 1..4 layers, dense or conv, unique names. */
export function layersArb(opts: { inMultiple?: number } = {}): fc.Arbitrary<LayerScores[]> {
  return fc
    .integer({ min: 1, max: 4 })
    .chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => fc.oneof(denseLayer(`l${i}`, opts), convLayer(`l${i}`, opts)))));
}

export const sparsityArb = fc.double({ min: 0, max: 0.95, noNaN: true });
