import { z } from 'zod';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * Magnitude: s_i = |w_i| (Han et al. 2015, "Learning both Weights and
 * Connections"). Keeping the k largest |w_i| is the exact Euclidean projection
 * onto the k-sparse set. Unit structures reduce these per-weight scores with
 * the L1 or L2 norm in the projection.
 */
const magnitudeSchema = z.object({}).strict();

export async function magnitudeScores({ net }: ScoreContext) {
  return net.params.map((p) => {
    const w = p.kernel.dataSync();
    const scores = new Float32Array(w.length);
    for (let i = 0; i < w.length; i++) scores[i] = Math.abs(w[i]!);
    return { name: p.name, shape: [...p.kernel.shape], scores };
  });
}

scorerRegistry.register({
  name: 'magnitude',
  family: 'sparsity',
  granularities: ['weight', 'unit'],
  dataFree: true,
  description: '|w|; for units the L1/L2 norm of the unit weights.',
  reference: 'Han et al. 2015, Learning both Weights and Connections for Efficient Neural Networks',
  schema: magnitudeSchema,
  create: () => ({ score: magnitudeScores }),
});
