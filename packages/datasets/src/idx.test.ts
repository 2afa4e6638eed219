import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { gunzipIfNeeded } from './files.js';
import { checkSameCount, parseIdxImages, parseIdxLabels } from './idx.js';
import { caught, idxImages, idxLabels } from './test-utils/builders.js';

describe('IDX parser', () => {
  it('parses images and labels', () => {
    const img = parseIdxImages(idxImages(3, 2, 4), 'img');
    expect([img.n, img.rows, img.cols, img.x.length]).toEqual([3, 2, 4, 24]);
    expect(img.x[5]).toBe(5);
    const lbl = parseIdxLabels(idxLabels([0, 9, 3]), 'lbl', 10);
    expect([...lbl.y]).toEqual([0, 9, 3]);
  });

  it('rejects a wrong magic number with the expected and found values', async () => {
    const e = await caught(() => parseIdxImages(idxLabels([1, 2]), 'x/train-images'));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toContain('x/train-images');
    expect(e.message).toMatch(/expected 2051, found 2049/);
    const l = await caught(() => parseIdxLabels(idxImages(1, 1, 1), 'lbl', 10));
    expect(l.message).toMatch(/expected 2049, found 2051/);
  });

  it('rejects truncated files, naming the expected length', async () => {
    const full = idxImages(3, 2, 2);
    const e = await caught(() => parseIdxImages(full.subarray(0, full.length - 1), 'img'));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toMatch(/expected 28, found 27/);
    expect((await caught(() => parseIdxImages(full.subarray(0, 10), 'img'))).message).toMatch(/header/);
    expect((await caught(() => parseIdxLabels(idxLabels([1, 2, 3]).subarray(0, 9), 'lbl', 10))).message).toMatch(/expected 11, found 9/);
  });

  it('rejects unexpected dimensions and out-of-range labels', async () => {
    expect((await caught(() => parseIdxImages(idxImages(2, 3, 3), 'img', { rows: 28 }))).message).toMatch(/rows: expected 28, found 3/);
    expect((await caught(() => parseIdxImages(idxImages(2, 3, 3), 'img', { n: 60000 }))).message).toMatch(/count: expected 60000, found 2/);
    expect((await caught(() => parseIdxLabels(idxLabels([1, 10]), 'lbl', 10))).message).toMatch(/label of example 1: expected < 10, found 10/);
  });

  it('rejects a label count that does not match the image count', async () => {
    const img = parseIdxImages(idxImages(4, 2, 2), 'train-images');
    const lbl = parseIdxLabels(idxLabels([1, 2, 3]), 'train-labels', 10);
    const e = await caught(() => checkSameCount(img, 'train-images', lbl, 'train-labels'));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toContain('train-labels');
    expect(e.message).toContain('train-images');
    expect(e.message).toMatch(/expected 4, found 3/);
  });

  it('wraps zlib errors on a damaged gzip stream', async () => {
    const gz = gzipSync(idxImages(5, 4, 4));
    const e = await caught(() => gunzipIfNeeded(gz.subarray(0, gz.length - 6), 'train-images-idx3-ubyte.gz'));
    expect(e.code).toBe('E_DATASET_CORRUPT');
    expect(e.message).toContain('train-images-idx3-ubyte.gz');
    expect(e.message).toMatch(/gzip/);
    const ok = await gunzipIfNeeded(gzipSync(idxImages(5, 4, 4)), 'f');
    expect(ok.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(parseIdxImages(ok, 'f').n).toBe(5);
  });
});

/** Every outcome must be a valid parse or a PrunelabError: no other exception, no hang. */
function parseAll(images: Uint8Array, labels: Uint8Array): 'ok' | 'error' {
  try {
    const img = parseIdxImages(images, 'img');
    const lbl = parseIdxLabels(labels, 'lbl', 10);
    checkSameCount(img, 'img', lbl, 'lbl');
    expect(img.x.length).toBe(img.n * img.rows * img.cols);
    expect(lbl.y.length).toBe(lbl.n);
    return 'ok';
  } catch (e) {
    if (!isPrunelabError(e)) throw e;
    expect(e.code).toBe('E_DATASET_CORRUPT');
    // Every corruption message says what to do, not only what is wrong.
    expect(e.details.fix).toMatch(/download/);
    return 'error';
  }
}

function flip(bytes: Uint8Array, bits: readonly number[]): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (const b of bits) {
    const i = Math.floor(b / 8) % out.length;
    out[i] = out[i]! ^ (1 << (b % 8));
  }
  return out;
}

describe('IDX parser fuzzing', () => {
  const images = idxImages(6, 3, 3);
  const labels = idxLabels([0, 1, 2, 3, 4, 9]);

  it('survives truncation of either file', () => {
    fc.assert(
      fc.property(fc.nat(images.length), fc.nat(labels.length), (a, b) => {
        const r = parseAll(images.subarray(0, a), labels.subarray(0, b));
        if (a < images.length || b < labels.length) expect(r).toBe('error');
      }),
      { numRuns: 500, seed: 1500 },
    );
  });

  it('survives bit flips', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(images.length * 8 - 1), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(labels.length * 8 - 1), { maxLength: 4 }),
        (bi, bl) => {
          parseAll(flip(images, bi), flip(labels, bl));
        },
      ),
      { numRuns: 500, seed: 2500 },
    );
  });

  it('survives arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 32 }), (a, b) => {
        parseAll(a, b);
      }),
      { numRuns: 500, seed: 3500 },
    );
  });

  it('survives truncated and bit-flipped gzip files', async () => {
    const gz = new Uint8Array(gzipSync(images));
    await fc.assert(
      fc.asyncProperty(fc.nat(gz.length), fc.array(fc.nat(gz.length * 8 - 1), { maxLength: 4 }), async (cut, bits) => {
        const damaged = flip(gz.subarray(0, Math.max(cut, 2)), bits);
        try {
          const raw = await gunzipIfNeeded(damaged, 'img.gz');
          parseAll(raw, labels);
        } catch (e) {
          if (!isPrunelabError(e)) throw e;
          expect(e.code).toBe('E_DATASET_CORRUPT');
        }
      }),
      { numRuns: 300, seed: 4300 },
    );
  });
});
