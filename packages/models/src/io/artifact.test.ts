import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { artifactBytes, decodeArtifact, encodeArtifact, type ArtifactContent } from './artifact.js';

/** A kernel of `n` weights of which a `sparsity` fraction (the first ones after a stride walk) is zero. */
function kernel(name: string, shape: number[], sparsity: number, seed: number): { name: string; shape: number[]; data: Float32Array } {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    data[i] = s / 2147483648 - 0.5 || 0.25;
  }
  for (let k = 0; k < Math.round(sparsity * n); k++) data[(k * 7919) % n] = 0;
  return { name, shape, data };
}

const content = (sparsity: number): ArtifactContent => ({
  inputShape: [8],
  classes: 3,
  weights: [kernel('dense1/kernel', [8, 16], sparsity, 1), kernel('dense1/bias', [16], 0, 2), kernel('dense2/kernel', [16, 3], sparsity, 3), kernel('dense2/bias', [3], 0, 4)],
});

describe('artifacts (masks as bitsets, kept weights as float32)', () => {
  it('decode(encode(w)) gives the weights back bit for bit, for any weights (fast-check, seed 18)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 9 })), { minLength: 1, maxLength: 4 }),
        fc.array(fc.oneof(fc.constant(0), fc.float({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0))), { minLength: 400, maxLength: 400 }),
        (shapes, values) => {
          let v = 0;
          const weights = shapes.flatMap(([a, b], i) => {
            const take = (n: number) => Float32Array.from({ length: n }, () => values[v++ % values.length]!);
            return [
              { name: `l${i}/kernel`, shape: [a, b], data: take(a * b) },
              { name: `l${i}/bias`, shape: [b], data: take(b) },
            ];
          });
          const back = decodeArtifact(encodeArtifact({ inputShape: [3, 2], classes: 5, weights }), 'x.bin');
          expect(back.inputShape).toEqual([3, 2]);
          expect(back.classes).toBe(5);
          expect(back.weights.map((w) => [w.name, w.shape])).toEqual(weights.map((w) => [w.name, w.shape]));
          back.weights.forEach((w, i) => expect(Array.from(w.data)).toEqual(Array.from(weights[i]!.data)));
        },
      ),
      { seed: 18, numRuns: 200 },
    );
  });

  it('stores a kernel at sparsity s in n/8 + 4(1 - s)n bytes, and artifactBytes predicts the file size', () => {
    for (const s of [0, 0.5, 0.9, 0.99]) {
      const c = content(s);
      const buf = encodeArtifact(c);
      expect(buf.length).toBe(artifactBytes(c.weights.map((w) => ({ ...w, density: 1 - s })), c.inputShape, c.classes));
    }
    // Independently of the encoder: header, then per kernel a 4-byte-padded bitset and its nonzero values, biases whole.
    const c = content(0.9);
    const buf = encodeArtifact(c);
    const pad = (n: number) => Math.ceil(n / 4) * 4;
    const kernels = [128, 48].reduce((s, n) => s + pad(Math.ceil(n / 8)) + 4 * (n - Math.round(0.9 * n)), 0);
    expect(buf.length).toBe(8 + buf.readUInt32LE(4) + kernels + 4 * (16 + 3));
  });

  it('refuses a truncated, padded or foreign file with an error naming it', () => {
    const buf = encodeArtifact(content(0.5));
    const cases: Array<[Uint8Array, RegExp]> = [
      [buf.subarray(0, buf.length - 4), /x\.bin ends before dense2\/bias/],
      [Buffer.concat([buf, Buffer.alloc(4)]), /x\.bin has 4 bytes after its last tensor/],
      [Buffer.from('not an artifact at all'), /x\.bin is not a prunelab artifact/],
      [Buffer.from([0x50, 0x4c, 0x41, 0x31, 0xff, 0xff, 0xff, 0x7f]), /x\.bin has a header length of/],
    ];
    for (const [bytes, message] of cases) {
      let caught: unknown;
      try {
        decodeArtifact(bytes, 'x.bin');
      } catch (e) {
        caught = e;
      }
      expect(isPrunelabError(caught) && caught.isUserError, String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });
});
