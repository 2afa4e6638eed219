import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net, stepsFor, train } from '@prunelab/models';
import { iterativeLevels, iterativeTrainings, rewindIterations, runIterative, iterativeSchema } from './iterative.js';
import { captureWeightsAt } from './rewind.js';
import { blobs, config, fakeContext, mlpArch, trainedWeights, type FakeRun } from '../test-utils/fixtures.js';

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
    const snapshots = (o: Record<string, unknown>) => rewindIterations(iterativeSchema.parse(o));
    expect(snapshots({ rewind: { iteration: 7 } })).toEqual([7]);
    expect(snapshots({ rewind: 'init' })).toEqual([]);
    // The ticket control follows the ticket's trajectory, late rewind included; the older control never rewinds.
    expect(snapshots({ rewind: { iteration: 7 }, reinit: 'ticket' })).toEqual([7]);
    expect(snapshots({ rewind: { iteration: 7 }, reinit: true })).toEqual([]);
  });
  it("counts the ticket control's mask-derivation trainings: one per round but the last", () => {
    expect(iterativeTrainings(iterativeSchema.parse({ rate: 0.5 }), 0.75)).toEqual({ rounds: 2, maskDerivation: 0 });
    expect(iterativeTrainings(iterativeSchema.parse({ rate: 0.5, reinit: 'ticket' }), 0.75)).toEqual({ rounds: 2, maskDerivation: 1 });
  });
});

describe.each([
  ['none', { rewind: 'none' }],
  ['init (lottery ticket)', { rewind: 'init' }],
  ['iteration 5', { rewind: { iteration: 5 } }],
  ['reinit control', { reinit: true }],
  ['ticket control (Frankle & Carbin 2019)', { rewind: 'init', reinit: 'ticket' }],
  ['ticket control, late rewind', { rewind: { iteration: 5 }, reinit: 'ticket' }],
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

describe('the lottery-ticket control (Frankle & Carbin 2019)', () => {
  const targets = [0.8]; // rate 0.3: five rounds
  /** Runs one iterative schedule from the same seed's initial and dense weights. */
  async function runWith(opts: Record<string, unknown>): Promise<FakeRun> {
    const net = new Net(mlpArch(), 4);
    const initialWeights = trainedWeights(net);
    train(net, ds, config(), { seed: 4 });
    const run = fakeContext(net, ds, { targets, initialWeights, denseWeights: trainedWeights(net) });
    await runIterative(run.ctx, iterativeSchema.parse({ rate: 0.3, rewind: 'init', ...opts }));
    net.dispose();
    return run;
  }

  it("reinit: ticket trains re-initialised weights under the ticket's own mask at every round", async () => {
    const before = tf.memory().numTensors;
    const ticket = await runWith({});
    const control = await runWith({ reinit: 'ticket' });
    const rounds = iterativeLevels(0.3, 0.8).length;
    expect(ticket.patterns).toHaveLength(rounds);
    expect(control.patterns).toHaveLength(rounds);
    for (let r = 0; r < rounds; r++) expect(control.patterns[r], `round ${r + 1}`).toEqual(ticket.patterns[r]);
    // Same masks, other weights: the control starts every round from its fresh init, not the ticket's.
    const pruned = (run: FakeRun) => run.points.filter((p) => p.phase === 'pruned').map((p) => p.loss);
    for (const [r, loss] of pruned(control).entries()) expect(loss, `round ${r + 1}`).not.toBe(pruned(ticket)[r]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the older reinit: true does not share the ticket's masks after round 1, so the test above can tell them apart", async () => {
    const ticket = await runWith({});
    const own = await runWith({ reinit: true });
    expect(own.patterns[0]).toEqual(ticket.patterns[0]);
    expect(own.patterns.slice(1).some((p, r) => !p.every((v, i) => v === ticket.patterns[r + 1]![i]))).toBe(true);
  });

  it('records the mask derivation apart from the evaluated training', async () => {
    const budget = stepsFor(config(), 512);
    const rounds = iterativeLevels(0.3, 0.8).length;
    const perStep = config().batchSize;
    expect((await runWith({})).training()).toEqual({ 'rewind-train': { steps: rounds * budget, examples: rounds * budget * perStep } });
    expect((await runWith({ reinit: 'ticket' })).training()).toEqual({
      'mask-derivation': { steps: (rounds - 1) * budget, examples: (rounds - 1) * budget * perStep },
      'reinit-train': { steps: rounds * budget, examples: rounds * budget * perStep },
    });
    expect((await runWith({ rewind: 'none' })).training()).toEqual({ finetune: { steps: rounds * budget, examples: rounds * budget * perStep } });
  });
});
