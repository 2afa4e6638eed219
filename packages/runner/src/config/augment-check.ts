import { PrunelabError } from '@prunelab/core';
import { augmentShapeProblem } from '@prunelab/datasets';
import type { LoadedSweep, PlannedRun } from './load.js';

/**
 * Crops and flips (train.augment, finetune.augment) need images: a run whose
 * dataset is flat fails at load time, at the key that asks for them, before
 * anything is written, instead of in a worker once training starts.
 */
export function checkAugment(sweep: LoadedSweep, run: PlannedRun, inputShape: readonly number[]): void {
  const problem = augmentShapeProblem(inputShape);
  if (problem === undefined) return;
  for (const key of ['train', 'finetune'] as const) {
    const cfg = run.config[key];
    if (typeof cfg === 'string' || (cfg.augment.crop === 0 && !cfg.augment.flip)) continue;
    throw new PrunelabError('E_CONFIG_INVALID', `dataset ${run.config.dataset.name}: ${problem}`, {
      ...sweep.locate([key, 'augment'], run.axes),
      path: `${key}.augment`,
      value: cfg.augment,
      fix: 'Remove augment, or use an image dataset (mnist, fashion-mnist, cifar10)',
    });
  }
}
