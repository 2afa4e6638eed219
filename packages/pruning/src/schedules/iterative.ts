import { z } from 'zod';
import type { LayerMask } from '@prunelab/projection';
import { allMasks, projectNet, type NetProjection } from '../groups/index.js';
import { scheduleRegistry, type PlannedTraining } from './registry.js';
import { emitPoint, pruneAndFinetune } from './point.js';
import { specAt } from './spec.js';
import { Net, getWeights, setWeights, type NamedArray } from '@prunelab/models';
import type { PruneSpec, ScheduleContext, TrainingPhase } from './types.js';

/**
 * Iterative pruning: each round removes a fraction `rate` of the weights that
 * remain, then fine-tunes with the sweep's budget (ctx.finetune, per round).
 * Han et al. 2015 (rewind 'none': continue from the fine-tuned weights);
 * Frankle & Carbin 2019, the lottery ticket (rewind 'init': surviving weights
 * go back to their initial values each round; 0.2 per round, 0.1 for the
 * output layer via ratePerLayer); Frankle et al. 2020 (rewind { iteration: k }:
 * back to the weights after step k of dense training).
 *
 * Random re-initialisation controls (fresh random weights from a different init
 * stream of the run's seed, the same ones every round):
 * - `reinit: ticket` is Frankle & Carbin 2019's control: every round, the
 *   winning ticket's own mask with re-initialised surviving weights. The run
 *   follows the ticket's trajectory itself to find those masks (training that
 *   is recorded as 'mask-derivation' and never evaluated), and trains and
 *   evaluates the re-initialised net under each round's ticket mask.
 * - `reinit: true` (the older control) re-initialises every round but takes
 *   each round's mask from its own re-initialised, trained weights, so only
 *   round 1 shares the ticket's mask.
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
    ratePerLayer: z
      .record(z.string(), z.number().gt(0).lt(1))
      .optional()
      .describe('Per-layer rates, e.g. { dense3: 0.1 } for the output layer; implies a layerwise scope.'),
    rewind: z
      .union([z.enum(['init', 'none']), z.object({ iteration: z.number().int().min(0) }).strict()])
      .default('none')
      .describe(
        "Before each round's fine-tuning: 'none' keeps the weights, 'init' rewinds to the initial weights (lottery ticket), { iteration: k } to dense-training step k.",
      ),
    reinit: z
      .union([z.boolean(), z.literal('ticket')])
      .default(false)
      .describe(
        "Random re-initialisation control. 'ticket': Frankle & Carbin 2019's, the ticket's mask of every round (from the rewind setting's trajectory) with fresh random weights; true: fresh random weights each round, masks from the re-initialised net's own training.",
      ),
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
export function rewindIterations(o: IterativeOptions): number[] {
  // The ticket control follows the ticket's trajectory, rewinds included.
  return typeof o.rewind === 'object' && o.reinit !== true ? [o.rewind.iteration] : [];
}

/** How many trainings of the fine-tuning budget a run does: one per round, plus the ticket control's mask derivation. */
export function iterativeTrainings(o: IterativeOptions, sMax: number): { rounds: number; maskDerivation: number } {
  const rounds = iterativeLevels(o.rate, sMax).length;
  // The last round's ticket mask needs no training after it.
  return { rounds, maskDerivation: o.reinit === 'ticket' ? Math.max(0, rounds - 1) : 0 };
}

/**
 * What each round's evaluated training is, in the run's record: from fresh
 * weights (either control), from rewound ones (a ticket), or a continued
 * fine-tuning (Han et al. 2015).
 */
function roundPhase(o: IterativeOptions): TrainingPhase {
  if (o.reinit !== false) return 'reinit-train';
  return o.rewind === 'none' ? 'finetune' : 'rewind-train';
}

/** The training of a run: one budget per round, and the ticket control's mask derivation on top (extra training). */
function iterativeTraining(o: IterativeOptions, targets: readonly number[], budget: number): PlannedTraining {
  const t = iterativeTrainings(o, Math.max(0, ...targets));
  return { rounds: t.rounds, steps: { [roundPhase(o)]: t.rounds * budget, ...(t.maskDerivation > 0 && { 'mask-derivation': t.maskDerivation * budget }) } };
}

