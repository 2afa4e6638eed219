import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { loadDataset } from './load.js';
import type { LoadedDataset } from './types.js';

/** The worker writes a byte into the pool and a label, then reports; nothing is copied back. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
parentPort.once('message', (ds) => {
  ds.pools[0].x[0] = 123.5;
  ds.pools[0].y[1] = 7;
  ds.splits.train.indices[0] = 4242;
  parentPort.postMessage({ fromWorkerData: workerData.pools[0].x[1] });
});
`;

function allArrays(ds: LoadedDataset): ArrayBufferView[] {
  return [...ds.pools.flatMap((p) => [p.x, p.y]), ...Object.values(ds.splits).map((s) => s.indices)];
}

describe('shared storage', () => {
  it('backs every typed array with a SharedArrayBuffer', async () => {
    for (const ds of [await loadDataset({ name: 'mnist' }), await loadDataset({ name: 'synthetic', kind: 'blobs', trainSize: 10, valSize: 2, testSize: 2 })]) {
      for (const a of allArrays(ds)) expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    }
  });

  it('shares, not copies, a dataset posted to a worker thread', async () => {
    // A dataset of its own (seed 777) so that the writes below touch no other test's cached data.
    const ds = await loadDataset({ name: 'synthetic', kind: 'blobs', dims: 3, trainSize: 8, valSize: 2, testSize: 2, seed: 777 });
    const pool = ds.pools[0]!;
    const saved = { x0: pool.x[0]!, y1: pool.y[1]!, i0: ds.splits.train.indices[0]! };
    const worker = new Worker(WORKER, { eval: true, workerData: ds });
    try {
      const reply = await new Promise<{ fromWorkerData: number }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.postMessage(ds);
      });
      expect(reply.fromWorkerData).toBe(pool.x[1]);
      expect(pool.x[0]).toBe(123.5);
      expect(pool.y[1]).toBe(7);
      expect(ds.splits.train.indices[0]).toBe(4242);
    } finally {
      await worker.terminate();
      pool.x[0] = saved.x0;
      pool.y[1] = saved.y1;
      ds.splits.train.indices[0] = saved.i0;
    }
  });
});
