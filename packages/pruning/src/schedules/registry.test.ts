import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net, stepsFor, train } from '@prunelab/models';
import { trainingTotal } from './ledger.js';
import { scheduleRegistry } from './all.js';
import { blobs, config, fakeContext, mlpArch, trainedWeights } from '../test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

/** Options per schedule for the tiny problem; a new schedule without one runs with its defaults. */
const options: Record<string, Record<string, unknown>> = {
  iterative: { rate: 0.5 },
  admm: { iterations: 3 },
};

describe.each(scheduleRegistry.list())('schedule $name', (entry) => {
  it('emits points, ends at the largest target exactly, trains one common budget per evaluated model, leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 3);
    const initialWeights = trainedWeights(net);
    train(net, ds, config({ epochs: 2 }), { seed: 3 });
    const denseWeights = trainedWeights(net);
    const targets = [0.5, 0.8];
    const run = fakeContext(net, ds, { targets, initialWeights, denseWeights });
    await scheduleRegistry.create(entry.name, options[entry.name] ?? {}).run(run.ctx);
    const last = run.points.at(-1)!;
    expect(run.points[0]!.phase).toBe('dense');
    expect(run.points.filter((p) => p.phase === 'finetuned').length).toBeGreaterThanOrEqual(1);
    expect(last.phase).toBe('finetuned');
    expect(last.targetSparsity).toBe(0.8);
    // The projection keeps exactly round((1 - s) * N) entries: within half an entry of the target.
    expect(last.sparsity).toBe(1 - Math.round(0.2 * last.prunableParams) / last.prunableParams);
    for (const p of run.points) expect(Number.isFinite(p.loss)).toBe(true);
    // The fairness claim: at its defaults, every schedule trains exactly the sweep's
    // fine-tuning budget for each model it evaluates, and records it.
    const budget = stepsFor(run.ctx.finetune, 512);
    const evaluated = run.points.filter((p) => p.phase === 'finetuned').length;
    expect(trainingTotal(run.training())).toEqual({ steps: evaluated * budget, examples: evaluated * budget * run.ctx.finetune.batchSize });
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
