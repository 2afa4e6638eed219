import { beforeAll, describe, expect, it } from 'vitest';
import { project } from '@prunelab/projection';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net, netMetrics, train } from '@prunelab/models';
import { blobs, config, magnitudeScores, mlpArch, zeroPattern } from '@prunelab/models/test-utils';
import { applyMasks, disposeMasks, masksFromArrays } from './masks.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

describe('masked training', () => {
  // Han et al. 2015 / Zhu & Gupta 2017: a pruned weight must stay exactly 0 whatever the optimizer's state.
  it.each(['sgd', 'momentum', 'adam'] as const)('keeps pruned weights at 0 with %s (and weight decay)', (optimizer) => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 1);
    // Dense training first, so momentum/Adam would push the pruned weights if the masks leaked.
    train(net, ds, config({ optimizer, lr: 0.05 }), { seed: 1 });
    const r = project(magnitudeScores(net), { sparsity: 0.7, scope: 'global' });
    const masks = masksFromArrays(net, r.masks);
    applyMasks(net, masks);
    const sparsityBefore = netMetrics(net).sparsity;
    const zeros = zeroPattern(net);
    train(net, ds, config({ optimizer, lr: 0.05, weightDecay: 1e-3, epochs: 2 }), { seed: 2, masks });
    disposeMasks(masks);
    expect(netMetrics(net).sparsity).toBe(sparsityBefore);
    expect(sparsityBefore).toBe(r.achieved.overall);
    const after = zeroPattern(net);
    for (let i = 0; i < zeros.length; i++) if (zeros[i]) expect(after[i]).toBe(1);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reads a masks provider before each step', () => {
    const net = new Net(mlpArch(), 3);
    const r = project(magnitudeScores(net), { sparsity: 0.5 });
    const masks = masksFromArrays(net, r.masks);
    let calls = 0;
    train(net, ds, config({ epochs: 0.5 }), { seed: 1, masksProvider: () => (calls++ >= 3 ? masks : undefined) });
    disposeMasks(masks);
    expect(netMetrics(net).sparsity).toBe(0.5);
    net.dispose();
  });
});
