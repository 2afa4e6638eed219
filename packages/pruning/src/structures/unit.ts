import { z } from 'zod';
import { structureRegistry } from './registry.js';

/**
 * Whole units: a dense layer's output neuron or a conv layer's filter, scored
 * by the L1/L2 norm or the sum of its weights' scores (Li et al. 2017,
 * "Pruning Filters for Efficient ConvNets"; Wen et al. 2016), optionally
 * normalised per layer before a global ranking (Molchanov et al. 2017, ICLR,
 * eq. 7: score / L2 norm of the layer's unit scores).
 *
 * On a network with coupled channels (residual adds, concatenations, batch
 * norms, depthwise convs) a unit is a coupled channel of a dependency group
 * (DepGraph, Fang et al. 2023; pruning/src/groups): every conv and dense
 * output channel that meets it at an add, with the batch norms and depthwise
 * convs that follow, is kept or removed with it. Its score combines its
 * members' (`combine`), and the scopes, and `normalize`, read "group" for
 * "layer" (README, prune.structure).
 */
const unitSchema = z
  .object({
    reduce: z.enum(['l1', 'l2', 'sum']).default('l2'),
    normalize: z
      .enum(['none', 'layer-l2'])
      .default('none')
      .describe("'layer-l2' divides each layer's (each dependency group's) unit scores by their L2 norm before a global ranking (Molchanov et al. 2017)."),
    combine: z
      .enum(['sum', 'mean', 'max'])
      .default('sum')
      .describe("How a coupled channel's score combines the unit scores of the layers that share it (Fang et al. 2023, DepGraph): their sum, mean or max."),
  })
  .strict();

structureRegistry.register({
  name: 'unit',
  description:
    "Whole neurons or conv filters, coupled channels pruned together (never the output layer's, which are the classes); the pruned model can be extracted physically smaller.",
  reference: 'Li et al. 2017; Wen et al. 2016; Molchanov et al. 2017 (layer-l2); Fang et al. 2023 (dependency groups)',
  granularity: 'unit',
  schema: unitSchema,
  // normalize and combine only when set, so configs written before they existed keep their run ids.
  create: (o: z.output<typeof unitSchema>) => ({
    kind: 'unit',
    reduce: o.reduce,
    ...(o.normalize !== 'none' && { normalize: o.normalize }),
    ...(o.combine !== 'sum' && { combine: o.combine }),
  }),
});
