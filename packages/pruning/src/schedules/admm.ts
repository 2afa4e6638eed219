import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { PrunelabError } from '@prunelab/core';
import type { LayerMask } from '@prunelab/projection';
import { allMasks, projectNetWeights } from '../groups/index.js';
import { splitSize } from '@prunelab/datasets';
import { scheduleRegistry } from './registry.js';
import { emitPoint, pruneAndFinetune } from './point.js';
import { specAt } from './spec.js';
import { stepsFor, train, setWeights } from '@prunelab/models';
import type { ScheduleContext } from './types.js';

/**
 * ADMM pruning, Zhang et al. 2018, "A Systematic DNN Weight Pruning Framework
 * using Alternating Direction Method of Multipliers" (ECCV):
 *
 *   W-step: `stepsPerIteration` optimizer steps on L(W) + rho/2 ||W - Z + U||^2
 *   Z-step: Z = projection(W + U)   (projectWeights: Euclidean projection onto the
 *           run's sparse set, same scope/structure/exclude as every schedule)
 *   U-step: U = U + W - Z
 *
 * repeated `iterations` times from the trained dense model (Z_0 = projection(W_0),
 * U_0 = 0), then a hard prune to Z's support and masked retraining. The ADMM
 * phase uses the fine-tuning optimizer settings. The Z-step is a magnitude
 * projection, so the run's scorer is not used.
 *
 * How much it trains (`budget`):
 * - 'shared' (default): the per-target fine-tuning budget B that every strategy
 *   of the sweep gets is split: `admmShare` of it (by default half) for the ADMM
 *   phase, the rest for the masked retraining. Every strategy then trains B
 *   steps per target, so a comparison measures the method, not extra training.
 * - 'extra': the paper's protocol, the ADMM phase (B steps unless
 *   stepsPerIteration says otherwise) followed by a full budget B of masked
 *   retraining. The ADMM steps are extra training that the other strategies do
 *   not get; the run's training record (runs.training_json, phase 'admm') shows it.
 */
export const admmSchema = z
  .object({
    rho: z.number().positive().default(1e-3).describe('Penalty weight rho of the augmented Lagrangian.'),
    iterations: z.number().int().positive().default(5).describe('ADMM iterations (W, Z, U updates).'),
    stepsPerIteration: z
      .number()
      .int()
      .positive()
      .optional()
      .describe(
        "Optimizer steps of each W-step; default: admmShare of the fine-tuning budget ('shared') or the whole budget ('extra'), divided by iterations.",
      ),
    budget: z
      .enum(['shared', 'extra'])
      .default('shared')
      .describe(
        "'shared': the ADMM phase and the masked retraining split each target's fine-tuning budget; 'extra': the paper's protocol, the ADMM phase is extra training before a full fine-tuning budget.",
      ),
    admmShare: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.5)
      .describe("With budget 'shared': the share of each target's fine-tuning budget spent on the ADMM phase; the rest retrains with the mask held."),
  })
  .strict();

export type AdmmOptions = z.output<typeof admmSchema>;

/** Optimizer steps of one target: per W-step, the whole ADMM phase, and the masked retraining after it. */
export interface AdmmSteps {
  readonly perIteration: number;
  readonly admm: number;
  readonly retrain: number;
}

/**
 * How the ADMM schedule spends training per target, given the fine-tuning
 * budget B in steps (see `budget` above). With 'shared', admm + retrain = B.
 */
export function admmSteps(o: AdmmOptions, budget: number): AdmmSteps {
  if (o.budget === 'extra') {
    const perIteration = o.stepsPerIteration ?? Math.max(1, Math.ceil(budget / o.iterations));
    return { perIteration, admm: perIteration * o.iterations, retrain: budget };
  }
  const perIteration = o.stepsPerIteration ?? Math.floor((o.admmShare * budget) / o.iterations);
  const admm = perIteration * o.iterations;
  if (perIteration < 1 || admm >= budget) {
    throw new PrunelabError(
      'E_CONFIG_INVALID',
      `admm: ${o.iterations} W-steps of ${perIteration} steps leave no masked retraining in a fine-tuning budget of ${budget} steps`,
      {
        path: o.stepsPerIteration === undefined ? 'schedule.iterations' : 'schedule.stepsPerIteration',
        value: o.stepsPerIteration ?? o.iterations,
        fix: "Lower stepsPerIteration or iterations, raise finetune.epochs, or set budget: extra for the paper's extra ADMM training",
      },
    );
  }
  return { perIteration, admm, retrain: budget - admm };
}

