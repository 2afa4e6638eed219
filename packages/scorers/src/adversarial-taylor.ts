import { z } from 'zod';
import { tf } from '@prunelab/engine';
import { Accumulator } from './accumulate.js';
import { attackFields, clipRange } from './attacks/common.js';
import { craft } from './attacks/robust-accuracy.js';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { kernelGrads } from './gradients.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * Adversarial Taylor importance: the first-order Taylor term of the ROBUST
 * loss, the robust counterpart of `taylor` (cf. Sehwag et al. 2020, "HYDRA:
 * Pruning Adversarially Robust Neural Networks"; Ye et al. 2019, "Adversarial
 * Robustness vs. Model Compression, or Both?"):
 *
 *     s_k = (1/B) sum_b | w_k * dL_adv^(b)/dw_k |,   L_adv^(b) = mean CE on x'_b = attack(x_b)
 *
 * x'_b is crafted from calibration batch b against the current weights with
 * FGSM (x' = clip(x + eps sign(grad_x L))) or PGD (steps of size alpha,
 * projected into the eps-ball, clipped), see src/attacks. eps is in
 * normalised input units; the clip range defaults to the dataset's raw [0, 1]
 * mapped through its normalisation (no clip for float data).
 */
const adversarialTaylorSchema = z.object({ ...calibrationFields, ...attackFields }).strict();

async function adversarialTaylorScores(ctx: ScoreContext, o: z.output<typeof adversarialTaylorSchema>) {
  const { net, ds, seed } = ctx;
  const acc = new Accumulator(net);
  const range = clipRange(ds, o.clipMin, o.clipMax);
  const positions = calibrationPositions(ds, seed, o.batches, o.batchSize);
  forEachBatch(ds, positions, ({ xs, labels, index }) => {
    const adv = craft(net, xs, labels, { ...o, seed }, range, seed * 1000 + index);
    try {
      tf.tidy(() => {
        kernelGrads(net, adv, labels).forEach((g, l) => acc.add(l, tf.abs(tf.mul(g, net.params[l]!.kernel))));
      });
    } finally {
      adv.dispose();
    }
  });
  return acc.toLayers((s) => s / positions.length);
}

scorerRegistry.register({
  name: 'adversarial-taylor',
  family: 'robustness',
  granularities: ['weight', 'unit'],
  description: '|w * dL_adv/dw| on FGSM/PGD examples crafted from the calibration batches.',
  reference: 'Sehwag et al. 2020 (HYDRA); Ye et al. 2019, Adversarial Robustness vs. Model Compression, or Both?',
  schema: adversarialTaylorSchema,
  create: (o: z.output<typeof adversarialTaylorSchema>) => ({ score: (ctx: ScoreContext) => adversarialTaylorScores(ctx, o) }),
});
