import { splitSize } from '@prunelab/datasets';
import type { PreparedRun } from './prepare.js';

export interface EstimateInput {
  /** The runs still to do. */
  readonly runs: readonly PreparedRun[];
  /** Worker threads. */
  readonly jobs: number;
  /** Dense-model keys already in the cache: their training is skipped. */
  readonly cachedDense: ReadonlySet<string>;
  /**
   * Measured speed of a run's model with the training config of one phase (its
   * batch size and optimizer): see measureThroughput in @prunelab/models.
   */
  readonly rate: (run: PreparedRun, phase: 'train' | 'finetune') => { readonly examplesPerSecond: number; readonly evaluationMs: number };
}

export interface SweepEstimate {
  /** Wall-clock seconds on `jobs` workers. */
  readonly seconds: number;
  /** Seconds of work summed over every task. */
  readonly workSeconds: number;
  /** Dense models to train (one per dense key not in the cache). */
  readonly denseToTrain: number;
  /** The longest chain: a dense model and the longest run that starts from it. */
  readonly longestSeconds: number;
}

/**
 * Time estimate of a sweep from measured training throughput.
 *
 * Counted: dense training once per dense key not yet cached (the runner trains
 * each once and shares it); every run's fine-tuning budget (all rounds); and a
 * test-set evaluation (measured) for the dense point and for the pruned and
 * fine-tuned point of each round. Not counted: scoring (scorer-dependent; `runs.score_ms` records it
 * afterwards), robust-accuracy attacks, and start-up. The wall time is the
 * larger of the work spread over the workers and the longest dense-then-run chain.
 */
export function estimateSweep(input: EstimateInput): SweepEstimate {
  const denseSeconds = new Map<string, number>();
  const runSeconds = new Map<string, number>();
  for (const r of input.runs) {
    const trainSize = splitSize(r.dataset, 'train');
    const ft = r.budget;
    const ftRate = input.rate(r, 'finetune');
    const evals = 1 + r.budget.rounds * (ft.steps > 0 ? 2 : 1);
    runSeconds.set(r.id, (ft.steps * ft.batchSize) / ftRate.examplesPerSecond + (evals * ftRate.evaluationMs) / 1000);
    if (!input.cachedDense.has(r.denseKey) && !denseSeconds.has(r.denseKey)) {
      // train: none measures the model's own weights: one evaluation, no training.
      const train = r.config.train;
      const rate = input.rate(r, train === 'none' ? 'finetune' : 'train');
      denseSeconds.set(r.denseKey, (train === 'none' ? 0 : (train.epochs * trainSize) / rate.examplesPerSecond) + rate.evaluationMs / 1000);
    }
  }
  const work = [...denseSeconds.values(), ...runSeconds.values()].reduce((s, x) => s + x, 0);
  let longest = 0;
  for (const r of input.runs) longest = Math.max(longest, (denseSeconds.get(r.denseKey) ?? 0) + runSeconds.get(r.id)!);
  return { seconds: Math.max(work / Math.max(1, input.jobs), longest), workSeconds: work, denseToTrain: denseSeconds.size, longestSeconds: longest };
}