export async function runAdmm(ctx: ScheduleContext, o: AdmmOptions): Promise<void> {
  const start = performance.now();
  setWeights(ctx.net, ctx.denseWeights);
  await emitPoint(ctx, 0, 'dense', 0, start);
  ctx.checkCancelled();
  const steps = admmSteps(o, stepsFor(ctx.finetune, splitSize(ctx.ds, 'train')));
  const perIteration = steps.perIteration;
  const params = ctx.net.params;
  const excluded = new Set(ctx.prune.exclude);
  let step = 1;
  for (const target of ctx.targets) {
    const t = performance.now();
    setWeights(ctx.net, ctx.denseWeights);
    const spec = specAt(ctx, target);
    const project = (withU: Float32Array[] | undefined) =>
      projectNetWeights(
        ctx.net,
        params.map((p, i) => {
          const w = Float32Array.from(p.kernel.dataSync());
          if (withU) for (let j = 0; j < w.length; j++) w[j] = w[j]! + withU[i]![j]!;
          return { name: p.name, shape: p.kernel.shape, weights: w };
        }),
        spec,
      );
    let result = project(undefined);
    // tidy releases the initial tensors; variables survive it.
    const z = tf.tidy(() => params.map((p, i) => tf.variable(tf.tensor(result.weights[i]!.weights, p.kernel.shape), false)));
    const u = tf.tidy(() => params.map((p) => tf.variable(tf.zeros(p.kernel.shape), false)));
    // The kernels' masks, and under unit pruning of a graph the biases' and batch norms' (groups/).
    let support: LayerMask[] = allMasks(result);
    try {
      const penalty = () =>
        tf.tidy(() => {
          // Excluded layers are never projected, so they carry no proximal term.
          const terms = params.flatMap((p, i) => (excluded.has(p.name) ? [] : [tf.sum(tf.square(tf.add(tf.sub(p.kernel, z[i]!), u[i]!)))]));
          if (terms.length === 0) return tf.scalar(0);
          return tf.mul(tf.addN(terms), o.rho / 2) as tf.Scalar;
        });
      const admm = train(ctx.net, ctx.ds, ctx.finetune, {
        seed: ctx.seed,
        steps: steps.admm,
        penalty,
        onStep: (s) => {
          if (s % perIteration !== 0) return;
          const uHost = u.map((v) => v.dataSync() as Float32Array);
          result = project(uHost);
          support = allMasks(result);
          params.forEach((p, i) => {
            const zi = tf.tensor(result.weights[i]!.weights, p.kernel.shape);
            z[i]!.assign(zi);
            // U <- U + W - Z
            tf.tidy(() => u[i]!.assign(tf.sub(tf.add(u[i]!, p.kernel), zi)));
            zi.dispose();
          });
        },
      });
      ctx.recordTraining('admm', admm);
    } finally {
      for (const v of [...z, ...u]) v.dispose();
    }
    ctx.checkCancelled();
    // Hard prune to Z's support, then retrain with the mask held.
    step = await pruneAndFinetune(ctx, support, step, target, t, { steps: steps.retrain });
  }
}

scheduleRegistry.register({
  name: 'admm',
  description: 'ADMM: train with a proximal term towards the projected weights, then hard-prune to their support and fine-tune.',
  reference: 'Zhang et al. 2018',
  schema: admmSchema,
  // Before `budget` existed, ADMM always trained the extra phase; runs from then keep their ids and are not reused.
  identityKeys: ['budget'],
  create: (o: AdmmOptions) => ({ run: (ctx: ScheduleContext) => runAdmm(ctx, o) }),
  // Per target: the ADMM phase, then the masked retraining (see `budget`).
  training: (o: AdmmOptions, targets: readonly number[], budget: number) => {
    const a = admmSteps(o, budget);
    return { rounds: targets.length, steps: { admm: targets.length * a.admm, finetune: targets.length * a.retrain } };
  },
  snapshots: () => [],
});
