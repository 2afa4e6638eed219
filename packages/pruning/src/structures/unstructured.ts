import { z } from 'zod';
import { structureRegistry } from './registry.js';

/** Any individual weight may go (Han et al. 2015; LeCun et al. 1990). */
const unstructuredSchema = z.object({}).strict();

structureRegistry.register({
  name: 'unstructured',
  description: 'Individual weights: keep the k most important entries.',
  reference: 'Han et al. 2015',
  granularity: 'weight',
  schema: unstructuredSchema,
  create: () => ({ kind: 'unstructured' }),
});
