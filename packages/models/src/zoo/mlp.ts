import { z } from 'zod';
import { modelRegistry } from './registry.js';
import type { LayerSpec } from '../architecture.js';

/**
 * Fully connected ReLU network. The `lenet-300-100` preset is LeCun et al.
 * 1998's 784-300-100-10 MLP, the standard pruning benchmark of Han et al. 2015
 * and Frankle & Carbin 2019.
 */
const mlpSchema = z
  .object({
    preset: z.enum(['lenet-300-100']).optional().describe('Named architecture; overrides hidden.'),
    hidden: z.array(z.number().int().positive()).default([300, 100]).describe('Hidden layer widths.'),
  })
  .strict();

modelRegistry.register({
  name: 'mlp',
  description: 'Fully connected ReLU network (preset lenet-300-100: 784-300-100-10).',
  reference: 'LeCun et al. 1998; Han et al. 2015',
  schema: mlpSchema,
  create: (o: z.output<typeof mlpSchema>) => (inputShape, classes) => {
    const hidden = o.preset === 'lenet-300-100' ? [300, 100] : o.hidden;
    const layers: LayerSpec[] = [];
    if (inputShape.length > 1) layers.push({ kind: 'flatten' });
    for (const units of hidden) layers.push({ kind: 'dense', units, activation: 'relu' });
    layers.push({ kind: 'dense', units: classes, activation: 'linear' });
    return { inputShape, classes, layers };
  },
});