export async function runIterative(ctx: ScheduleContext, o: IterativeOptions): Promise<void> {
  const t0 = performance.now();
  if (o.ratePerLayer && typeof ctx.prune.scope === 'object' && ctx.prune.scope !== null) {
    throw new Error('iterative: give per-layer rates with ratePerLayer, not with an explicit per-layer scope');
  }
  setWeights(ctx.net, ctx.denseWeights);
  await emitPoint(ctx, 0, 'dense', 0, t0);
  ctx.checkCancelled();
  // reinit: true never rewinds, so the runner saves no dense snapshot for it.
  const ticketRewind = o.reinit === true ? undefined : rewindTarget(ctx, o.rewind);
  const fresh = o.reinit === false ? undefined : freshWeights(ctx);
  const levels = iterativeLevels(o.rate, Math.max(0, ...ctx.targets));
  let previous: LayerMask[] | undefined;
  let step = 1;
  for (const [r, sparsity] of levels.entries()) {
    const t = performance.now();
    // The net holds the trajectory's weights: the ticket's, or with reinit: true the control's own.
    const result = await roundMasks(ctx, o, r, sparsity, previous);
    previous = result.masks;
    let ticket: readonly NamedArray[] | undefined;
    if (o.reinit === 'ticket' && r < levels.length - 1) {
      // The ticket's own round, exactly as the ticket run does it (its pruned and
      // fine-tuned points are not evaluated, which changes no weight), so the next
      // round scores the same weights the ticket run scores.
      if (ticketRewind) setWeights(ctx.net, ticketRewind);
      await pruneAndFinetune(ctx, allMasks(result), step, sparsity, t, { phase: 'mask-derivation', evaluate: false });
      ticket = copyWeights(ctx.net);
    }
    const start = fresh ?? ticketRewind;
    if (start) setWeights(ctx.net, start);
    step = await pruneAndFinetune(ctx, allMasks(result), step, sparsity, t, { phase: roundPhase(o) });
    if (ticket) setWeights(ctx.net, ticket);
  }
}

/** Scores the net's current weights and projects them to round r's sparsity, keeping pruned weights pruned. */
async function roundMasks(
  ctx: ScheduleContext,
  o: IterativeOptions,
  r: number,
  sparsity: number,
  previous: readonly LayerMask[] | undefined,
): Promise<NetProjection> {
  const scores = await ctx.score(ctx.net);
  const perLayer = o.ratePerLayer && {
    perLayer: Object.fromEntries(Object.entries(o.ratePerLayer).map(([name, rate]) => [name, 1 - (1 - rate) ** (r + 1)])),
  };
  return projectNet(ctx.net, scores, specAt(ctx, sparsity, { ...(previous && { previous }), ...(perLayer && { scope: perLayer }) }));
}

/** A different init stream of the same seed: not the initial weights, and not another seed's run either. */
function freshWeights(ctx: ScheduleContext): readonly NamedArray[] {
  const fresh = new Net(ctx.net.arch, ctx.seed, { randomInit: true, initStream: 'reinit' });
  try {
    return copyWeights(fresh);
  } finally {
    fresh.dispose();
  }
}

function copyWeights(net: Net): NamedArray[] {
  return getWeights(net).map((w) => ({ ...w, data: Float32Array.from(w.data) }));
}

function rewindTarget(ctx: ScheduleContext, rewind: IterativeOptions['rewind']): readonly NamedArray[] | undefined {
  if (rewind === 'none') return undefined;
  if (rewind === 'init') return ctx.initialWeights;
  const k = rewind.iteration;
  const saved = ctx.rewindWeights?.get(k);
  if (!saved) {
    const have = [...(ctx.rewindWeights?.keys() ?? [])];
    throw new Error(
      `iterative: rewind to iteration ${k} needs the dense weights saved after step ${k} (ctx.rewindWeights has ${have.length ? have.join(', ') : 'none'})`,
    );
  }
  return saved;
}

scheduleRegistry.register({
  name: 'iterative',
  description: 'Remove a fraction of the remaining weights per round and fine-tune; optional rewinding (lottery ticket) or random re-init.',
  reference: 'Han et al. 2015; Frankle & Carbin 2019; Frankle et al. 2020',
  schema: iterativeSchema,
  create: (o: IterativeOptions) => ({ run: (ctx: ScheduleContext) => runIterative(ctx, o) }),
  training: iterativeTraining,
  snapshots: rewindIterations,
  layers: (o: IterativeOptions) => Object.keys(o.ratePerLayer ?? {}).map((layer) => ({ key: ['ratePerLayer', layer], layer })),
  // ratePerLayer makes the scope per layer itself (see above).
  conflict: (o: IterativeOptions, prune: PruneSpec) =>
    o.ratePerLayer && typeof prune.scope === 'object'
      ? {
          key: ['ratePerLayer'],
          problem: 'ratePerLayer sets a per-layer scope of its own, and prune.scope gives another',
          fix: 'Give the per-layer rates with ratePerLayer only, and leave prune.scope out',
        }
      : undefined,
});
