import { netMetrics } from '../metrics.js';
import type { CurvePoint, Phase, ScheduleContext } from './types.js';

/** Evaluates the net as it stands and emits one curve point. */
export async function emitPoint(
  ctx: ScheduleContext,
  step: number,
  phase: Phase,
  targetSparsity: number,
  startedAt: number,
): Promise<CurvePoint> {
  const evaluation = await ctx.evaluate(ctx.net);
  const point: CurvePoint = {
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
