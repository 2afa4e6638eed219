import { z } from 'zod';
import { PrunelabError } from '@prunelab/core';
import type { LayerMask } from '@prunelab/projection';
import { allMasks, projectNet } from '../groups/index.js';
import { splitSize } from '@prunelab/datasets';
import { scheduleRegistry } from './registry.js';
import { emitPoint } from './point.js';
import { specAt } from './spec.js';
import { applyMasks, disposeMasks, masksFromArrays } from '../masks.js';
import { type MaskSet, stepsFor, trainAsync, setWeights } from '@prunelab/models';
import type { ScheduleContext } from './types.js';

/**
 * Gradual pruning, Zhu & Gupta 2017, "To prune, or not to prune":
 *
 *     s_t = s_f + (s_i - s_f) * (1 - (t - t0) / (n * dt))^3,  t in {t0, t0 + dt, ..., t0 + n*dt}
 *
 * (TF-MOT's PolynomialDecay with power 3). From the trained dense model, for
 * each target s_f, training runs for the sweep's fine-tuning budget; every dt
 * steps the scorer re-scores the current weights and the projection re-prunes
 * to s_t, with the previous mask as `previous` so pruned weights stay pruned.
 * Once s_f is reached (t0 + n*dt) the mask is frozen and the remaining steps
 * fine-tune. By default dt spreads the n updates over the first half of the
 * budget (`pruneFraction` 0.5).
 */
const gradualSchema = z
  .object({
    initialSparsity: z.number().min(0).lt(1).default(0).describe('s_i, the sparsity at the first update t0.'),
    updates: z.number().int().positive().default(10).describe('n, the number of mask updates after t0.'),
    startStep: z.number().int().min(0).default(0).describe('t0, the step of the first update (0 = before the first step).'),
    every: z.number().int().positive().optional().describe('dt, steps between updates; default: pruneFraction of the budget after t0, divided by n.'),
    pruneFraction: z.number().gt(0).max(1).default(0.5).describe('Share of the fine-tuning budget spent pruning when `every` is not given.'),
  })
  .strict();

type GradualOptions = z.output<typeof gradualSchema>;

export interface CubicSchedule {
  readonly si: number;
  readonly sf: number;
  readonly t0: number;
  readonly n: number;
  readonly dt: number;
}

/** Zhu & Gupta 2017's cubic sparsity at step t: s_i before t0, s_f from t0 + n*dt on. */
export function cubicSparsity(t: number, { si, sf, t0, n, dt }: CubicSchedule): number {
  if (t <= t0) return si;
  const end = t0 + n * dt;
  if (t >= end) return sf;
  return sf + (si - sf) * (1 - (t - t0) / (n * dt)) ** 3;
}

/** The steps at which the mask is updated: t0, t0 + dt, ..., t0 + n*dt. */
export function updateSteps({ t0, n, dt }: Pick<CubicSchedule, 't0' | 'n' | 'dt'>): number[] {
  return Array.from({ length: n + 1 }, (_, i) => t0 + i * dt);
}

/**
 * dt, the steps between mask updates, in a fine-tuning budget of `total`
 * steps. The last update must fall inside the budget, or the target would
 * never be reached; checked before the run starts (the schedule's `training`).
 */
function updateInterval(o: GradualOptions, total: number): number {
  const dt = o.every ?? Math.max(1, Math.floor((o.pruneFraction * (total - o.startStep)) / o.updates));
  if (o.startStep + o.updates * dt > total) {
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `gradual: the last update (step ${o.startStep + o.updates * dt}) is past the fine-tuning budget of ${total} steps`,
      {
        path: o.every !== undefined ? 'schedule.every' : 'schedule.updates',
        value: o.every ?? o.updates,
        fix: 'Lower startStep, updates or every, or raise finetune.epochs',
      },
    );
  }
  return dt;
}

async function runGradual(ctx: ScheduleContext, o: GradualOptions): Promise<void> {
  const start = performance.now();
  setWeights(ctx.net, ctx.denseWeights);
  await emitPoint(ctx, 0, 'dense', 0, start);
  ctx.checkCancelled();
  const dt = updateInterval(o, stepsFor(ctx.finetune, splitSize(ctx.ds, 'train')));
  let step = 1;
  for (const target of ctx.targets) {
    const t = performance.now();
    setWeights(ctx.net, ctx.denseWeights);
    const sched: CubicSchedule = { si: Math.min(o.initialSparsity, target), sf: target, t0: o.startStep, n: o.updates, dt };
    const last = sched.t0 + sched.n * dt;
    let masks: MaskSet | undefined;
    let previous: LayerMask[] | undefined;
    const update = async (at: number): Promise<void> => {
      const s = cubicSparsity(at, sched);
      if (s <= 0 && !previous) return;
      const scores = await ctx.score(ctx.net);
      const result = projectNet(ctx.net, scores, specAt(ctx, s, previous ? { previous } : {}));
      const next = masksFromArrays(ctx.net, allMasks(result));
      applyMasks(ctx.net, next);
      if (masks) disposeMasks(masks);
      masks = next;
      previous = result.masks;
      if (at === last) await emitPoint(ctx, step++, 'pruned', target, t);
      ctx.checkCancelled();
    };
    try {
      if (sched.t0 === 0) await update(0);
      const trained = await trainAsync(ctx.net, ctx.ds, ctx.finetune, {
        seed: ctx.seed,
        masksProvider: () => masks,
        onStep: async (s) => {
          if (s >= sched.t0 && s <= last && (s - sched.t0) % dt === 0) await update(s);
        },
      });
      ctx.recordTraining('gradual', trained);
      await emitPoint(ctx, step++, 'finetuned', target, t);
      ctx.checkCancelled();
    } finally {
      if (masks) disposeMasks(masks);
    }
  }
}

scheduleRegistry.register({
  name: 'gradual',
  description: "Zhu & Gupta's cubic schedule: re-score and re-prune every dt steps during fine-tuning, freeze at the target.",
  reference: 'Zhu & Gupta 2017',
  schema: gradualSchema,
  create: (o: GradualOptions) => ({ run: (ctx: ScheduleContext) => runGradual(ctx, o) }),
  // One budget per target, during which the mask is updated.
  training: (o: GradualOptions, targets: readonly number[], budget: number) => {
    updateInterval(o, budget);
    return { rounds: targets.length, steps: { gradual: targets.length * budget } };
  },
  snapshots: () => [],
});
