import { z } from 'zod';
import { modelRegistry } from './registry.js';
import type { LayerSpec } from '../architecture.js';

/**
 * LeNet-5 (LeCun et al. 1998). `caffe` is the Caffe variant used by Han et al.
 * 2015 (conv 20, conv 50, fc 500; 431K params); `classic` is the 6-16-120-84
 * original. Both use 5x5 valid convolutions and 2x2 max pooling.
 */
const lenet5Schema = z
  .object({ preset: z.enum(['caffe', 'classic']).default('caffe') })
  .strict();

modelRegistry.register({
  name: 'lenet-5',
  description: 'LeNet-5 convnet; presets caffe (20-50-500) and classic (6-16-120-84).',
  reference: 'LeCun et al. 1998; Han et al. 2015',
  schema: lenet5Schema,
  create: (o: z.output<typeof lenet5Schema>) => (inputShape, classes) => {
    const [c1, c2, fcs] = o.preset === 'caffe' ? [20, 50, [500]] : [6, 16, [120, 84]];
    const conv = (filters: number): LayerSpec => ({ kind: 'conv2d', filters, kernel: 5, stride: 1, padding: 'valid', activation: 'relu' });
    const pool: LayerSpec = { kind: 'maxpool', size: 2, stride: 2 };
    const layers: LayerSpec[] = [conv(c1), pool, conv(c2), pool, { kind: 'flatten' }];
    for (const units of fcs) layers.push({ kind: 'dense', units, activation: 'relu' });
    layers.push({ kind: 'dense', units: classes, activation: 'linear' });
    return { inputShape, classes, layers };
  },
});
