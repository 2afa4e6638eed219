import type { TrainingAmount, TrainingLedger, TrainingPhase } from './types.js';

/**
 * Accumulates a run's training per phase (ScheduleContext.recordTraining), so
 * the store can say how much training each run got after dense training.
 */
export class TrainingRecorder {
  private readonly phases = new Map<TrainingPhase, { steps: number; examples: number }>();

  record(phase: TrainingPhase, done: TrainingAmount): void {
    const sum = this.phases.get(phase) ?? { steps: 0, examples: 0 };
    sum.steps += done.steps;
    sum.examples += done.examples;
    this.phases.set(phase, sum);
  }

  /** The phases in the order they first trained, each with its totals. */
  ledger(): TrainingLedger {
    return Object.fromEntries([...this.phases].map(([phase, sum]) => [phase, { ...sum }]));
  }
}

/** Steps and examples summed over every phase. */
export function trainingTotal(ledger: TrainingLedger): TrainingAmount {
  let steps = 0;
  let examples = 0;
  for (const a of Object.values(ledger)) {
    steps += a.steps;
    examples += a.examples;
  }
  return { steps, examples };
}
