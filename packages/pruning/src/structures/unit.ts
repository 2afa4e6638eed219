import { z } from 'zod';
import { structureRegistry } from './registry.js';

/**
 * Whole units: a dense layer's output neuron or a conv layer's filter, scored
 * by the L1/L2 norm or the sum of its weights' scores (Li et al. 2017,
 * "Pruning Filters for Efficient ConvNets"; Wen et al. 2016), optionally
 * normalised per layer before a global ranking (Molchanov et al. 2017, ICLR,
 * eq. 7: score / L2 norm of the layer's unit scores).
 */
const unitSchema = z
  .object({
    reduce: z.enum(['l1', 'l2', 'sum']).default('l2'),
    normalize: z
      .enum(['none', 'layer-l2'])
      .default('none')
      .describe("'layer-l2' divides each layer's unit scores by their L2 norm before a global ranking (Molchanov et al. 2017)."),
  })
  .strict();

structureRegistry.register({
  name: 'unit',
  description: 'Whole neurons or conv filters (never the output layer\'s, which are the classes); the pruned model can be extracted physically smaller.',
  reference: 'Li et al. 2017; Wen et al. 2016; Molchanov et al. 2017 (layer-l2)',
  granularity: 'unit',
  schema: unitSchema,
  // normalize only when set, so configs written before it existed keep their run ids.
  create: (o: z.output<typeof unitSchema>) => ({ kind: 'unit', reduce: o.reduce, ...(o.normalize !== 'none' && { normalize: o.normalize }) }),
});
