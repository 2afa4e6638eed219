import { z } from 'zod';
import { log } from '@prunelab/core';
import { tf } from '@prunelab/engine';
import { getWeights, setWeights } from '@prunelab/models';
import { calibrationPositions, forEachBatch } from './calibration.js';
import { kernelGrads } from './gradients.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * SNIP connection sensitivity at initialisation (Lee et al. 2019, "SNIP:
 * Single-shot Network Pruning based on Connection Sensitivity"):
 *
 *     s_k = |g_k w_k| / sum_j |g_j w_j|,   g = dL/dw on one batch of `batchSize` train examples
 *
 * normalised over all prunable layers together (the paper's global
 * normalisation; it does not change the ranking).
 *
 * At initialisation: with `atInit: true` (the default) and
 * `ctx.initialWeights` given, the net is temporarily set to the initial
 * weights, scored, and restored to its current weights (one host copy of the
 * weights), so a one-shot run that scores the trained net still gets SNIP's
 * at-init ranking. Without `initialWeights`, the net is scored as given (at
 * init when the caller passes an untrained net). `atInit: false` scores the
 * current weights (a single-batch Taylor score).
 */
const snipSchema = z
  .object({
    batchSize: z.number().int().positive().default(256).describe('Examples in the single SNIP batch.'),
    atInit: z.boolean().default(true).describe('Score the initial weights (ctx.initialWeights) when given.'),
  })
  .strict();

async function snipScores(ctx: ScoreContext, o: z.output<typeof snipSchema>): Promise<UnitScoredLayer[]> {
  const { net, ds, seed } = ctx;
  if (!(o.atInit && ctx.initialWeights)) {
    if (o.atInit) log.debug('snip: no initialWeights given; scoring the net as given');
    return snipOnCurrent(ctx, o.batchSize);
  }
  const saved = getWeights(net);
  setWeights(net, ctx.initialWeights);
  try {
    return snipOnCurrent({ net, ds, seed }, o.batchSize);
  } finally {
    setWeights(net, saved);
  }
}

function snipOnCurrent({ net, ds, seed }: ScoreContext, batchSize: number): UnitScoredLayer[] {
  const positions = calibrationPositions(ds, seed, 1, batchSize);
  let out: Float32Array[] = [];
  forEachBatch(ds, positions, ({ xs, labels }) => {
    out = tf.tidy(() => kernelGrads(net, xs, labels).map((g, l) => tf.abs(tf.mul(g, net.params[l]!.kernel)).dataSync() as Float32Array));
  });
  let total = 0;
  for (const s of out) for (let i = 0; i < s.length; i++) total += s[i]!;
  return net.params.map((p, l) => {
    const s = out[l]!;
    const scores = new Float32Array(s.length);
    for (let i = 0; i < s.length; i++) scores[i] = total > 0 ? s[i]! / total : 0;
    return { name: p.name, shape: [...p.kernel.shape], scores };
  });
}

scorerRegistry.register({
  name: 'snip',
  family: 'baseline',
  granularities: ['weight', 'unit'],
  description: 'SNIP |g w| / sum |g w| on one batch, at initialisation (ctx.initialWeights) by default.',
  reference: 'Lee et al. 2019, SNIP: Single-shot Network Pruning based on Connection Sensitivity',
  schema: snipSchema,
  create: (o: z.output<typeof snipSchema>) => ({ score: (ctx: ScoreContext) => snipScores(ctx, o) }),
});
