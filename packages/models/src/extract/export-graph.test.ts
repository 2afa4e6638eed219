import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { tempDirs } from '../test-utils/temp-dirs.js';
import { modelRegistry } from '../zoo/all.js';
import { exportModel } from './export.js';

const tempDir = tempDirs('prunelab-export-graph-');

beforeAll(async () => {
  await initBackend('cpu');
});

// A zoo ResNet or VGG cannot be written as a Sequential LayersModel yet: export says so as a user error
// (exit 2 through the CLI), before extracting or writing anything, instead of a plain Error from deep
// inside the writer (a stack trace for `prunelab export model` on any ResNet run).
it.each([
  ['resnet', modelRegistry.create('resnet', { depth: 20, width: 2 })([8, 8, 3], 10), /this one is a graph \(layers that name their inputs\) with batchnorm, .*add.* layers, which it cannot write yet/],
  ['vgg', modelRegistry.create('vgg', { depth: 11, width: 2 })([32, 32, 3], 10), /this one is batchnorm, activation, globalAvgPool layers, which it cannot write yet/],
])('refuses a zoo %s before writing anything, physical or not', async (_name, arch, message) => {
  const net = new Net(arch, 0);
  const before = tf.memory().numTensors;
  for (const physical of [false, true]) {
    const dir = join(tempDir(), 'out');
    const caught = await exportModel(net, dir, { physical }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isPrunelabError(caught) && caught.isUserError).toBe(true);
    expect((caught as Error).message).toMatch(message);
    expect(existsSync(dir)).toBe(false);
  }
  expect(tf.memory().numTensors).toBe(before);
  net.dispose();
});
