import { z } from 'zod';
import { createRng } from '@prunelab/core';
import { scorerRegistry } from './registry.js';
import type { ScoreContext } from './types.js';

/**
 * Random baseline: i.i.d. uniform scores from a seeded stream, so every
 * layer loses the same expected fraction. Blalock et al. 2020 ("What is the
 * State of Neural Network Pruning?") ask every comparison to include it.
 * Already-pruned weights (exactly zero) score 0 so iterative schedules prune
 * survivors only.
 */
const randomSchema = z.object({ seedOffset: z.number().int().default(0).describe('Added to the run seed, to draw a different random mask.') }).strict();

scorerRegistry.register({
  name: 'random',
  family: 'baseline',
  granularities: ['weight', 'unit'],
  dataFree: true,
  description: 'Seeded uniform random scores (the baseline every comparison needs).',
  reference: 'Blalock et al. 2020, What is the State of Neural Network Pruning?',
  schema: randomSchema,
  create: (o: z.output<typeof randomSchema>) => ({
    score: async ({ net, seed }: ScoreContext) => {
      const rng = createRng(`random-scorer:${seed + o.seedOffset}`);
      return net.params.map((p) => {
        const w = p.kernel.dataSync();
        const scores = new Float32Array(w.length);
        for (let i = 0; i < w.length; i++) scores[i] = w[i] === 0 ? 0 : rng.next() + Number.EPSILON;
        return { name: p.name, shape: [...p.kernel.shape], scores };
      });
    },
  }),
});
