import { beforeAll } from 'vitest';
import { initBackend } from '@prunelab/engine';
import { exactnessSuite } from './test-utils/keras-functional.js';
import { modelRegistry } from './zoo/all.js';

// A ResNet-20 (both shortcuts) and a VGG-11 against the same networks built
// with tfjs-layers' functional API (tf.model with Add, BatchNormalization,
// GlobalAveragePooling2D; option A's channel padding is a small custom layer):
// logits, gradients and running statistics within 1e-5 (issue 17).

beforeAll(async () => {
  // wasm: tfjs-backend-cpu's conv filter gradient is too slow for a ResNet-20 in a unit test; both models run the same kernels.
  await initBackend('wasm');
});

exactnessSuite([
  ['ResNet-20, shortcut A', modelRegistry.create('resnet', { depth: 20, shortcut: 'A' })([8, 8, 3], 10), 10],
  ['ResNet-20, shortcut B', modelRegistry.create('resnet', { depth: 20, shortcut: 'B' })([8, 8, 3], 10), 10],
  ['VGG-11 (width 8)', modelRegistry.create('vgg', { depth: 11, width: 8 })([16, 16, 3], 10), 10],
]);
