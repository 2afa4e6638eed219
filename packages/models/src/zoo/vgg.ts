import { z } from 'zod';
import { modelRegistry } from './registry.js';
import { imageInput } from './image-input.js';
import type { LayerSpec } from '../architecture.js';

/**
 * VGG with batch norm, the CIFAR variant of Liu et al. 2017 ("Learning
 * Efficient Convolutional Networks through Network Slimming"; their code,
 * github.com/Eric-mingjie/network-slimming, models/vgg.py): the 3x3 conv
 * configurations of Simonyan & Zisserman 2015 (11: A, 13: B, 16: D, 19: E)
 * without the last max pool, each conv followed by batch norm and relu,
 * then global average pooling (on CIFAR's 2x2 maps, their 2x2 average pool)
 * and one dense classifier in place of the three ImageNet dense layers. Convs
 * have no bias; batch norms PyTorch's defaults (epsilon 1e-5, momentum 0.9 in
 * Keras' convention). `width` scales every stage (64 is the paper's: 64, 128,
 * 256, 512 filters). VGG-19 has 20.04M trainable parameters, as Liu et al.'s
 * Table 1 reports for CIFAR-10 (zoo/vgg.test.ts).
 */
const CONFIGS: Record<11 | 13 | 16 | 19, ReadonlyArray<number | 'M'>> = {
  11: [1, 'M', 2, 'M', 4, 4, 'M', 8, 8, 'M', 8, 8],
  13: [1, 1, 'M', 2, 2, 'M', 4, 4, 'M', 8, 8, 'M', 8, 8],
  16: [1, 1, 'M', 2, 2, 'M', 4, 4, 4, 'M', 8, 8, 8, 'M', 8, 8, 8],
  19: [1, 1, 'M', 2, 2, 'M', 4, 4, 4, 4, 'M', 8, 8, 8, 8, 'M', 8, 8, 8, 8],
};

const vggSchema = z
  .object({
    depth: z.literal([11, 13, 16, 19]).default(16).describe('Layers with weights (Simonyan & Zisserman 2015 configurations A, B, D, E).'),
    width: z.number().int().positive().max(1024).default(64).describe('Filters of the first stage (64 in the paper); later stages have 2x, 4x and 8x as many.'),
  })
  .strict();

modelRegistry.register({
  name: 'vgg',
  description: 'CIFAR VGG-11/13/16/19 with batch norm, global average pooling and one dense classifier (network slimming).',
  reference: 'Simonyan & Zisserman 2015; Liu et al. 2017, Learning Efficient Convolutional Networks through Network Slimming (CIFAR VGG)',
  schema: vggSchema,
  create: (o: z.output<typeof vggSchema>) => (inputShape, classes) => {
    // Four 2x2 max pools: 16x16 is the smallest input that leaves a pixel.
    imageInput('vgg', inputShape, 16);
    const layers: LayerSpec[] = [];
    for (const v of CONFIGS[o.depth]) {
      if (v === 'M') layers.push({ kind: 'maxpool', size: 2, stride: 2 });
      else {
        layers.push(
          { kind: 'conv2d', filters: v * o.width, kernel: 3, stride: 1, padding: 'same', activation: 'linear', bias: false },
          { kind: 'batchnorm', epsilon: 1e-5, momentum: 0.9 },
          { kind: 'activation', fn: 'relu' },
        );
      }
    }
    layers.push({ kind: 'globalAvgPool' }, { kind: 'dense', units: classes, activation: 'linear' });
    return { inputShape, classes, layers };
  },
});
