import { splitStream, generatePool, type GeneratedPool } from './generate.js';
import type { BlobsOptions } from './schema.js';

/**
 * Gaussian blobs: class k's examples are its centre plus isotropic unit-variance
 * noise. Centres are Gaussian with per-coordinate standard deviation
 * separation / sqrt(dims), so a centre lies about `separation` noise standard
 * deviations from the origin whatever the dimension (and two centres about
 * separation * sqrt(2) apart). Classes are balanced: example i of a split has
 * class i mod classes.
 */
export function blobCentres(o: Pick<BlobsOptions, 'seed' | 'dims' | 'classes' | 'separation'>): Float64Array {
  const rng = splitStream(o.seed, 'centres');
  const c = new Float64Array(o.classes * o.dims);
  const s = o.separation / Math.sqrt(o.dims);
  for (let i = 0; i < c.length; i++) c[i] = rng.normal() * s;
  return c;
}

export function generateBlobs(o: BlobsOptions): GeneratedPool {
  const centres = blobCentres(o);
  const d = o.dims;
  return generatePool(o.seed, d, { train: o.trainSize, val: o.valSize, test: o.testSize }, (rng, x, y, start, n) => {
    for (let i = 0; i < n; i++) {
      const k = i % o.classes;
      const row = (start + i) * d;
      y[start + i] = k;
      for (let j = 0; j < d; j++) x[row + j] = centres[k * d + j]! + rng.normal();
    }
  });
}
