import { z } from 'zod';
import { project, type LayerMask } from '@prunelab/projection';
import { scheduleRegistry } from './registry.js';
import { emitPoint } from './point.js';
import { specAt } from './spec.js';
import { applyMasks, disposeMasks, masksFromArrays } from '../masks.js';
import { Net } from '../net.js';
import { train } from '../train.js';
import { getWeights, setWeights, type NamedArray } from '../weights.js';
import type { ScheduleContext } from './types.js';

/**
 * Iterative pruning: each round removes a fraction `rate` of the weights that
 * remain, then fine-tunes with the sweep's budget (ctx.finetune, per round).
 * Han et al. 2015 (rewind 'none': continue from the fine-tuned weights);
 * Frankle & Carbin 2019, the lottery ticket (rewind 'init': surviving weights
 * go back to their initial values each round; 0.2 per round, 0.1 for the
 * output layer via ratePerLayer); Frankle et al. 2020 (rewind { iteration: k }:
 * back to the weights after step k of dense training). `reinit: true` is the
 * random re-initialisation control of Frankle & Carbin 2019: the same masks,
 * with fresh random weights from a different init stream.
 *
 * How rate maps onto the projection: after round r the cumulative sparsity is
 * s_r = 1 - (1 - rate)^r, passed as the projection's `sparsity` with the
 * previous round's masks as `previous` (pruned weights never come back). With
 * `ratePerLayer`, the scope becomes { perLayer: { l: 1 - (1 - rate_l)^r } }, so
 * the schedule is layerwise (layers not listed use `rate`) and overrides the
 * run's scope; an explicit per-layer scope in the run is rejected.
 *
 * How targets map onto rounds: only the largest target s_max matters. The run
 * does R = ceil(log(1 - s_max) / log(1 - rate)) rounds and the last round is
 * clamped to s_max exactly (rate 0.2, s_max 0.9: 11 rounds, 0.2 ... 0.893, 0.9).
 * Every round emits a 'pruned' and a 'finetuned' point, all in one run.
 */
export const iterativeSchema = z
  .object({
    rate: z.number().gt(0).lt(1).default(0.2).describe('Fraction of the remaining weights removed per round (0.2 in Frankle & Carbin 2019).'),
    ratePerLayer: z.record(z.string(), z.number().gt(0).lt(1)).optional().describe('Per-layer rates, e.g. { dense3: 0.1 } for the output layer; implies a layerwise scope.'),
    rewind: z
      .union([z.enum(['init', 'none']), z.object({ iteration: z.number().int().min(0) }).strict()])
      .default('none')
      .describe("Before each round's fine-tuning: 'none' keeps the weights, 'init' rewinds to the initial weights (lottery ticket), { iteration: k } to dense-training step k."),
    reinit: z.boolean().default(false).describe('Random re-initialisation control: keep each mask, but with fresh random weights.'),
  })
  .strict();

export type IterativeOptions = z.output<typeof iterativeSchema>;

/** Cumulative sparsity after each round: 1 - (1 - rate)^r, the last clamped to sMax. Empty when sMax is 0. */
export function iterativeLevels(rate: number, sMax: number): number[] {
  if (sMax <= 0) return [];
  // The tolerance keeps e.g. rate 0.5, s_max 0.75 at exactly 2 rounds despite float rounding.
  const rounds = Math.max(1, Math.ceil(Math.log(1 - sMax) / Math.log(1 - rate) - 1e-9));
  return Array.from({ length: rounds }, (_, i) => Math.min(1 - (1 - rate) ** (i + 1), sMax));
}

/** Dense-training steps whose weights the runner must save in ctx.rewindWeights for these options. */
export function rewindIterations(options: unknown): number[] {
  const o = iterativeSchema.parse(options);
  return typeof o.rewind === 'object' && !o.reinit ? [o.rewind.iteration] : [];
}

export async function runIterative(ctx: ScheduleContext, o: IterativeOptions): Promise<void> {
  const t0 = performance.now();
  if (o.ratePerLayer && typeof ctx.prune.scope === 'object' && ctx.prune.scope !== null) {
    throw new Error('iterative: give per-layer rates with ratePerLayer, not with an explicit per-layer scope');
  }
  setWeights(ctx.net, ctx.denseWeights);
  await emitPoint(ctx, 0, 'dense', 0, t0);
  ctx.checkCancelled();
  const rewindTo = rewindTarget(ctx, o);
  const levels = iterativeLevels(o.rate, Math.max(0, ...ctx.targets));
  let previous: LayerMask[] | undefined;
  let step = 1;
  for (const [r, sparsity] of levels.entries()) {
    const t = performance.now();
    const scores = await ctx.score(ctx.net);
    const perLayer = o.ratePerLayer && {
      perLayer: Object.fromEntries(Object.entries(o.ratePerLayer).map(([name, rate]) => [name, 1 - (1 - rate) ** (r + 1)])),
    };
    const result = project(scores, specAt(ctx, sparsity, { ...(previous && { previous }), ...(perLayer && { scope: perLayer }) }));
    if (rewindTo) setWeights(ctx.net, rewindTo);
    const masks = masksFromArrays(ctx.net, result.masks);
    try {
      applyMasks(ctx.net, masks);
      await emitPoint(ctx, step++, 'pruned', sparsity, t);
      ctx.checkCancelled();
      train(ctx.net, ctx.ds, ctx.finetune, { seed: ctx.seed, masks });
      await emitPoint(ctx, step++, 'finetuned', sparsity, t);
      ctx.checkCancelled();
    } finally {
      disposeMasks(masks);
    }
    previous = result.masks;
  }
}

function rewindTarget(ctx: ScheduleContext, o: IterativeOptions): readonly NamedArray[] | undefined {
  if (o.reinit) {
    // A different init stream of the same seed: not the initial weights, and not another seed's run either.
    const fresh = new Net(ctx.net.arch, ctx.seed, { randomInit: true, initStream: 'reinit' });
    try {
      return getWeights(fresh).map((w) => ({ ...w, data: Float32Array.from(w.data) }));
    } finally {
      fresh.dispose();
    }
  }
  if (o.rewind === 'none') return undefined;
  if (o.rewind === 'init') return ctx.initialWeights;
  const k = o.rewind.iteration;
  const saved = ctx.rewindWeights?.get(k);
  if (!saved) {
    const have = [...(ctx.rewindWeights?.keys() ?? [])];
    throw new Error(`iterative: rewind to iteration ${k} needs the dense weights saved after step ${k} (ctx.rewindWeights has ${have.length ? have.join(', ') : 'none'})`);
  }
  return saved;
}

export const iterativeSchedule = scheduleRegistry.register({
  name: 'iterative',
  description: 'Remove a fraction of the remaining weights per round and fine-tune; optional rewinding (lottery ticket) or random re-init.',
  reference: 'Han et al. 2015; Frankle & Carbin 2019; Frankle et al. 2020',
  schema: iterativeSchema,
  create: (o: IterativeOptions) => ({ run: (ctx: ScheduleContext) => runIterative(ctx, o) }),
});
