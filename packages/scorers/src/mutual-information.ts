import { z } from 'zod';
import { binColumn, collectUnitActivations } from './activations.js';
import { calibrationFields, calibrationPositions } from './calibration.js';
import { spreadUnitScores } from './units.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * Mutual information between a unit's output and the label, estimated by
 * binning (the plug-in estimator over a histogram, as in the information
 * bottleneck analyses of Shwartz-Ziv & Tishby 2017):
 *
 *     I(a_j; y) = sum_{b, c} p(b, c) log( p(b, c) / (p(b) p(c)) )   (nats)
 *
 * with a_j binned into m equal-width bins between its min and max over the
 * calibration set (post-activation, conv channels globally average-pooled),
 * and y the true class. A unit that says nothing about the label is
 * unimportant. The plug-in estimate is biased upwards by about
 * (m-1)(C-1)/(2N) nats, equally for every unit with the same number of
 * occupied bins. Unit granularity only: each weight of unit j gets
 * I_j / (weights in unit j); `unitScores` holds I_j.
 */
const mutualInformationSchema = z
  .object({ ...calibrationFields, bins: z.number().int().min(2).default(16).describe('Histogram bins m for the activation.') })
  .strict();

function binnedMutualInformation(binned: Int32Array, labels: Int32Array, bins: number, classes: number): number {
  const n = binned.length;
  const joint = new Float64Array(bins * classes);
  const pb = new Float64Array(bins);
  const pc = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    const b = binned[i]!;
    const c = labels[i]!;
    joint[b * classes + c]!++;
    pb[b]!++;
    pc[c]!++;
  }
  let mi = 0;
  for (let b = 0; b < bins; b++) {
    for (let c = 0; c < classes; c++) {
      const j = joint[b * classes + c]!;
      if (j === 0) continue;
      mi += (j / n) * Math.log((j * n) / (pb[b]! * pc[c]!));
    }
  }
  return Math.max(0, mi);
}

async function mutualInformationScores(ctx: ScoreContext, o: z.output<typeof mutualInformationSchema>): Promise<UnitScoredLayer[]> {
  const { net, ds, seed } = ctx;
  const acts = collectUnitActivations(net, ds, calibrationPositions(ds, seed, o.batches, o.batchSize));
  return net.params.map((p, l) => {
    const units = acts.units[l]!;
    const unitScores = new Float32Array(units);
    for (let j = 0; j < units; j++) {
      unitScores[j] = binnedMutualInformation(binColumn(acts.values[l]!, acts.n, units, j, o.bins), acts.labels, o.bins, ds.classes);
    }
    return spreadUnitScores(p.name, p.kernel.shape, unitScores);
  });
}

scorerRegistry.register({
  name: 'mutual-information',
  family: 'information',
  granularities: ['unit'],
  description: "Binned mutual information I(a_j; y) between each unit's (pooled) output and the label.",
  reference: 'Plug-in histogram estimator of I(a; y); Shwartz-Ziv & Tishby 2017, Opening the Black Box of Deep Neural Networks via Information',
  schema: mutualInformationSchema,
  create: (o: z.output<typeof mutualInformationSchema>) => ({ score: (ctx: ScoreContext) => mutualInformationScores(ctx, o) }),
});
