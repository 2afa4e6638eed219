import { z } from 'zod';
import { structureRegistry } from './registry.js';

/** rows x cols blocks of the [in, out] matrix, kept or removed whole (Narang et al. 2017, block sparsity). */
const blockSchema = z.object({ rows: z.number().int().positive(), cols: z.number().int().positive() }).strict();

structureRegistry.register({
  name: 'block',
  description: 'rows x cols blocks of the weight matrix, scored by summed importance.',
  reference: 'Narang et al. 2017, Block-Sparse Recurrent Neural Networks',
  granularity: 'weight',
  schema: blockSchema,
  create: (o: z.output<typeof blockSchema>) => ({ kind: 'block', rows: o.rows, cols: o.cols }),
});
