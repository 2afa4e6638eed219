import { z } from 'zod';
import { structureRegistry } from './registry.js';

/**
 * Whole units: a dense layer's output neuron or a conv layer's filter, scored
 * by the L1/L2 norm or the sum of its weights' scores (Li et al. 2017,
 * "Pruning Filters for Efficient ConvNets"; Wen et al. 2016).
 */
export const unitSchema = z.object({ reduce: z.enum(['l1', 'l2', 'sum']).default('l2') }).strict();

export const unitStructure = structureRegistry.register({
  name: 'unit',
  description: 'Whole neurons or conv filters (never the output layer\'s, which are the classes); the pruned model can be extracted physically smaller.',
  reference: 'Li et al. 2017; Wen et al. 2016',
  granularity: 'unit',
  schema: unitSchema,
  create: (o: z.output<typeof unitSchema>) => ({ kind: 'unit', reduce: o.reduce }),
});
