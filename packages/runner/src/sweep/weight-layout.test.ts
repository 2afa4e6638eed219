import { beforeAll, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { getWeights, modelRegistry, Net, paramLayerNames } from '@prunelab/models';
import { weightLayout } from './weight-layout.js';

beforeAll(async () => {
  await initBackend('cpu');
});

// The dry run's disk estimate reads the layout; it must name and shape every array the Net's weights file holds
// (an earlier version walked the layers as a stack, called depthwise layers conv, gave every layer a bias and
// left batch norms out).
it.each([
  ['mlp', modelRegistry.create('mlp', { hidden: [6, 5] })([4, 4, 1], 3)],
  [
    'ResNet-20, shortcut B (bias-free convs, batch norms, residual adds)',
    modelRegistry.create('resnet', { depth: 20, shortcut: 'B', width: 2 })([8, 8, 3], 10),
  ],
  ['VGG-11 with batch norm', modelRegistry.create('vgg', { depth: 11, width: 2 })([32, 32, 3], 10)],
])('%s: the layout is the Net weights file, name for name and shape for shape', (_label, arch) => {
  const before = tf.memory().numTensors;
  const net = new Net(arch, 0);
  const layout = weightLayout(arch);
  expect(layout.arrays.map((a) => [a.name, [...a.shape]])).toEqual(getWeights(net).map((w) => [w.name, [...w.shape]]));
  expect(layout.prunable).toEqual(paramLayerNames(arch));
  net.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
