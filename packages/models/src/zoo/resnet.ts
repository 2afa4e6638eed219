import { z } from 'zod';
import { modelRegistry } from './registry.js';
import { imageInput } from './image-input.js';
import type { LayerSpec } from '../architecture.js';

/**
 * The CIFAR ResNets of He et al. 2016 ("Deep Residual Learning for Image
 * Recognition", section 4.2): a 3x3 conv of `width` (16) filters, then three
 * stages of n basic blocks each with `width`, 2 `width` and 4 `width`
 * filters, the first block of stages 2 and 3 subsampling by stride 2, then
 * global average pooling and one dense classifier; depth 6n + 2. A basic
 * block is conv3x3 -> BN -> relu -> conv3x3 -> BN, added to the shortcut,
 * then relu. Convolutions have no bias (batch norm follows each one).
 *
 * The shortcut where a block changes shape:
 *  - A: the identity, subsampled by stride 2 (a 1x1 max pool with stride 2
 *    takes every other pixel) and zero-padded in channels, half the new
 *    channels before and half after, as Idelbayev's reproduction of the
 *    paper's CIFAR numbers does (github.com/akamaster/pytorch_resnet_cifar10).
 *    Parameter-free; the paper's CIFAR experiments use it.
 *  - B: a strided 1x1 conv + BN (the paper's projection shortcut).
 * Where a block keeps its shape, the shortcut is the identity either way.
 *
 * Batch norms use epsilon 1e-5 and momentum 0.9 (in Keras' convention;
 * PyTorch's 0.1), the Torch defaults of the paper's code. Convolutions pad
 * 'same' as tfjs and Keras do, which for the strided ones pads only at the
 * bottom and right (PyTorch pads 1 all round); the weights and the function
 * class are the same. `width` widens every stage by the same factor (a
 * width-16 network is the paper's; Zagoruyko & Komodakis 2016 widen ResNets
 * the same way). Parameters: ResNet-20 0.27M, ResNet-56 0.85M trainable, as
 * in the paper's Table 6 (zoo/resnet.test.ts).
 */
const resnetSchema = z
  .object({
    depth: z.literal([20, 32, 44, 56, 110]).default(20).describe('Layers with weights: 6n + 2 for n blocks per stage (He et al. 2016, Table 6).'),
    shortcut: z.enum(['A', 'B']).default('A').describe("Where a block changes shape: 'A' zero-padded identity (the paper's CIFAR choice), 'B' 1x1 conv + batch norm."),
    width: z.number().int().positive().max(1024).default(16).describe('Filters of the first stage (16 in the paper); stages 2 and 3 have 2x and 4x as many.'),
  })
  .strict();

type Options = z.output<typeof resnetSchema>;

function bn(name?: string): LayerSpec {
  return { kind: 'batchnorm', epsilon: 1e-5, momentum: 0.9, ...(name !== undefined && { name }) };
}

function conv(filters: number, kernel: number, stride: number, from?: string): LayerSpec {
  return { kind: 'conv2d', filters, kernel, stride, padding: 'same', activation: 'linear', bias: false, ...(from !== undefined && { inputs: [from] }) };
}

/** One basic block reading `from` (with `inChannels` channels), its output labelled `name`. */
function basicBlock(name: string, from: string, inChannels: number, filters: number, stride: number, shortcut: Options['shortcut']): LayerSpec[] {
  const layers: LayerSpec[] = [
    conv(filters, 3, stride, from),
    bn(),
    { kind: 'activation', fn: 'relu' },
    conv(filters, 3, 1),
    bn(`${name}.main`),
  ];
  let short = from;
  if (stride !== 1 || inChannels !== filters) {
    short = `${name}.shortcut`;
    if (shortcut === 'B') {
      layers.push(conv(filters, 1, stride, from), bn(short));
    } else {
      const pad = filters - inChannels;
      layers.push(
        { kind: 'maxpool', size: 1, stride, inputs: [from] },
        { kind: 'zeroPad', padding: [[0, 0], [0, 0]], channels: [Math.floor(pad / 2), pad - Math.floor(pad / 2)], name: short },
      );
    }
  }
  layers.push({ kind: 'add', inputs: [`${name}.main`, short] }, { kind: 'activation', fn: 'relu', name });
  return layers;
}

modelRegistry.register({
  name: 'resnet',
  description: 'CIFAR ResNet-20/32/44/56/110 with batch norm; shortcut A (zero-padded identity) or B (1x1 conv).',
  reference: 'He et al. 2016, Deep Residual Learning for Image Recognition (CIFAR-10 networks, section 4.2)',
  schema: resnetSchema,
  create: (o: Options) => (inputShape, classes) => {
    imageInput('resnet', inputShape);
    const n = (o.depth - 2) / 6;
    const layers: LayerSpec[] = [conv(o.width, 3, 1), bn(), { kind: 'activation', fn: 'relu', name: 'stem' }];
    let from = 'stem';
    let channels = o.width;
    for (let stage = 0; stage < 3; stage++) {
      const filters = o.width * 2 ** stage;
      for (let b = 0; b < n; b++) {
        const name = `stage${stage + 1}.block${b + 1}`;
        layers.push(...basicBlock(name, from, channels, filters, stage > 0 && b === 0 ? 2 : 1, o.shortcut));
        from = name;
        channels = filters;
      }
    }
    layers.push({ kind: 'globalAvgPool' }, { kind: 'dense', units: classes, activation: 'linear' });
    return { inputShape, classes, layers };
  },
});
