import { z } from 'zod';
import { structureRegistry } from './registry.js';

/**
 * N:M fine-grained sparsity: at most n nonzeros in every group of m
 * consecutive weights along the input dimension; 2:4 is what sparse tensor
 * cores accelerate (Mishra et al. 2021, NVIDIA; Zhou et al. 2021).
 */
const nmSchema = z
  .object({
    n: z.number().int().positive().describe('Nonzeros kept per group.'),
    m: z.number().int().positive().describe('Group length along the input dimension.'),
  })
  .strict()
  .refine((o) => o.n <= o.m, { message: 'n must be at most m', path: ['n'] });

structureRegistry.register({
  name: 'n:m',
  description: 'At most n nonzeros in each group of m consecutive input weights (2:4 for sparse tensor cores).',
  reference: 'Mishra et al. 2021; Zhou et al. 2021',
  granularity: 'weight',
  schema: nmSchema,
  create: (o: z.output<typeof nmSchema>) => ({ kind: 'n:m', n: o.n, m: o.m }),
});
