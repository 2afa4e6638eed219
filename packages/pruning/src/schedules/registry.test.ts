import { beforeAll, describe, expect, it } from 'vitest';
import { splitSize, type LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { Net, stepsFor, train, type NamedArray } from '@prunelab/models';
import { scheduleRegistry } from './all.js';
import { captureWeightsAt } from './rewind.js';
import type { TrainingLedger } from './types.js';
import { blobs, config, fakeContext, mlpArch, trainedWeights } from '../test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

interface Variant {
  readonly options: Record<string, unknown>;
  /** Trains beyond one common budget per evaluated model, on purpose (and says so in its record). */
  readonly extra?: true;
}

/**
 * Option sets per schedule for the tiny problem, one per way the schedule
 * trains or rewinds differently; a new schedule without an entry here runs
 * with its defaults.
 */
const VARIANTS: Readonly<Record<string, readonly Variant[]>> = {
  iterative: [
    { options: { rate: 0.5 } },
    { options: { rate: 0.5, rewind: 'init' } },
    { options: { rate: 0.5, rewind: { iteration: 5 } } },
    { options: { rate: 0.5, reinit: true } },
    { options: { rate: 0.5, rewind: { iteration: 5 }, reinit: 'ticket' }, extra: true },
  ],
  admm: [{ options: { iterations: 3 } }, { options: { iterations: 2, budget: 'extra' }, extra: true }],
};

const cases = scheduleRegistry
  .list()
  .flatMap((entry) => (VARIANTS[entry.name] ?? [{ options: {} }]).map((v) => ({ entry, ...v, label: `${entry.name} ${JSON.stringify(v.options)}` })));

/** A map that notes which keys the schedule reads. */
class ReadLog<K, V> extends Map<K, V> {
  readonly read = new Set<K>();
  override get(key: K): V | undefined {
    this.read.add(key);
    return super.get(key);
  }
}

/** Steps per phase, phases that trained nothing left out. */
const nonzero = (steps: Readonly<Record<string, number>>): Record<string, number> => Object.fromEntries(Object.entries(steps).filter(([, n]) => n > 0));
const stepsOf = (ledger: TrainingLedger): Record<string, number> => nonzero(Object.fromEntries(Object.entries(ledger).map(([phase, a]) => [phase, a.steps])));

describe.each(cases)('schedule $label', ({ entry, options, extra }) => {
  it('emits points, ends at the largest target exactly, trains and rewinds as its entry declares, leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const parsed = entry.schema.parse(options);
    const snapshots = entry.snapshots(parsed);
    const net = new Net(mlpArch(), 3);
    const initialWeights = trainedWeights(net);
    const capture = captureWeightsAt(net, snapshots);
    train(net, ds, config({ epochs: 2 }), { seed: 3, onStep: capture.onStep });
    const denseWeights = trainedWeights(net);
    // Only the declared snapshots are there, so a schedule that needs another fails.
    const rewindWeights = new ReadLog<number, readonly NamedArray[]>(capture.weights);
    const targets = [0.5, 0.8];
    const run = fakeContext(net, ds, { targets, initialWeights, denseWeights, rewindWeights });
    await entry.create(parsed).run(run.ctx);
    const last = run.points.at(-1)!;
    expect(run.points[0]!.phase).toBe('dense');
    expect(last.phase).toBe('finetuned');
    expect(last.targetSparsity).toBe(0.8);
    // The projection keeps exactly round((1 - s) * N) entries: within half an entry of the target.
    expect(last.sparsity).toBe(1 - Math.round(0.2 * last.prunableParams) / last.prunableParams);
    for (const p of run.points) expect(Number.isFinite(p.loss)).toBe(true);

    // What the runner plans from the entry alone is what the run did.
    const budget = stepsFor(run.ctx.finetune, splitSize(ds, 'train'));
    const planned = entry.training(parsed, targets, budget);
    const evaluated = run.points.filter((p) => p.phase === 'finetuned').length;
    expect(planned.rounds).toBe(evaluated);
    const recorded = run.training();
    expect(stepsOf(recorded)).toEqual(nonzero(planned.steps));
    for (const a of Object.values(recorded)) expect(a.examples).toBe(a.steps * run.ctx.finetune.batchSize);
    expect([...rewindWeights.read].sort()).toEqual([...snapshots].sort());

    // The fairness claim: every schedule trains exactly the sweep's fine-tuning budget for
    // each model it evaluates, except the options that say they train more.
    const total = Object.values(planned.steps).reduce((a, b) => a + b, 0);
    if (extra) expect(total).toBeGreaterThan(evaluated * budget);
    else expect(total).toBe(evaluated * budget);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
