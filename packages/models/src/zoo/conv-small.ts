import { z } from 'zod';
import { modelRegistry } from './registry.js';
import type { LayerSpec } from '../architecture.js';

/**
 * A small VGG-style network for CIFAR-10 (Simonyan & Zisserman 2015 blocks of
 * 3x3 same convolutions followed by 2x2 pooling; sized for CPU sweeps, after
 * the Conv-2/4/6 family of Frankle & Carbin 2019).
 */
const convSmallSchema = z
  .object({
    widths: z.array(z.number().int().positive()).default([32, 64, 128]).describe('Filters per block (two convs each).'),
    dense: z.array(z.number().int().positive()).default([256]).describe('Hidden fully connected widths.'),
  })
  .strict();

modelRegistry.register({
  name: 'conv-small',
  description: 'Small VGG-style convnet for CIFAR-10 (blocks of two 3x3 convs + 2x2 max pool).',
  reference: 'Simonyan & Zisserman 2015; Frankle & Carbin 2019 (Conv-6)',
  schema: convSmallSchema,
  create: (o: z.output<typeof convSmallSchema>) => (inputShape, classes) => {
    const layers: LayerSpec[] = [];
    for (const filters of o.widths) {
      for (let i = 0; i < 2; i++) layers.push({ kind: 'conv2d', filters, kernel: 3, stride: 1, padding: 'same', activation: 'relu' });
      layers.push({ kind: 'maxpool', size: 2, stride: 2 });
    }
    layers.push({ kind: 'flatten' });
    for (const units of o.dense) layers.push({ kind: 'dense', units, activation: 'relu' });
    layers.push({ kind: 'dense', units: classes, activation: 'linear' });
    return { inputShape, classes, layers };
  },
});
