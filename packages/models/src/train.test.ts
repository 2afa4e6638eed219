import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from './net.js';
import { train, trainAsync } from './train.js';
import { getWeights } from './weights.js';
import { blobs, config, mlpArch } from './test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

describe('determinism', () => {
  it('training twice from the same seed gives bit-identical weights (train and trainAsync)', async () => {
    const run = async (useAsync: boolean) => {
      const net = new Net(mlpArch(), 11);
      const cfg = config({ optimizer: 'adam', epochs: 2 });
      if (useAsync) await trainAsync(net, ds, cfg, { seed: 5, onStep: async () => undefined });
      else train(net, ds, cfg, { seed: 5 });
      const w = getWeights(net).map((x) => Array.from(x.data));
      net.dispose();
      return w;
    };
    const a = await run(false);
    expect(await run(false)).toEqual(a);
    expect(await run(true)).toEqual(a);
  });

  it('stops early, honours `steps`, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 1);
    expect(train(net, ds, config(), { seed: 1, onStep: (s) => s === 3 }).steps).toBe(3);
    expect(train(net, ds, config(), { seed: 1, steps: 5 }).steps).toBe(5);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
