import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { fileIOHandler } from '../io/fs-handler.js';
import { modelRegistry } from './all.js';

const dir = mkdtempSync(join(tmpdir(), 'prunelab-zoo-'));

/** Options and a suitable input shape per entry; a new entry without one fails below. */
const setups: Record<string, { options: Record<string, unknown>; shape: number[]; classes: number }> = {
  mlp: { options: { preset: 'lenet-300-100' }, shape: [28, 28, 1], classes: 10 },
  'lenet-5': { options: { preset: 'caffe' }, shape: [28, 28, 1], classes: 10 },
  'conv-small': { options: {}, shape: [32, 32, 3], classes: 10 },
  resnet: { options: { depth: 20, width: 4 }, shape: [8, 8, 3], classes: 10 },
  vgg: { options: { depth: 11, width: 4 }, shape: [16, 16, 3], classes: 10 },
  tfjs: { options: { path: dir }, shape: [6, 6, 1], classes: 4 },
};

beforeAll(async () => {
  await initBackend('cpu');
  const m = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }), tfl.layers.flatten(), tfl.layers.dense({ units: 4 })],
  });
  await m.save(fileIOHandler(dir));
  m.dispose();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(modelRegistry.list())('model $name', (entry) => {
  it('builds, runs forward with output [b, classes], and leaks no tensor', () => {
    const setup = setups[entry.name];
    expect(setup, `add a setup for model ${entry.name} to zoo/registry.test.ts`).toBeDefined();
    const { options, shape, classes } = setup!;
    expect(entry.reference.length).toBeGreaterThan(0);
    const before = tf.memory().numTensors;
    const net = new Net(modelRegistry.create(entry.name, options)(shape, classes), 0);
    const x = tf.zeros([3, ...shape]);
    const y = net.forward(x);
    expect(y.shape).toEqual([3, classes]);
    tf.dispose([x, y]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
