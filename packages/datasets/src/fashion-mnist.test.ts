import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleSize, fillBatch, splitSize } from './batch.js';
import { FASHION_SYSTEM_DIR } from './fashion-mnist.js';
import { loadDataset } from './load.js';
import { listDatasets } from './registry.js';
import { caught } from './test-utils/builders.js';

const present = existsSync(join(FASHION_SYSTEM_DIR, 'train-images-idx3-ubyte.gz'));
if (!present) {
  console.warn(`SKIPPING Fashion-MNIST load tests: ${FASHION_SYSTEM_DIR} is absent (apt-get install dataset-fashion-mnist; CI installs it)`);
}
const FILES = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];

describe('fashion-mnist', () => {
  const saved = process.env['PRUNELAB_DATA'];
  afterEach(() => {
    if (saved === undefined) delete process.env['PRUNELAB_DATA'];
    else process.env['PRUNELAB_DATA'] = saved;
  });

  it.skipIf(!present)(`loads from ${FASHION_SYSTEM_DIR}`, async () => {
    delete process.env['PRUNELAB_DATA'];
    const ds = await loadDataset({ name: 'fashion-mnist' });
    expect(ds.shape).toEqual([28, 28, 1]);
    expect([splitSize(ds, 'train'), splitSize(ds, 'val'), splitSize(ds, 'test')]).toEqual([55000, 5000, 10000]);
    const hist = new Array<number>(10).fill(0);
    for (const y of ds.pools[1]!.y) hist[y]!++;
    expect(hist).toEqual(new Array(10).fill(1000)); // the test set is balanced, 1,000 per class
    const x = new Float32Array(4 * exampleSize(ds));
    fillBatch(ds, 'test', [0, 1, 2, 3], x, new Int32Array(4));
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(0);
    expect(listDatasets().find((d) => d.name === 'fashion-mnist')?.available).toBe(true);
  });

  it.skipIf(!present)('finds the files through PRUNELAB_DATA/fashion-mnist', async () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-data-'));
    try {
      mkdirSync(join(root, 'fashion-mnist'));
      for (const f of FILES) symlinkSync(join(FASHION_SYSTEM_DIR, f), join(root, 'fashion-mnist', f));
      process.env['PRUNELAB_DATA'] = root;
      const ds = await loadDataset({ name: 'fashion-mnist', trainSize: 100, valSize: 10, testSize: 20 });
      expect(ds.identity.sizes).toEqual({ train: 100, val: 10, test: 20 });
      const viaSystem = await loadDataset({ name: 'fashion-mnist', dir: FASHION_SYSTEM_DIR, trainSize: 100, valSize: 10, testSize: 20 });
      expect(viaSystem.identity).toEqual(ds.identity); // the folder is not part of the identity
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the first damaged file in file order, whichever gunzip fails first', async () => {
    // A long damaged stream first, short damaged ones after: the short ones fail first.
    const bad = mkdtempSync(join(tmpdir(), 'prunelab-fashion-order-'));
    try {
      const damaged = (n: number): Uint8Array => {
        const z = gzipSync(new Uint8Array(n).map((_, i) => (i * 7919) % 251));
        z[z.length - 5]! ^= 0xff; // the CRC/length trailer: only found at the end of the stream
        return z;
      };
      FILES.forEach((f, i) => writeFileSync(join(bad, f), damaged(i === 0 ? 20_000_000 : 100)));
      for (let round = 0; round < 3; round++) {
        const e = await caught(() => loadDataset({ name: 'fashion-mnist', dir: bad }));
        expect(e.code).toBe('E_DATASET_CORRUPT');
        expect(e.message).toContain(join(bad, FILES[0]!));
      }
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it('says how to get the files when they are missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'prunelab-fashion-'));
    try {
      const e = await caught(() => loadDataset({ name: 'fashion-mnist', dir: empty }, { file: 'exp.yaml' }));
      expect(e.code).toBe('E_DATASET_MISSING');
      expect(e.message).toContain('apt-get install dataset-fashion-mnist');
      expect(e.message).toContain('train-images-idx3-ubyte.gz');
      expect(e.message).toContain(empty);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
