import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '../backend.js';
import { Net } from '../net.js';
import { train } from '../train.js';
import { iterativeLevels, rewindIterations, runIterative, iterativeSchema } from './iterative.js';
import { captureWeightsAt } from './rewind.js';
import { blobs, config, fakeContext, mlpArch, trainedWeights } from '../test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

describe('iterativeLevels', () => {
  it('removes rate of the remainder per round and clamps the last round to the largest target', () => {
    const l = iterativeLevels(0.2, 0.9);
    expect(l.length).toBe(Math.ceil(Math.log(0.1) / Math.log(0.8)));
    expect(l[0]).toBeCloseTo(0.2, 12);
    expect(l[1]).toBeCloseTo(0.36, 12);
    expect(l.at(-1)).toBe(0.9);
    expect(iterativeLevels(0.5, 0.75)).toEqual([0.5, 0.75]);
    expect(iterativeLevels(0.2, 0)).toEqual([]);
  });
  it('lists the dense steps the runner must save', () => {
    expect(rewindIterations({ rewind: { iteration: 7 } })).toEqual([7]);
    expect(rewindIterations({ rewind: 'init' })).toEqual([]);
  });
});

describe.each([
  ['none', { rewind: 'none' }],
  ['init (lottery ticket)', { rewind: 'init' }],
  ['iteration 5', { rewind: { iteration: 5 } }],
  ['reinit control', { reinit: true }],
  ['ratePerLayer', { ratePerLayer: { dense3: 0.1 } }],
])('iterative, rewind %s', (_label, opts) => {
  it('one run emits every round; pruned weights never come back', async () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 4);
    const initialWeights = trainedWeights(net);
    const capture = captureWeightsAt(net, [5]);
    train(net, ds, config(), { seed: 4, onStep: capture.onStep });
    const run = fakeContext(net, ds, { targets: [0.3, 0.6], initialWeights, denseWeights: trainedWeights(net), rewindWeights: capture.weights });
    await runIterative(run.ctx, iterativeSchema.parse({ rate: 0.3, ...opts }));
    const finetuned = run.points.filter((p) => p.phase === 'finetuned');
    expect(finetuned.map((p) => p.targetSparsity)).toEqual(iterativeLevels(0.3, 0.6));
    for (let r = 1; r < run.patterns.length; r++) {
      const [prev, cur] = [run.patterns[r - 1]!, run.patterns[r]!];
      for (let i = 0; i < prev.length; i++) if (prev[i]) expect(cur[i]).toBe(1);
    }
    const n = finetuned.at(-1)!.prunableParams;
    if (!('ratePerLayer' in opts)) expect(finetuned.at(-1)!.sparsity).toBe(1 - Math.round(0.4 * n) / n);
    else expect(finetuned.at(-1)!.perLayer['dense3']).toBeCloseTo(1 - 0.9 ** 3, 1);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('iterative rewind to an iteration the runner did not save is a clear error', async () => {
  const net = new Net(mlpArch(), 4);
  const w = trainedWeights(net);
  const run = fakeContext(net, ds, { targets: [0.5], initialWeights: w, denseWeights: w });
  await expect(runIterative(run.ctx, iterativeSchema.parse({ rewind: { iteration: 9 } }))).rejects.toThrow(/ctx.rewindWeights/);
  net.dispose();
});
