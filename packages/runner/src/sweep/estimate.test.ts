import { describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { estimateSweep } from './estimate.js';
import type { PreparedRun } from './prepare.js';

// Only the fields the estimate reads: sizes, budgets, dense keys.
const ds = {
  splits: { train: { indices: new Uint32Array(1000) }, val: { indices: new Uint32Array(0) }, test: { indices: new Uint32Array(300) } },
} as unknown as LoadedDataset;
function run(id: string, denseKey: string, o: { epochs?: number; rounds?: number; ftSteps?: number; ftBatch?: number } = {}): PreparedRun {
  const ftBatch = o.ftBatch ?? 50;
  return {
    id,
    denseKey,
    dataset: ds,
    config: { train: { epochs: o.epochs ?? 2, batchSize: 100 } },
    budget: { epochs: 1, rounds: o.rounds ?? 2, steps: o.ftSteps ?? 40, lr: 1e-3, optimizer: 'adam', batchSize: ftBatch },
  } as unknown as PreparedRun;
}
// Dense training (batch 100) at 1,000 examples/s, fine-tuning (batch 50) at 500; an evaluation takes 0.2 s.
const rate = (_r: PreparedRun, phase: 'train' | 'finetune') => ({ examplesPerSecond: phase === 'train' ? 1000 : 500, evaluationMs: 200 });

describe('estimateSweep', () => {
  it('counts dense training once per uncached key, every fine-tuning round, and the evaluations', () => {
    const runs = [run('a', 'd1'), run('b', 'd1'), run('c', 'd2')];
    const e = estimateSweep({ runs, jobs: 1, cachedDense: new Set(), rate });
    // dense: 2 epochs x 1,000 / 1,000/s + one evaluation = 2.2 s, for d1 and d2.
    // run: 40 steps x 50 / 500/s + (1 + 2 rounds x 2) evaluations = 4 + 1 = 5 s, three runs.
    expect(e.denseToTrain).toBe(2);
    expect(e.workSeconds).toBeCloseTo(2 * 2.2 + 3 * 5, 9);
    expect(e.seconds).toBeCloseTo(e.workSeconds, 9);
    expect(e.longestSeconds).toBeCloseTo(7.2, 9);
  });

  it('skips cached dense models, divides by the workers, and never goes under the longest chain', () => {
    const runs = [run('a', 'd1'), run('b', 'd1'), run('c', 'd2')];
    const cached = estimateSweep({ runs, jobs: 1, cachedDense: new Set(['d1', 'd2']), rate });
    expect(cached.denseToTrain).toBe(0);
    expect(cached.workSeconds).toBeCloseTo(15, 9);
    const wide = estimateSweep({ runs, jobs: 64, cachedDense: new Set(), rate });
    expect(wide.seconds).toBeCloseTo(7.2, 9);
    const two = estimateSweep({ runs, jobs: 2, cachedDense: new Set(), rate });
    expect(two.seconds).toBeCloseTo(19.4 / 2, 9);
  });

  it('no fine-tuning: one evaluation per round, the pruned point', () => {
    const e = estimateSweep({ runs: [run('a', 'd1', { ftSteps: 0 })], jobs: 1, cachedDense: new Set(['d1']), rate });
    expect(e.workSeconds).toBeCloseTo(3 * 0.2, 9);
  });
});
