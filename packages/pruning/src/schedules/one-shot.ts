import { z } from 'zod';
import { allMasks, projectNet } from '../groups/index.js';
import { scheduleRegistry } from './registry.js';
import { emitPoint, pruneAndFinetune } from './point.js';
import { specAt } from './spec.js';
import { setWeights } from '@prunelab/models';
import type { ScheduleContext } from './types.js';

/**
 * One-shot pruning (Han et al. 2015, without iteration): from the same trained
 * dense model, prune to each target with one projection and fine-tune with the
 * sweep's budget. The scores of the dense model are computed once and shared
 * by every target, since every target starts from the same weights.
 */
export const oneShotSchema = z.object({}).strict();

async function runOneShot(ctx: ScheduleContext): Promise<void> {
  const t0 = performance.now();
  await emitPoint(ctx, 0, 'dense', 0, t0);
  ctx.checkCancelled();
  const scores = await ctx.score(ctx.net);
  let step = 1;
  for (const target of ctx.targets) {
    const t = performance.now();
    setWeights(ctx.net, ctx.denseWeights);
    const result = projectNet(ctx.net, scores, specAt(ctx, target));
    step = await pruneAndFinetune(ctx, allMasks(result), step, target, t);
  }
}

export const oneShotSchedule = scheduleRegistry.register({
  name: 'one-shot',
  description: 'Prune the trained dense model to each target once, then fine-tune each with the same budget.',
  reference: 'Han et al. 2015',
  schema: oneShotSchema,
  create: () => ({ run: runOneShot }),
  // One fine-tuning budget per target.
  training: (_o: z.output<typeof oneShotSchema>, targets: readonly number[], budget: number) => ({
    rounds: targets.length,
    steps: { finetune: targets.length * budget },
  }),
  snapshots: () => [],
});
