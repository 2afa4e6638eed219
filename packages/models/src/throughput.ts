import type { LoadedDataset } from '@prunelab/datasets';
import type { Architecture } from './architecture.js';
import { Net } from './net.js';
import type { TrainingConfig } from './optimizer.js';
import { evaluate } from './evaluate.js';
import { train } from './train.js';

export interface Throughput {
  /** Training examples per second (forward, backward and optimizer step). */
  readonly examplesPerSecond: number;
  /** Steps the measurement timed (after the warm-up). */
  readonly steps: number;
  /** Wall time of one evaluation of the test split (every curve point costs one). */
  readonly evaluationMs: number;
}

/**
 * Measured training throughput of `arch` on `ds` with `cfg`'s batch size and
 * optimizer, on the active backend: a throwaway Net runs a few warm-up steps
 * (kernel compilation, XNNPACK caches, the optimizer's slots), then trains
 * until `budgetMs` has passed; then one evaluation of the test split is timed
 * (the forward pass runs in chunks of 1,000, far more efficiently per example
 * than a training step). `run --dry-run` calibrates its time estimate
 * with it, because a FLOP rate alone misses how throughput falls with small
 * batches and differs between dense and conv layers and between backends.
 */
export function measureThroughput(arch: Architecture, ds: LoadedDataset, cfg: TrainingConfig, o: { budgetMs?: number; warmupSteps?: number } = {}): Throughput {
  const budgetMs = o.budgetMs ?? 600;
  const warmup = o.warmupSteps ?? 3;
  const net = new Net(arch, 0);
  try {
    train(net, ds, cfg, { seed: 0, steps: warmup });
    const t0 = performance.now();
    // At least 3 timed steps, so one slow step (a GC, a late compile) is not the whole figure.
    const r = train(net, ds, cfg, { seed: 1, onStep: (step) => step >= 3 && performance.now() - t0 > budgetMs });
    const e0 = performance.now();
    evaluate(net, ds, 'test');
    return { examplesPerSecond: (r.examples / r.wallMs) * 1000, steps: r.steps, evaluationMs: performance.now() - e0 };
  } finally {
    net.dispose();
  }
}
