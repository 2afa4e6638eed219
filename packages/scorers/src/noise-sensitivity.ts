import { z } from 'zod';
import { createRng } from '@prunelab/core';
import { tf } from '@prunelab/engine';
import { Accumulator } from './accumulate.js';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { exampleLosses, kernelGrads } from './gradients.js';
import { spreadUnitScores } from './units.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * Noise / ablation sensitivity: the expected increase of the calibration loss
 * when a unit is removed or a weight is perturbed (cf. Molchanov et al. 2019's
 * "squared loss change when removing a parameter", measured here directly;
 * Mozer & Smolensky 1989, "Skeletonization", for unit ablation).
 *
 * `level: 'unit'` (default): measured by ablation. For each unit j of each
 * prunable layer, its output (post-activation, see packages/models/src/
 * forward.ts) is set to zero and
 *
 *     S_j = max(0, L(ablate j) - L)
 *
 * on the calibration set (mean cross-entropy). For a ReLU or linear layer
 * with nothing carried after it this equals zeroing the unit's kernel column
 * and bias (relu(0) = 0); after a carried-along batch norm it removes the
 * unit's contribution entirely rather than leaving the norm's offset. The
 * net's variables are never written: the ablated forward continues from the
 * cached output of that layer with channel j zeroed. Each weight of unit j gets S_j / (weights in unit j);
 * `unitScores` holds S_j. A unit whose removal lowers the loss scores 0.
 *
 * `level: 'weight'`: Gaussian weight noise eps_k ~ N(0, (sigma |w_k|)^2)
 * (relative noise, so already-zero weights stay unperturbed and score 0). The
 * expected loss increase under symmetric noise is
 * E[(L(w+eps) + L(w-eps))/2 - L(w)] ~= 1/2 sum_k sigma_k^2 h_kk, and it is
 * attributed to weights by the antithetic midpoint estimator
 *
 *     a_k = 1/2 * eps_k * (dL/dw_k (w + eps/2) - dL/dw_k (w - eps/2))
 *
 * averaged over `samples` draws per calibration batch. sum_k a_k equals the
 * symmetric loss increase up to third order, and E[a_k] = 1/2 sigma_k^2 h_kk
 * (the exact Hessian diagonal, not an approximation of it), so this is the
 * Monte-Carlo counterpart of OBD with curvature along the noise. Scores are
 * clamped at 0 after averaging. Noise is drawn from a seeded stream.
 */
const noiseSensitivitySchema = z
  .object({
    ...calibrationFields,
    level: z.enum(['unit', 'weight']).default('unit').describe("'unit': ablation; 'weight': Gaussian weight noise."),
    sigma: z.number().positive().default(0.1).describe('Weight level: noise std relative to |w|.'),
    samples: z.number().int().positive().default(4).describe('Weight level: antithetic noise draws per batch.'),
  })
  .strict();

type Options = z.output<typeof noiseSensitivitySchema>;

async function noiseSensitivityScores(ctx: ScoreContext, o: Options): Promise<UnitScoredLayer[]> {
  return o.level === 'unit' ? ablationScores(ctx, o) : weightNoiseScores(ctx, o);
}

function ablationScores({ net, ds, seed }: ScoreContext, o: Options): UnitScoredLayer[] {
  const classes = net.arch.classes;
  const units = net.params.map((p) => p.kernel.shape.at(-1)!);
  const increase = units.map((u) => new Float64Array(u));
  let base = 0;
  const n = forEachBatch(ds, calibrationPositions(ds, seed, o.batches, o.batchSize), ({ xs, labels }) => {
    const posts: tf.Tensor[] = [];
    try {
      base += tf.tidy(() => {
        const logits = net.forwardWith(xs, { observe: ({ param, post }) => void (posts[param] = tf.keep(post)) });
        return tf.sum(exampleLosses(logits, labels, classes)).dataSync()[0]!;
      });
      net.params.forEach((_, l) => {
        const h = posts[l]!;
        for (let j = 0; j < units[l]!; j++) {
          increase[l]![j]! += tf.tidy(() => {
            const logits = net.forwardWith(xs, { start: { after: l, h }, ablate: { param: l, unit: j } });
            return tf.sum(exampleLosses(logits, labels, classes)).dataSync()[0]!;
          });
        }
      });
    } finally {
      for (const t of posts) t?.dispose();
    }
  });
  return net.params.map((p, l) => {
    const unitScores = new Float32Array(units[l]!);
    for (let j = 0; j < unitScores.length; j++) unitScores[j] = Math.max(0, (increase[l]![j]! - base) / n);
    return spreadUnitScores(p.name, p.kernel.shape, unitScores);
  });
}

function weightNoiseScores({ net, ds, seed }: ScoreContext, o: Options): UnitScoredLayer[] {
  const acc = new Accumulator(net);
  const rng = createRng(`noise-sensitivity:${seed}`);
  const weights = net.params.map((p) => p.kernel.dataSync() as Float32Array);
  const positions = calibrationPositions(ds, seed, o.batches, o.batchSize);
  forEachBatch(ds, positions, ({ xs, labels }) => {
    for (let s = 0; s < o.samples; s++) {
      tf.tidy(() => {
        const noise = net.params.map((p, l) => {
          const w = weights[l]!;
          const e = new Float32Array(w.length);
          for (let i = 0; i < e.length; i++) e[i] = rng.normal() * o.sigma * Math.abs(w[i]!);
          return tf.tensor(e, p.kernel.shape);
        });
        const half = noise.map((e) => tf.mul(e, 0.5));
        const plus = kernelGrads(
          net,
          xs,
          labels,
          net.params.map((p, l) => tf.add(p.kernel, half[l]!)),
        );
        const minus = kernelGrads(
          net,
          xs,
          labels,
          net.params.map((p, l) => tf.sub(p.kernel, half[l]!)),
        );
        plus.forEach((g, l) => acc.add(l, tf.mul(half[l]!, tf.sub(g, minus[l]!))));
      });
    }
  });
  const draws = positions.length * o.samples;
  return acc.toLayers((s) => Math.max(0, s / draws));
}

scorerRegistry.register({
  name: 'noise-sensitivity',
  family: 'robustness',
  granularities: ['unit', 'weight'],
  description: "Expected loss increase: unit ablation (level 'unit') or Gaussian weight noise (level 'weight').",
  reference: 'Mozer & Smolensky 1989 (Skeletonization); Molchanov et al. 2019, Importance Estimation for Neural Network Pruning',
  schema: noiseSensitivitySchema,
  create: (o: Options) => ({ score: (ctx: ScoreContext) => noiseSensitivityScores(ctx, o) }),
});
