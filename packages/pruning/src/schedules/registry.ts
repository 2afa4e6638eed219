import type { z } from 'zod';
import { Registry, type RegistryEntry } from '@prunelab/core';
import type { PruneSpec, Schedule, TrainingPhase } from './types.js';

/**
 * The training a schedule plans after dense training, in optimizer steps:
 * `rounds` evaluated trainings of the common fine-tuning budget (one per
 * target, or one per round of an iterative schedule), and the steps of every
 * phase it records (ScheduleContext.recordTraining), extra training included.
 */
export interface PlannedTraining {
  readonly rounds: number;
  readonly steps: Readonly<Partial<Record<TrainingPhase, number>>>;
}

/**
 * A schedule declares, from its options alone, what the runner must know
 * before the run starts, so the runner knows no schedule by name: how much it
 * trains (stored with the run so fairness can be audited, and the scheduler's
 * cost) and which dense-training steps it rewinds to (saved during dense
 * training). Method syntax on purpose, as in RegistryEntry: entries narrow
 * `options` to their own schema's output.
 */
export interface ScheduleEntry<Schema extends z.ZodType = z.ZodType> extends RegistryEntry<Schema, Schedule> {
  readonly reference: string;
  /**
   * Options that stay in a run's canonical config, and so in its id, even at
   * their default. For an option added together with a new default behaviour:
   * configs that never named it then get new ids instead of reusing results
   * computed the old way (ADMM's `budget`).
   */
  readonly identityKeys?: readonly string[];
  /**
   * The training a run does after dense training, given its target sparsities
   * (in the order given) and the optimizer steps of one fine-tuning budget.
   * It must equal what the run records; the registry test checks it for every
   * schedule.
   */
  training(options: z.output<Schema>, targets: readonly number[], budgetSteps: number): PlannedTraining;
  /**
   * Dense-training steps whose weights the run needs in
   * ScheduleContext.rewindWeights (0 = the initial weights); empty for a
   * schedule that never rewinds to a point of dense training.
   */
  snapshots(options: z.output<Schema>): readonly number[];
  /**
   * The layer names the options refer to, each with its key under the
   * schedule (e.g. ['ratePerLayer', 'dense3']), so that a name the model lacks
   * is refused at load time, at its place in the sweep file. Default: none.
   */
  layers?(options: z.output<Schema>): ReadonlyArray<{ readonly key: readonly string[]; readonly layer: string }>;
  /**
   * Why these options cannot run with the run's prune spec, if they cannot:
   * the option's key under the schedule, the problem and its fix. Checked at
   * load time, so the run never starts. Default: every spec is fine.
   */
  conflict?(options: z.output<Schema>, prune: PruneSpec): { readonly key: readonly string[]; readonly problem: string; readonly fix: string } | undefined;
}

export const scheduleRegistry = new Registry<ScheduleEntry>('schedule');
