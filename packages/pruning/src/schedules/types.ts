import type { LoadedDataset } from '@prunelab/datasets';
import type { LayerScores, ProjectionSpec } from '@prunelab/projection';
import type { Evaluation, NetMetrics, Net, TrainingConfig, NamedArray } from '@prunelab/models';

/**
 * What a run fixes of the projection: its spec minus the sparsity, which the
 * schedule sets at each step, and minus what a schedule carries from step to
 * step (`previous` masks, regrowth). The runner's config schema produces
 * exactly this from the sweep file (scope, structure and exclude with their
 * defaults filled in), so it reaches the projection unchanged.
 */
export type PruneSpec = Readonly<Required<Pick<ProjectionSpec, 'scope' | 'structure' | 'exclude'>> & Pick<ProjectionSpec, 'minDensity'>>;

export type Phase = 'dense' | 'pruned' | 'finetuned';

/**
 * What a stretch of training after dense training was for, so a run's record
 * shows which strategies got more training than the common budget:
 * - finetune: masked training that continues from the pruned weights (the common budget);
 * - rewind-train: training of the masked net from rewound weights (lottery ticket);
 * - reinit-train: training of the masked net from re-initialised weights (its control);
 * - gradual: training during which the mask is updated (Zhu & Gupta 2017);
 * - admm: ADMM's W-steps (Zhang et al. 2018) before the hard prune;
 * - mask-derivation: training whose nets are never evaluated, run only to find masks
 *   (the ticket trajectory inside the lottery-ticket control).
 */
export const TRAINING_PHASES = ['finetune', 'rewind-train', 'reinit-train', 'gradual', 'admm', 'mask-derivation'] as const;
export type TrainingPhase = (typeof TRAINING_PHASES)[number];

/** Optimizer steps and examples seen. */
export interface TrainingAmount {
  readonly steps: number;
  readonly examples: number;
}

/** A run's training after dense training, summed per phase (phases it never ran are absent). */
export type TrainingLedger = Partial<Record<TrainingPhase, TrainingAmount>>;

/**
 * What a schedule emits at each evaluated step of a run. The worker adds
 * whether it is on the curve, and the store writes it as one row of the
 * `points` table (the store's PointRecord): its fields are named after those
 * columns (Evaluation's `examples` is not stored).
 */
export interface SchedulePoint extends NetMetrics, Evaluation {
  readonly step: number;
  readonly phase: Phase;
  readonly targetSparsity: number;
  readonly wallMs: number;
  readonly robustAccuracy?: number;
}

/** Everything a schedule needs; the runner builds it, so schedules never see the scorer or the store. */
export interface ScheduleContext {
  readonly net: Net;
  readonly ds: LoadedDataset;
  /** Weights right after initialisation (for rewinding) and after dense training. */
  readonly initialWeights: readonly NamedArray[];
  readonly denseWeights: readonly NamedArray[];
  /**
   * Weights saved during dense training, keyed by the optimizer step after
   * which they were taken (0 = the initial weights), e.g. for the iterative
   * schedule's `rewind: { iteration: k }` (Frankle et al. 2020, "Linear Mode
   * Connectivity and the Lottery Ticket Hypothesis"). The runner fills it for
   * the steps the schedule's entry lists (ScheduleEntry.snapshots), with the
   * `onStep` hook from `captureWeightsAt`.
   */
  readonly rewindWeights?: ReadonlyMap<number, readonly NamedArray[]>;
  /** Target sparsities, in the order given. */
  readonly targets: readonly number[];
  readonly prune: PruneSpec;
  /** The fine-tuning budget, identical for every strategy in a sweep. */
  readonly finetune: TrainingConfig;
  readonly seed: number;
  /** Scores the net's current weights with the run's scorer. */
  /** Per-weight importance of every prunable layer: the projection's input. */
  score(net: Net): Promise<LayerScores[]>;
  /** Test-split evaluation (plus robust accuracy when enabled). */
  evaluate(net: Net): Promise<Evaluation & { robustAccuracy?: number }>;
  /** Streams a point to the main thread. */
  emit(point: SchedulePoint): void;
  /** Throws if the run was cancelled (Ctrl-C); called between phases. */
  checkCancelled(): void;
  /** Adds one training's steps and examples to the run's record; schedules call it after every train(). */
  recordTraining(phase: TrainingPhase, done: TrainingAmount): void;
}

export interface Schedule {
  run(ctx: ScheduleContext): Promise<void>;
}
