import { z } from 'zod';
import { tf } from '@prunelab/engine';
import { Accumulator } from './accumulate.js';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { kernelGrads } from './gradients.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * First-order Taylor importance on the trained weights (Molchanov et al. 2017,
 * "Pruning Convolutional Neural Networks for Resource Efficient Inference";
 * Molchanov et al. 2019, "Importance Estimation for Neural Network Pruning"):
 *
 *     s_k = (1/B) sum_b | w_k * g_k^(b) |,   g^(b) = dL_b/dw, L_b the mean cross-entropy of calibration batch b
 *
 * Choice: the absolute value is taken per batch and then averaged (as
 * Molchanov et al. accumulate per mini-batch), not |sum_b g w|, so opposite
 * gradients in different batches do not cancel.
 */
const taylorSchema = z.object({ ...calibrationFields }).strict();

async function taylorScores(ctx: ScoreContext, o: z.output<typeof taylorSchema>) {
  const { net, ds, seed } = ctx;
  const acc = new Accumulator(net);
  const positions = calibrationPositions(ds, seed, o.batches, o.batchSize);
  forEachBatch(ds, positions, ({ xs, labels }) => {
    tf.tidy(() => {
      kernelGrads(net, xs, labels).forEach((g, l) => acc.add(l, tf.abs(tf.mul(g, net.params[l]!.kernel))));
    });
  });
  return acc.toLayers((s) => s / positions.length);
}

scorerRegistry.register({
  name: 'taylor',
  family: 'baseline',
  granularities: ['weight', 'unit'],
  description: 'First-order Taylor |w * dL/dw| on the trained weights, averaged over calibration batches.',
  reference: 'Molchanov et al. 2017/2019, Pruning CNNs for Resource Efficient Inference; Importance Estimation for Neural Network Pruning',
  schema: taylorSchema,
  create: (o: z.output<typeof taylorSchema>) => ({ score: (ctx: ScoreContext) => taylorScores(ctx, o) }),
});
