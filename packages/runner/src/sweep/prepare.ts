import { canonicalJson } from '@prunelab/core';
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { architectureSize, iterativeLevels, iterativeSchema, modelRegistry, rewindIterations, stepsFor } from '@prunelab/models';
import { splitSize } from '@prunelab/datasets';
import { denseKey, runId } from '../config/identity.js';
import type { LoadedSweep, PlannedRun } from '../config/load.js';

export interface PreparedRun extends PlannedRun {
  readonly id: string;
  readonly denseKey: string;
  readonly dataset: LoadedDataset;
  /** The fine-tuning budget, stored with the run so fairness can be audited. */
  readonly budget: { epochs: number; rounds: number; steps: number; lr: number; optimizer: string; batchSize: number };
  readonly params: number;
  /** Forward multiply-accumulates per example. */
  readonly macs: number;
  /** Dense-training steps whose weights the schedule rewinds to (iterative with rewind: { iteration: k }). */
  readonly rewindSteps: readonly number[];
  /**
   * Training MACs per example x examples x epochs (dense training and every
   * fine-tuning round): the scheduler sends big runs to the GPU lane first.
   * MACs, not parameters, so a conv layer counts once per output pixel.
   */
  readonly cost: number;
}

/**
 * Loads every dataset the sweep names (each once; the bytes are shared with
 * the workers) and gives every run its content-hash id and dense-model key.
 */
/** How many fine-tuning budgets a run spends: one per target, or one per round of an iterative schedule. */
function fineTuningRounds(config: PlannedRun['config']): number {
  if (config.schedule.name !== 'iterative') return config.prune.sparsities.length;
  const o = iterativeSchema.parse(scheduleOptions(config.schedule));
  return iterativeLevels(o.rate, Math.max(...config.prune.sparsities)).length;
}

function scheduleOptions(s: { name: string } & Record<string, unknown>): Record<string, unknown> {
  const { name: _name, ...opts } = s;
  return opts;
}

export async function prepareRuns(sweep: LoadedSweep): Promise<PreparedRun[]> {
  const datasets = new Map<string, Promise<LoadedDataset>>();
  const load = (cfg: Record<string, unknown> & { name: string }) => {
    const key = canonicalJson(cfg);
    let p = datasets.get(key);
    if (!p) {
      p = loadDataset(cfg, { file: sweep.file });
      datasets.set(key, p);
    }
    return p;
  };
  const out: PreparedRun[] = [];
  const seen = new Set<string>();
  for (const run of sweep.runs) {
    const ds = await load(run.config.dataset);
    const id = runId(run.config, ds.identity.checksum);
    if (seen.has(id)) continue; // two axis points that mean the same config run once
    seen.add(id);
    const trainSize = splitSize(ds, 'train');
    const ft = run.config.finetune;
    const finetunes = fineTuningRounds(run.config);
    const { name: modelName, ...modelOpts } = run.config.model;
    const { params, macs } = architectureSize(modelRegistry.create(modelName, modelOpts)(ds.shape, ds.classes));
    out.push({
      ...run,
      id,
      denseKey: denseKey(run.config, ds.identity.checksum),
      dataset: ds,
      budget: { epochs: ft.epochs, rounds: finetunes, steps: stepsFor(ft, trainSize) * finetunes, lr: ft.lr, optimizer: ft.optimizer, batchSize: ft.batchSize },
      params,
      macs,
      rewindSteps: run.config.schedule.name === 'iterative' ? rewindIterations(scheduleOptions(run.config.schedule)) : [],
      cost: macs * trainSize * (run.config.train.epochs + ft.epochs * finetunes),
    });
  }
  return out;
}
