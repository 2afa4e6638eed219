import type { ProjectionSpec } from '@prunelab/projection';
import type { ScheduleContext } from './types.js';

/** The run's projection spec (scope, structure, exclude, minDensity) at one sparsity, with overrides. */
export function specAt(ctx: ScheduleContext, sparsity: number, extra: Partial<ProjectionSpec> = {}): ProjectionSpec {
  return { ...ctx.prune, sparsity, ...extra };
}
