import { z } from 'zod';
import { tf } from '@prunelab/engine';
import { Accumulator } from './accumulate.js';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { disposeTrace, exampleLosses, layerDeltas, squaredGradSum } from './gradients.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * Optimal Brain Damage saliency (LeCun, Denker & Solla 1990, "Optimal Brain
 * Damage"):
 *
 *     s_k = 1/2 * h_kk * w_k^2
 *
 * Which Hessian diagonal: `hessian: 'gauss-newton'` (default) is the EXACT
 * diagonal of the Gauss-Newton matrix of the mean cross-entropy,
 *
 *     G_kk = (1/N) sum_n sum_c p_nc (d l_n(c) / d w_k)^2
 *
 * where l_n(c) is example n's loss for label c and p_n the model's softmax
 * (J^T (diag p - p p^T) J = E_{c~p}[g(c) g(c)^T]); it is computed with C
 * backward passes per batch and the exact per-example squared-gradient sums
 * of the fisher scorer. This is OBD's own choice: LeCun et al. drop the
 * second-derivative-of-the-network term (the Levenberg-Marquardt
 * approximation), which also keeps h_kk >= 0. For a linear softmax layer it
 * equals the true Hessian diagonal. `hessian: 'empirical-fisher'` uses the
 * true labels only (G replaced by the empirical Fisher: then OBD = fisher).
 *
 * Exact Hessian-vector products (Hutchinson) were not used: nested tf.grads
 * (grad of grad . v) gives wrong second derivatives through relu/matMul chains
 * in tfjs-core 4.22 on cpu and wasm (checked against finite differences).
 */
const obdSchema = z
  .object({
    ...calibrationFields,
    hessian: z.enum(['gauss-newton', 'empirical-fisher']).default('gauss-newton').describe('Hessian diagonal approximation.'),
  })
  .strict();

async function obdScores(ctx: ScoreContext, o: z.output<typeof obdSchema>) {
  const { net, ds, seed } = ctx;
  const classes = net.arch.classes;
  const acc = new Accumulator(net);
  const n = forEachBatch(ds, calibrationPositions(ds, seed, o.batches, o.batchSize), ({ xs, labels }) => {
    if (o.hessian === 'empirical-fisher') {
      tf.tidy(() => {
        const t = layerDeltas(net, xs, (logits) => exampleLosses(logits, labels, classes));
        try {
          t.deltas.forEach((d, l) => acc.add(l, squaredGradSum(net, l, t.inputs[l]!, d)));
        } finally {
          disposeTrace(t);
        }
      });
      return;
    }
    const probs = tf.tidy(() => tf.softmax(net.forward(xs)));
    try {
      for (let c = 0; c < classes; c++) {
        tf.tidy(() => {
          const pc = tf.reshape(tf.slice(probs, [0, c], [-1, 1]), [-1]) as tf.Tensor1D;
          const t = layerDeltas(net, xs, (logits) => tf.neg(tf.reshape(tf.slice(tf.logSoftmax(logits), [0, c], [-1, 1]), [-1])) as tf.Tensor1D);
          try {
            t.deltas.forEach((d, l) => acc.add(l, squaredGradSum(net, l, t.inputs[l]!, d, pc)));
          } finally {
            disposeTrace(t);
          }
        });
      }
    } finally {
      probs.dispose();
    }
  });
  return acc.toLayers((s, w) => 0.5 * (s / n) * w * w);
}

scorerRegistry.register({
  name: 'obd',
  family: 'baseline',
  granularities: ['weight', 'unit'],
  description: 'Optimal Brain Damage 1/2 h_kk w^2 with the exact Gauss-Newton Hessian diagonal (or empirical Fisher).',
  reference: 'LeCun, Denker & Solla 1990, Optimal Brain Damage',
  schema: obdSchema,
  create: (o: z.output<typeof obdSchema>) => ({ score: (ctx: ScoreContext) => obdScores(ctx, o) }),
});
