import { canonicalJson } from '@prunelab/core';
import { loadDataset, type LoadedDataset, splitSize } from '@prunelab/datasets';
import { stepsFor } from '@prunelab/models';
import { scheduleRegistry } from '@prunelab/pruning';
import { denseKey, runId } from '../config/identity.js';
import { checkAugment } from '../config/augment-check.js';
import { checkedArchitecture } from '../config/model-check.js';
import type { LoadedSweep, PlannedRun } from '../config/load.js';
import { weightLayout, type WeightLayout } from './weight-layout.js';

export interface PreparedRun extends PlannedRun {
  readonly id: string;
  readonly denseKey: string;
  readonly dataset: LoadedDataset;
  /**
   * The fine-tuning budget, stored with the run so fairness can be audited:
   * `rounds` evaluated trainings of the common budget, `steps` all the training
   * planned after dense training, of which `extraSteps` go beyond the common
   * budget (see plannedTraining). What each run really trained is recorded
   * when it finishes (runs.training_json).
   */
  readonly budget: { epochs: number; rounds: number; steps: number; extraSteps: number; lr: number; optimizer: string; batchSize: number };
  readonly params: number;
  /** Forward multiply-accumulates per example. */
  readonly macs: number;
  /** Its kernels' shapes and other parameters: what its artifacts store (the dry run's disk estimate). */
  readonly layout: WeightLayout;
  /** Dense-training steps whose weights the schedule rewinds to (its entry's snapshots). */
  readonly rewindSteps: readonly number[];
  /**
   * Training MACs per example x examples x epochs (dense training and every
   * fine-tuning round): the scheduler sends big runs to the GPU lane first.
   * MACs, not parameters, so a conv layer counts once per output pixel.
   */
  readonly cost: number;
}

/**
 * The training a run will do after dense training, in optimizer steps, as its
 * schedule's entry declares it (ScheduleEntry.training): `rounds` evaluated
 * trainings of the common fine-tuning budget (one per target, or one per round
 * of an iterative schedule), `steps` in all, and `extraSteps` of them beyond
 * those rounds (e.g. ADMM's extra phase with budget: extra, Zhang et al. 2018;
 * the lottery-ticket control's mask derivation, Frankle & Carbin 2019). The
 * schedules' registry test checks that it is what they record.
 */
export function plannedTraining(config: PlannedRun['config'], trainSize: number): { rounds: number; steps: number; extraSteps: number } {
  const budget = stepsFor(config.finetune, trainSize);
  const { name, ...options } = config.schedule;
  const planned = scheduleRegistry.get(name).training(options, config.prune.sparsities, budget);
  const steps = Object.values(planned.steps).reduce((a, b) => a + b, 0);
  return { rounds: planned.rounds, steps, extraSteps: steps - planned.rounds * budget };
}

/**
 * Loads every dataset the sweep names (each once; the bytes are shared with
 * the workers) and gives every run its content-hash id and dense-model key.
 */
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
    const planned = plannedTraining(run.config, trainSize);
    // Trainings of the common budget, extra ones included (the scheduler's cost).
    const trainings = planned.steps / stepsFor(ft, trainSize);
    const { arch, size } = checkedArchitecture(sweep, run, ds.shape, ds.classes);
    checkAugment(sweep, run, ds.shape);
    const { params, macs } = size;
    out.push({
      ...run,
      id,
      denseKey: denseKey(run.config, ds.identity.checksum),
      dataset: ds,
      budget: {
        epochs: ft.epochs,
        rounds: planned.rounds,
        steps: planned.steps,
        extraSteps: planned.extraSteps,
        lr: ft.lr,
        optimizer: ft.optimizer,
        batchSize: ft.batchSize,
      },
      params,
      macs,
      layout: weightLayout(arch),
      rewindSteps: scheduleRewinds(run.config.schedule),
      cost: macs * trainSize * ((run.config.train === 'none' ? 0 : run.config.train.epochs) + ft.epochs * trainings),
    });
  }
  return out;
}

/** The dense-training steps the run's schedule rewinds to, as its entry declares them. */
function scheduleRewinds({ name, ...options }: PlannedRun['config']['schedule']): readonly number[] {
  return scheduleRegistry.get(name).snapshots(options);
}
