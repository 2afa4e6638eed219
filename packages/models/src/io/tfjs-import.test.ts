import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { modelRegistry } from '../zoo/all.js';
import { fileIOHandler } from './fs-handler.js';
import { maxAbsDiff } from '../test-utils/fixtures.js';
import { tempDirs } from '../test-utils/temp-dirs.js';

const tempDir = tempDirs('prunelab-tfjs-');

beforeAll(async () => {
  await initBackend('cpu');
});

/** A convnet with every carried-along layer kind, BN statistics made non-trivial. */
function convModel(): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), biasInitializer: 'randomNormal' }),
      tfl.layers.batchNormalization({ name: 'bn' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: init(2) }),
      tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.3, name: 'drop' }),
      tfl.layers.dense({ units: 6, activation: 'elu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  const bn = m.getLayer('bn');
  const stats = bn.getWeights().map((w, i) => tf.tidy(() => (i === 3 ? tf.add(tf.randomUniform(w.shape, 0, 2, 'float32', 5), 0.1) : tf.randomNormal(w.shape, 0, 1, 'float32', 6 + i))));
  bn.setWeights(stats);
  tf.dispose(stats);
  return m;
}

describe('tfjs zoo entry', () => {
  it('imports a saved Sequential convnet and computes the same outputs (1e-5)', async () => {
    const model = convModel();
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create('tfjs', { path: dir })([8, 8, 2], 3);
    expect(arch.notes?.join('\n')).toMatch(/carried along unpruned: bn \(BatchNormalization\).*drop \(Dropout\)/);
    expect(arch.notes?.join('\n')).toMatch(/final softmax/);
    const net = new Net(arch, 0);
    expect(net.params.map((p) => p.name)).toEqual(['conv1', 'conv2', 'dense1', 'dense2']);
    const x = tf.randomNormal([5, 8, 8, 2], 0, 1, 'float32', 9);
    const logits = net.forward(x);
    const ours = tf.softmax(logits);
    const theirs = model.predict(x) as tf.Tensor;
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
    tf.dispose([x, logits, ours, theirs]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('loads back through tfl.loadLayersModel with the same handler', async () => {
    const model = convModel();
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    const loaded = await tfl.loadLayersModel(fileIOHandler(join(dir, 'model.json')));
    const x = tf.randomNormal([2, 8, 8, 2], 0, 1, 'float32', 3);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(maxAbsDiff(a, b)).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('flattens image inputs for a flat-input MLP and matches logits', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ inputShape: [16], units: 7, activation: 'relu', useBias: false }), tfl.layers.dense({ units: 3 })],
    });
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    const arch = modelRegistry.create('tfjs', { path: join(dir, 'model.json') })([4, 4, 1], 3);
    expect(arch.layers[0]).toEqual({ kind: 'flatten' });
    const net = new Net(arch, 0);
    const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 2);
    const flat = tf.reshape(x, [3, 16]);
    const [a, b] = [net.forward(x), model.predict(flat) as tf.Tensor];
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, flat, a, b]);
    net.dispose();
    model.dispose();
  });

  it('names every unsupported layer, and checks shapes against the dataset', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [6], units: 4 }),
        tfl.layers.leakyReLU({ name: 'leaky' }),
        tfl.layers.reshape({ targetShape: [2, 2], name: 'resh' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    expect(() => modelRegistry.create('tfjs', { path: dir })([6], 2)).toThrow(/unsupported layers: layers\[1\] leaky \(LeakyReLU\); layers\[2\] resh \(Reshape\)\. Rebuild/);
    model.dispose();
    const ok = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [6], units: 2 })] });
    const dir2 = tempDir();
    await ok.save(fileIOHandler(dir2));
    expect(() => modelRegistry.create('tfjs', { path: dir2 })([6], 3)).toThrow(/2 outputs, the dataset has 3 classes/);
    expect(() => modelRegistry.create('tfjs', { path: dir2 })([5], 2)).toThrow(/expects input \[6\]/);
    expect(() => modelRegistry.create('tfjs', { path: join(dir2, 'nope.json') })([6], 2)).toThrow(/the tfjs model .*nope\.json not found\. Set model\.path/);
    ok.dispose();
  });
});
