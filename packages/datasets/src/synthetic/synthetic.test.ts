import { describe, expect, it } from 'vitest';
import { exampleSize, fillBatch, splitSize } from '../batch.js';
import { loadDataset } from '../load.js';
import { caught } from '../test-utils/builders.js';
import { teacherLabel, type Teacher } from './teacher.js';

describe('synthetic blobs', () => {
  it('has the configured shape, sizes and classes', async () => {
    const ds = await loadDataset({ name: 'synthetic', kind: 'blobs', dims: 5, classes: 3, trainSize: 90, valSize: 30, testSize: 60, seed: 4 });
    expect(ds.shape).toEqual([5]);
    expect(ds.classes).toBe(3);
    expect(ds.pools[0]!.x).toBeInstanceOf(Float32Array);
    expect(ds.pools[0]!.x.length).toBe(180 * 5);
    expect([splitSize(ds, 'train'), splitSize(ds, 'val'), splitSize(ds, 'test')]).toEqual([90, 30, 60]);
    expect(ds.normalization).toEqual({ kind: 'scale', scale: 1, mean: [0], std: [1] });
    const y = new Int32Array(90);
    const x = new Float32Array(90 * 5);
    fillBatch(
      ds,
      'train',
      Array.from({ length: 90 }, (_, i) => i),
      x,
      y,
    );
    expect(new Set(y)).toEqual(new Set([0, 1, 2]));
    expect(x.subarray(0, 5)).toEqual(ds.pools[0]!.x.subarray(0, 5));
  });

  it('is deterministic from the seed, and val/test do not depend on trainSize', async () => {
    const o = { name: 'synthetic', kind: 'blobs', trainSize: 50, valSize: 20, testSize: 20 };
    const a = await loadDataset({ ...o, seed: 1 });
    const b = await loadDataset({ ...o, seed: 1, normalize: 'scale' });
    const c = await loadDataset({ ...o, seed: 2 });
    const d = await loadDataset({ ...o, seed: 1, trainSize: 70 });
    expect(b).toBe(a); // same options after defaults: the cached object
    const again = await loadDataset({ ...o, seed: 1, separation: 3 });
    expect(again.identity.checksum).toBe(a.identity.checksum);
    expect(c.pools[0]!.x).not.toEqual(a.pools[0]!.x);
    expect(c.identity.checksum).not.toBe(a.identity.checksum);
    const val = (ds: typeof a) => ds.pools[0]!.x.slice(ds.splits.val.indices[0]! * 16, (ds.splits.val.indices.at(-1)! + 1) * 16);
    expect(val(d)).toEqual(val(a));
    expect(a.identity.options).toEqual({ kind: 'blobs', trainSize: 50, valSize: 20, testSize: 20, seed: 1 });
  });

  it('separates classes more with a larger separation', async () => {
    const accuracy = async (separation: number) => {
      const ds = await loadDataset({ name: 'synthetic', kind: 'blobs', dims: 4, classes: 2, separation, trainSize: 400, valSize: 0, testSize: 0 });
      // nearest class mean, estimated from the data itself
      const x = ds.pools[0]!.x,
        y = ds.pools[0]!.y;
      const m = [new Float64Array(4), new Float64Array(4)];
      for (let i = 0; i < 400; i++) for (let j = 0; j < 4; j++) m[y[i]!]![j]! += x[i * 4 + j]! / 200;
      let ok = 0;
      for (let i = 0; i < 400; i++) {
        const dist = (k: number) => m[k]!.reduce((s, v, j) => s + (x[i * 4 + j]! - v) ** 2, 0);
        if ((dist(1) < dist(0) ? 1 : 0) === y[i]) ok++;
      }
      return ok / 400;
    };
    expect(await accuracy(10)).toBeGreaterThan(0.95);
    expect(await accuracy(10)).toBeGreaterThan(await accuracy(0.1));
  });
});

describe('synthetic teacher', () => {
  const cfg = { name: 'synthetic', kind: 'teacher', layers: [12, 20, 5], teacherSparsity: 0.75, trainSize: 300, valSize: 50, testSize: 50, seed: 9 };

  it('returns the teacher with masks of the configured sparsity', async () => {
    const ds = await loadDataset(cfg);
    expect(ds.shape).toEqual([12]);
    expect(ds.classes).toBe(5);
    const t = ds.extras?.['teacher'] as Teacher;
    expect(t.layers.map((l) => l.shape)).toEqual([
      [12, 20],
      [20, 5],
    ]);
    for (const l of t.layers) {
      const size = l.shape[0] * l.shape[1];
      expect(l.weights).toHaveLength(size);
      expect(l.bias).toHaveLength(l.shape[1]);
      const zeros = l.mask.reduce((s, m) => s + (m === 0 ? 1 : 0), 0);
      expect(zeros).toBe(Math.round(0.75 * size));
      l.mask.forEach((m, i) => (m === 0 ? expect(l.weights[i]).toBe(0) : expect(l.weights[i]).not.toBe(0)));
      for (const a of [l.weights, l.bias, l.mask]) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('labels every example with the teacher argmax, deterministically', async () => {
    const ds = await loadDataset(cfg);
    const t = ds.extras?.['teacher'] as Teacher;
    const x = ds.pools[0]!.x,
      y = ds.pools[0]!.y;
    for (let i = 0; i < 400; i++) expect(y[i]).toBe(teacherLabel(t, x.subarray(i * 12, i * 12 + 12)));
    expect(new Set(y).size).toBeGreaterThan(1);
    const other = await loadDataset({ ...cfg, valSize: 51 });
    expect(other).not.toBe(ds);
    expect(other.pools[0]!.x.subarray(0, 300 * 12)).toEqual(x.subarray(0, 300 * 12));
    expect((other.extras?.['teacher'] as Teacher).layers[0]!.weights).toEqual(t.layers[0]!.weights);
  });

  it('standardize uses per-feature statistics of the train split', async () => {
    const ds = await loadDataset({ ...cfg, normalize: 'standardize' });
    expect(ds.normalization.mean).toHaveLength(12);
    const x = new Float32Array(300 * exampleSize(ds));
    fillBatch(
      ds,
      'train',
      Array.from({ length: 300 }, (_, i) => i),
      x,
      new Int32Array(300),
    );
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(1e-5);
  });

  it('rejects bad generator options with the key path', async () => {
    const e = await caught(() => loadDataset({ ...cfg, teacherSparsity: 1 }));
    expect(e.code).toBe('E_CONFIG_INVALID');
    expect(e.details.path).toBe('dataset.teacherSparsity');
    expect((await caught(() => loadDataset({ name: 'synthetic', kind: 'teacher', layers: [3, 1] }))).details.path).toBe('dataset.layers');
    expect((await caught(() => loadDataset({ name: 'synthetic', kind: 'nope' }))).message).toMatch(/dataset\.kind: .*'blobs' \| 'teacher'/);
    expect((await caught(() => loadDataset({ name: 'synthetic', kind: 'blobs', dims: 65536, trainSize: 10000 }))).message).toMatch(
      /dataset\.trainSize: .*exceeds the maximum/,
    );
  });
});
