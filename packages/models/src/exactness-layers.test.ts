import { beforeAll } from 'vitest';
import { initBackend } from '@prunelab/engine';
import type { Architecture } from './architecture.js';
import { exactnessSuite } from './test-utils/keras-functional.js';

// The layer kinds the zoo does not use, against tfjs-layers' own: depthwise
// convolution (stride 1 and 2, 'same' and 'valid'), concatenation and spatial
// zero padding, in a small graph with biases and a batch norm. On the cpu
// backend, since tfjs-layers' DepthwiseConv2D cannot be differentiated on
// wasm (prunelab's own depthwise conv can: depthwise.ts).

beforeAll(async () => {
  await initBackend('cpu');
});

const mixed: Architecture = {
  inputShape: [6, 6, 3],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', name: 'a' },
    { kind: 'depthwiseConv2d', kernel: 3, stride: 1, padding: 'same', activation: 'linear', bias: false },
    { kind: 'batchnorm' },
    { kind: 'activation', fn: 'relu', name: 'b' },
    { kind: 'zeroPad', padding: [[1, 0], [0, 1]], inputs: ['a'] },
    { kind: 'conv2d', filters: 3, kernel: 2, stride: 1, padding: 'valid', activation: 'linear', name: 'c' },
    { kind: 'concatenate', inputs: ['b', 'c'] },
    { kind: 'depthwiseConv2d', kernel: 3, stride: 2, padding: 'same', activation: 'relu' },
    { kind: 'depthwiseConv2d', kernel: 2, stride: 1, padding: 'valid', activation: 'linear', bias: false },
    { kind: 'flatten' },
    { kind: 'dense', units: 5, activation: 'relu' },
    { kind: 'dense', units: 3, activation: 'linear' },
  ],
};

exactnessSuite([['a graph with depthwise convs, concatenate and zero padding', mixed, 3]]);
