import { z } from 'zod';
import { splitSize } from '@prunelab/datasets';
import { tf } from '@prunelab/engine';
import { getWeights, setWeights, train, trainingSchema } from '@prunelab/models';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * Sparsity that emerges from regularised training, then magnitude (Han et al.
 * 2015, "Learning both Weights and Connections"; Wen et al. 2016, "Learning
 * Structured Sparsity in Deep Neural Networks"; Liu et al. 2017, "Learning
 * Efficient Convolutional Networks through Network Slimming"). Trains for the
 * configured budget with
 *
 *     penalty 'l1':          L + lambda * sum_l ||W_l||_1
 *     penalty 'group-lasso': L + lambda * sum_l sum_j ||W_l[..., j]||_2   (one group per output unit)
 *
 * (kernels only; sqrt(x + 1e-12) keeps the group norm differentiable at 0),
 * then scores s_k = |w_k| of the regularised weights. Weights that are exactly
 * zero (already pruned) are held at zero during this training. The net's own
 * weights are saved before and restored after (one host copy), so scoring
 * never changes them; the training order is seeded by the run seed.
 */
const l1RegularizedSchema = z
  .object({
    penalty: z.enum(['l1', 'group-lasso']).default('l1').describe('Per-weight L1, or group lasso over output units.'),
    lambda: z.number().nonnegative().default(1e-4).describe('Penalty weight.'),
    epochs: z.number().positive().default(1).describe('Training budget in epochs over the train split.'),
    steps: z.number().int().positive().optional().describe('Training budget in optimizer steps (overrides epochs).'),
    batchSize: z.number().int().positive().default(60),
    optimizer: z.enum(['sgd', 'momentum', 'adam']).default('adam'),
    lr: z.number().positive().default(1.2e-3),
  })
  .strict();

type Options = z.output<typeof l1RegularizedSchema>;

async function l1RegularizedScores({ net, ds, seed }: ScoreContext, o: Options): Promise<UnitScoredLayer[]> {
  const n = splitSize(ds, 'train');
  const epochs = o.steps !== undefined ? (o.steps * o.batchSize) / n : o.epochs;
  const cfg = trainingSchema.parse({ epochs, batchSize: Math.min(o.batchSize, n), optimizer: o.optimizer, lr: o.lr });
  const saved = getWeights(net);
  const masks = new Map(net.params.map((p) => [p.name, tf.tidy(() => tf.cast(tf.notEqual(p.kernel, 0), 'float32'))]));
  const penalty = (): tf.Scalar =>
    tf.tidy(() => {
      const terms = net.params.map((p) => {
        if (o.penalty === 'l1') return tf.sum(tf.abs(p.kernel));
        const cols = tf.reshape(p.kernel, [-1, p.kernel.shape.at(-1)!]);
        return tf.sum(tf.sqrt(tf.add(tf.sum(tf.square(cols), 0), 1e-12)));
      });
      return tf.mul(tf.addN(terms), o.lambda) as tf.Scalar;
    });
  try {
    train(net, ds, cfg, { seed, masks, penalty });
    return net.params.map((p) => {
      const w = p.kernel.dataSync();
      const scores = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) scores[i] = Math.abs(w[i]!);
      return { name: p.name, shape: [...p.kernel.shape], scores };
    });
  } finally {
    for (const m of masks.values()) m.dispose();
    setWeights(net, saved);
  }
}

scorerRegistry.register({
  name: 'l1-regularized',
  family: 'sparsity',
  granularities: ['weight', 'unit'],
  description: 'Train a copy with an L1 (or group-lasso) penalty for a budget, then score by magnitude.',
  reference: 'Han et al. 2015; Wen et al. 2016, Learning Structured Sparsity; Liu et al. 2017, Network Slimming',
  schema: l1RegularizedSchema,
  create: (o: Options) => ({ score: (ctx: ScoreContext) => l1RegularizedScores(ctx, o) }),
});
