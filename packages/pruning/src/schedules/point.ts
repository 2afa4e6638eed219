import { netMetrics, train } from '@prunelab/models';
import { applyMasks, disposeMasks, masksFromArrays } from '../masks.js';
import type { Phase, ScheduleContext, SchedulePoint, TrainingPhase } from './types.js';

/** Evaluates the net as it stands and emits one curve point. */
export async function emitPoint(ctx: ScheduleContext, step: number, phase: Phase, targetSparsity: number, startedAt: number): Promise<SchedulePoint> {
  const evaluation = await ctx.evaluate(ctx.net);
  const point: SchedulePoint = {
    step,
    phase,
    targetSparsity,
    ...netMetrics(ctx.net, ctx.prune.exclude),
    ...evaluation,
    wallMs: performance.now() - startedAt,
  };
  ctx.emit(point);
  return point;
}

/** How pruneAndFinetune trains. */
export interface FinetuneOptions {
  /** Train this many steps instead of the sweep's whole budget (ADMM's retraining after its own phase). */
  readonly steps?: number;
  /** What the training is for, in the run's record. Default 'finetune'. */
  readonly phase?: TrainingPhase;
  /**
   * Emit the pruned and fine-tuned points. Default true; false for training
   * that is never evaluated (the lottery-ticket control's mask derivation).
   */
  readonly evaluate?: boolean;
}

/**
 * The last step every pruning schedule shares: apply the masks, record the
 * pruned point, fine-tune with the masks held (the sweep's common budget, or
 * `steps` of it) and record the fine-tuned point; without the points when
 * `evaluate` is false. Returns the next step number.
 */
export async function pruneAndFinetune(
  ctx: ScheduleContext,
  masksArrays: ReadonlyArray<{ name: string; mask: Uint8Array }>,
  step: number,
  target: number,
  startedAt: number,
  { steps, phase = 'finetune', evaluate = true }: FinetuneOptions = {},
): Promise<number> {
  const masks = masksFromArrays(ctx.net, masksArrays);
  try {
    applyMasks(ctx.net, masks);
    if (evaluate) {
      await emitPoint(ctx, step++, 'pruned', target, startedAt);
      ctx.checkCancelled();
    }
    ctx.recordTraining(phase, train(ctx.net, ctx.ds, ctx.finetune, { seed: ctx.seed, masks, ...(steps !== undefined && { steps }) }));
    if (evaluate) await emitPoint(ctx, step++, 'finetuned', target, startedAt);
    ctx.checkCancelled();
  } finally {
    disposeMasks(masks);
  }
  return step;
}
