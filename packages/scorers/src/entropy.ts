import { z } from 'zod';
import { binColumn, collectUnitActivations } from './activations.js';
import { calibrationFields, calibrationPositions } from './calibration.js';
import { spreadUnitScores } from './units.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * Entropy-based unit importance (Luo & Wu 2017, "An Entropy-based Pruning
 * Method for CNN Compression"):
 *
 *     H_j = - sum_{i=1..m} p_i log p_i   (natural log)
 *
 * over m equal-width bins between the min and max of unit j's output across
 * the calibration set; the output is the post-activation value (after ReLU
 * and any per-channel layers carried after it, see activations.ts),
 * globally average-pooled over positions for conv channels. A unit whose
 * output barely varies carries little information: low entropy, less
 * important. Unit granularity only: each weight of unit j gets H_j / (weights
 * in unit j) and `unitScores` holds H_j.
 */
const entropySchema = z.object({ ...calibrationFields, bins: z.number().int().min(2).default(32).describe('Histogram bins m.') }).strict();

function entropyOfBins(binned: Int32Array, bins: number): number {
  const counts = new Float64Array(bins);
  for (const b of binned) counts[b]!++;
  let h = 0;
  for (const c of counts) {
    if (c === 0) continue;
    const p = c / binned.length;
    h -= p * Math.log(p);
  }
  return h;
}

async function entropyScores(ctx: ScoreContext, o: z.output<typeof entropySchema>): Promise<UnitScoredLayer[]> {
  const { net, ds, seed } = ctx;
  const acts = collectUnitActivations(net, ds, calibrationPositions(ds, seed, o.batches, o.batchSize));
  return net.params.map((p, l) => {
    const units = acts.units[l]!;
    const unitScores = new Float32Array(units);
    for (let j = 0; j < units; j++) unitScores[j] = entropyOfBins(binColumn(acts.values[l]!, acts.n, units, j, o.bins), o.bins);
    return spreadUnitScores(p.name, p.kernel.shape, unitScores);
  });
}

scorerRegistry.register({
  name: 'entropy',
  family: 'information',
  granularities: ['unit'],
  description: "Entropy of each unit's binned (pooled) output over the calibration set; low entropy = less important.",
  reference: 'Luo & Wu 2017, An Entropy-based Pruning Method for CNN Compression',
  schema: entropySchema,
  create: (o: z.output<typeof entropySchema>) => ({ score: (ctx: ScoreContext) => entropyScores(ctx, o) }),
});
