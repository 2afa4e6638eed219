import { z } from 'zod';
import { tf } from '@prunelab/engine';
import { Accumulator } from './accumulate.js';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { disposeTrace, exampleLosses, layerDeltas, squaredGradSum } from './gradients.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * Diagonal empirical-Fisher pruning (Theis et al. 2018, "Faster gaze
 * prediction with dense networks and Fisher pruning"; IST-DASLab WoodFisher's
 * diagfisher):
 *
 *     s_k = 1/2 * w_k^2 * F_kk,   F_kk = (1/N) sum_n (d l_n / d w_k)^2
 *
 * with PER-EXAMPLE gradients of the per-example cross-entropy l_n (true
 * labels), not the square of the batch-mean gradient. Per-example squared
 * gradients are summed exactly per calibration batch without materialising
 * them: dense layers use sum_n (a_n outer delta_n)^2 = (a^2)^T (delta^2), one
 * matmul; conv layers unfold one kernel offset at a time (see squaredGradSum).
 */
const fisherSchema = z.object({ ...calibrationFields }).strict();

async function fisherScores(ctx: ScoreContext, o: z.output<typeof fisherSchema>) {
  const { net, ds, seed } = ctx;
  const acc = new Accumulator(net);
  const n = forEachBatch(ds, calibrationPositions(ds, seed, o.batches, o.batchSize), ({ xs, labels }) => {
    tf.tidy(() => {
      const t = layerDeltas(net, xs, (logits) => exampleLosses(logits, labels, net.arch.classes));
      try {
        t.deltas.forEach((d, l) => acc.add(l, squaredGradSum(net, l, t.inputs[l]!, d)));
      } finally {
        disposeTrace(t);
      }
    });
  });
  return acc.toLayers((s, w) => 0.5 * w * w * (s / n));
}

scorerRegistry.register({
  name: 'fisher',
  family: 'information',
  granularities: ['weight', 'unit'],
  description: '1/2 w^2 (1/N) sum_n (dl_n/dw)^2: diagonal empirical Fisher from per-example gradients.',
  reference: 'Theis et al. 2018, Faster gaze prediction with dense networks and Fisher pruning',
  schema: fisherSchema,
  create: (o: z.output<typeof fisherSchema>) => ({ score: (ctx: ScoreContext) => fisherScores(ctx, o) }),
});
