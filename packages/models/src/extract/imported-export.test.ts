import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { fileIOHandler, readModelArtifactsSync } from '../io/fs-handler.js';
import { importLayersModel } from '../io/keras-import.js';
import { modelRegistry } from '../zoo/all.js';
import { exportModel } from './export.js';
import { maxAbsDiff, randomize, unitPrune } from '../test-utils/fixtures.js';
import { tempDirs } from '../test-utils/temp-dirs.js';

const tempDir = tempDirs('prunelab-export-');

beforeAll(async () => {
  await initBackend('cpu');
});

/** A Keras-style convnet with every carried-along layer kind, a bias-free conv and a final softmax; BN statistics non-trivial. */
function convModel(): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'stem', inputShape: [8, 8, 2], filters: 6, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), biasInitializer: 'randomNormal' }),
      tfl.layers.batchNormalization({ name: 'bn' }),
      tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }),
      tfl.layers.conv2d({ name: 'mid', filters: 5, kernelSize: 3, padding: 'valid', useBias: false, kernelInitializer: init(2) }),
      tfl.layers.activation({ name: 'act', activation: 'tanh' }),
      tfl.layers.averagePooling2d({ name: 'avg', poolSize: 2, padding: 'same' }),
      tfl.layers.flatten({ name: 'flat' }),
      tfl.layers.dropout({ rate: 0.3, name: 'drop' }),
      tfl.layers.dense({ name: 'hidden', units: 7, activation: 'elu', kernelInitializer: init(3) }),
      tfl.layers.dense({ name: 'classes', units: 3, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  const bn = m.getLayer('bn');
  const stats = bn.getWeights().map((w, i) => tf.tidy(() => (i === 3 ? tf.add(tf.randomUniform(w.shape, 0, 2, 'float32', 5), 0.1) : tf.randomNormal(w.shape, 0, 1, 'float32', 6 + i))));
  bn.setWeights(stats);
  tf.dispose(stats);
  return m;
}

/** Saves `model`, imports it back as prunelab does, and returns the Net with its import. */
async function imported(model: tfl.Sequential, inputShape: number[], classes: number) {
  const dir = tempDir();
  await model.save(fileIOHandler(dir));
  model.dispose();
  const artifacts = readModelArtifactsSync(join(dir, 'model.json'));
  const imp = importLayersModel(artifacts, dir, { inputShape, classes });
  return { source: { artifacts, imported: imp }, net: new Net(imp.arch, 0) };
}

/** The exported model's predictions against the pruned Net's logits, through the original final activation. */
async function check(net: Net, dir: string, x: tf.Tensor, reshape: number[], softmax: boolean): Promise<tfl.LayersModel> {
  const loaded = await tfl.loadLayersModel(fileIOHandler(dir));
  const [want, got] = tf.tidy(() => {
    const logits = net.forward(x);
    return [softmax ? tf.softmax(logits) : logits, loaded.predict(tf.reshape(x, reshape)) as tf.Tensor];
  });
  expect(maxAbsDiff(want, got)).toBeLessThan(1e-5);
  tf.dispose([want, got]);
  return loaded;
}

describe('exporting an imported model (tf.loadLayersModel reloads it)', () => {
  it('unit-pruned, physically smaller: the original names, input shape, carried layers and final softmax, same predictions (1e-5)', async () => {
    const { source, net } = await imported(convModel(), [8, 8, 2], 3);
    randomize(net, 3);
    unitPrune(net, 0.5, ['dense2']);
    const before = tf.memory().numTensors;
    const dir = tempDir();
    const report = await exportModel(net, dir, { source, physical: true, metadata: { sparsity: 0.5 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.output).toBe('softmax');
    expect(report.inputShape).toEqual([8, 8, 2]);
    expect(Object.values(report.removed).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const x = tf.randomNormal([6, 8, 8, 2], 0, 1, 'float32', 11);
    const loaded = await check(net, dir, x, [6, 8, 8, 2], true);
    expect(loaded.layers.map((l) => l.name)).toEqual(['stem', 'bn', 'pool', 'mid', 'act', 'avg', 'flat', 'drop', 'hidden', 'classes']);
    expect(loaded.inputs[0]!.shape).toEqual([null, 8, 8, 2]);
    expect((loaded.getLayer('classes').getConfig() as { activation: string }).activation).toBe('softmax');
    expect(loaded.getUserDefinedMetadata()).toEqual({ prunelab: { sparsity: 0.5 } });
    // Smaller for real: the kept filters and units, and the batch norm's channels with them.
    const stem = loaded.getLayer('stem').getWeights()[0]!.shape.at(-1)!;
    expect(stem).toBeLessThan(6);
    expect(loaded.getLayer('bn').getWeights()[0]!.shape).toEqual([stem]);
    expect(report.params).toBe(loaded.countParams());
    expect(report.macs).toBeLessThan(net.params.reduce((s, p) => s + p.kernel.size * p.outPixels, 0));
    // The bias-free conv gained the bias that folding removed filters' constants gave it.
    expect((loaded.getLayer('mid').getConfig() as { useBias: boolean }).useBias).toBe(true);
    loaded.dispose();
    x.dispose();
    net.dispose();
  });

  it('masked (weight-level): same shapes as the original, the zeros in the kernels, nonzeros counted', async () => {
    const { source, net } = await imported(convModel(), [8, 8, 2], 3);
    randomize(net, 4);
    for (const p of net.params) tf.tidy(() => p.kernel.assign(tf.mul(p.kernel, tf.cast(tf.greater(tf.abs(p.kernel), 0.3), 'float32'))));
    const dir = tempDir();
    const report = await exportModel(net, dir, { source });
    const x = tf.randomNormal([4, 8, 8, 2], 0, 1, 'float32', 12);
    const loaded = await check(net, dir, x, [4, 8, 8, 2], true);
    expect(loaded.getLayer('stem').getWeights()[0]!.shape).toEqual([3, 3, 2, 6]);
    expect(report.nonzero).toBeLessThan(report.params);
    expect(report.macsNonzero).toBeLessThan(report.macs);
    loaded.dispose();
    x.dispose();
    net.dispose();
  });

  it('a flat-input model on image data keeps its own input shape [784]', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ name: 'fc1', inputShape: [784], units: 12, activation: 'relu' }), tfl.layers.dense({ name: 'out', units: 10, activation: 'softmax' })],
    });
    const { source, net } = await imported(model, [28, 28, 1], 10);
    unitPrune(net, 0.5, ['dense2']);
    const dir = tempDir();
    const report = await exportModel(net, dir, { source, physical: true });
    expect(report.inputShape).toEqual([784]);
    const x = tf.randomUniform([3, 28, 28, 1], 0, 1, 'float32', 13);
    const loaded = await check(net, dir, x, [3, 784], true);
    expect(loaded.getLayer('fc1').getWeights()[0]!.shape).toEqual([784, 6]);
    loaded.dispose();
    x.dispose();
    net.dispose();
  });
});

describe('exporting a zoo model', () => {
  it.each([false, true])('lenet-5 (physical: %s) reloads with the same logits (1e-5)', async (physical) => {
    const net = new Net(modelRegistry.create('lenet-5', { preset: 'caffe' })([28, 28, 1], 10), 2);
    randomize(net, 7);
    unitPrune(net, 0.5, ['dense2']);
    const dir = tempDir();
    const before = tf.memory().numTensors;
    const report = await exportModel(net, dir, { physical });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.output).toBe('logits');
    const x = tf.randomNormal([3, 28, 28, 1], 0, 1, 'float32', 14);
    const loaded = await check(net, dir, x, [3, 28, 28, 1], false);
    expect(report.params).toBe(loaded.countParams());
    expect(report.params < net.totalParams()).toBe(physical);
    loaded.dispose();
    x.dispose();
    net.dispose();
  });
});
