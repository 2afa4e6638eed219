import { z } from 'zod';
import { tf } from '@prunelab/engine';
import { calibrationFields, calibrationPositions, forEachBatch } from './calibration.js';
import { spreadUnitScores } from './units.js';
import { scorerRegistry } from './registry.js';
import type { ScoreContext, UnitScoredLayer } from './types.js';

/**
 * Average Percentage of Zeros (Hu et al. 2016, "Network Trimming: A
 * Data-Driven Neuron Pruning Approach towards Efficient Deep Architectures"):
 *
 *     APoZ_j = (1 / (N * P)) sum_n sum_p [ a_j{n,p} == 0 ]
 *     importance_j = 1 - APoZ_j
 *
 * over the calibration set, P the output positions of a conv channel (1 for
 * a dense neuron), a_j the unit's output: relu(z_j) for a ReLU layer, after
 * any per-channel layers an imported model carries after it (batch norm,
 * activation, dropout; see packages/models/src/forward.ts). A unit that is
 * almost always off is unimportant. Layers without a ReLU (e.g. the output
 * layer) count exact zeros of their output, which are rare, so they score
 * about 1. Unit granularity only: each weight
 * of unit j gets (1 - APoZ_j) / (weights in unit j); `unitScores` holds 1 - APoZ_j.
 */
const apozSchema = z.object({ ...calibrationFields }).strict();

async function apozScores(ctx: ScoreContext, o: z.output<typeof apozSchema>): Promise<UnitScoredLayer[]> {
  const { net, ds, seed } = ctx;
  const zeros = net.params.map((p) => new Float64Array(p.kernel.shape.at(-1)!));
  const counts = new Float64Array(net.params.length);
  forEachBatch(ds, calibrationPositions(ds, seed, o.batches, o.batchSize), ({ xs }) => {
    tf.tidy(() => {
      net.forwardWith(xs, {
        observe: ({ param, post }) => {
          const axes = post.rank === 4 ? [0, 1, 2] : [0];
          const z = tf.sum(tf.cast(tf.equal(post, 0), 'float32'), axes).dataSync();
          const acc = zeros[param]!;
          for (let j = 0; j < acc.length; j++) acc[j]! += z[j]!;
          counts[param]! += post.size / acc.length;
        },
      });
    });
  });
  return net.params.map((p, l) => {
    const z = zeros[l]!;
    const unitScores = new Float32Array(z.length);
    for (let j = 0; j < z.length; j++) unitScores[j] = 1 - z[j]! / counts[l]!;
    return spreadUnitScores(p.name, p.kernel.shape, unitScores);
  });
}

scorerRegistry.register({
  name: 'apoz',
  family: 'information',
  granularities: ['unit'],
  description: '1 - APoZ: one minus the fraction of zero post-ReLU outputs of each unit on the calibration set.',
  reference: 'Hu et al. 2016, Network Trimming: A Data-Driven Neuron Pruning Approach towards Efficient Deep Architectures',
  schema: apozSchema,
  create: (o: z.output<typeof apozSchema>) => ({ score: (ctx: ScoreContext) => apozScores(ctx, o) }),
});
