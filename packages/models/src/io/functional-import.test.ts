import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { isPrunelabError } from '@prunelab/core';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { modelRegistry } from '../zoo/all.js';
import { fileIOHandler } from './fs-handler.js';
import { importLayersModel } from './keras-import.js';
import { maxAbsDiff } from '../test-utils/fixtures.js';
import { residualFunctionalModel } from '../test-utils/functional-model.js';
import { tempDirs } from '../test-utils/temp-dirs.js';

const tempDir = tempDirs('prunelab-functional-');

beforeAll(async () => {
  await initBackend('cpu');
});

describe('tfjs zoo entry: functional models', () => {
  it('imports a saved residual functional model as a graph and gives its predictions (inference mode, 1e-5)', async () => {
    const model = residualFunctionalModel();
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    const before = tf.memory().numTensors;
    const arch = modelRegistry.create('tfjs', { path: dir })([8, 8, 3], 3);
    const net = new Net(arch, 0);
    // File order names the layers; the batch norms are batch norms (not folded), a bias-free conv stays bias-free.
    expect(net.params.map((p) => p.name)).toEqual(['conv1', 'dwconv1', 'conv2', 'conv3', 'conv4', 'dense1', 'dense2']);
    expect(net.params[0]!.bias).toBeUndefined();
    expect(net.norms.map((bn) => bn.name)).toEqual(['bn1', 'bn2']);
    expect(arch.layers.map((l) => l.kind)).toEqual([
      'conv2d', 'batchnorm', 'activation', 'depthwiseConv2d', 'batchnorm', 'activation', 'conv2d', 'add', 'zeroPad', 'maxpool',
      'conv2d', 'conv2d', 'concatenate', 'globalAvgPool', 'dense', 'activation', 'fixed', 'dense',
    ]);
    const notes = arch.notes?.join('\n') ?? '';
    expect(notes).toMatch(/prunable layers: stem -> conv1, dw -> dwconv1, pw -> conv2, down -> conv3, side -> conv4, hidden -> dense1, classes -> dense2/);
    expect(notes).toMatch(/batch norms .*: stem_bn -> bn1, dw_bn -> bn2/);
    expect(notes).toMatch(/final softmax of classes is dropped/);
    expect(notes).toMatch(/carried along unpruned: stem_relu \(Activation\), dw_relu \(ReLU\), drop \(Dropout\)/);
    const x = tf.randomNormal([5, 8, 8, 3], 0, 1, 'float32', 9);
    const [ours, theirs] = tf.tidy(() => [tf.softmax(net.forward(x)), model.predict(x) as tf.Tensor]);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-5);
    // Not a trivial agreement: the classes are not all equally likely.
    expect(tf.tidy(() => tf.max(tf.sub(tf.max(theirs, 1), tf.min(theirs, 1))).dataSync()[0]!)).toBeGreaterThan(0.05);
    tf.dispose([x, ours, theirs]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('refuses unsupported layers in one error naming each with its index, name and class', async () => {
    const input = tfl.input({ shape: [6, 6, 2], name: 'in' });
    const a = tfl.layers.conv2d({ name: 'dilated', filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' }).apply(input) as tfl.SymbolicTensor;
    const b = tfl.layers.leakyReLU({ name: 'leaky' }).apply(a) as tfl.SymbolicTensor;
    const c = tfl.layers.flatten({ name: 'flat' }).apply(b) as tfl.SymbolicTensor;
    const d = tfl.layers.reshape({ name: 'resh', targetShape: [108] }).apply(c) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ name: 'out', units: 2 }).apply(d) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    model.dispose();
    let error: unknown;
    try {
      modelRegistry.create('tfjs', { path: dir })([6, 6, 2], 2);
    } catch (e) {
      error = e;
    }
    expect(isPrunelabError(error)).toBe(true);
    if (!isPrunelabError(error)) return;
    expect(error.code).toBe('E_MODEL_INVALID');
    expect(error.details.path).toBe('model.path');
    expect(error.message).toMatch(/unsupported layers: layers\[1\] dilated \(Conv2D: dilation 2x2\); layers\[2\] leaky \(LeakyReLU\); layers\[4\] resh \(Reshape\)\. Rebuild/);
    expect(error.details.fix).toMatch(/supported layers: InputLayer, Dense, Conv2D, DepthwiseConv2D, BatchNormalization, .*Add, Concatenate/);
  });

  it('flattens image data for a functional MLP and refuses a model that does not fit the dataset', async () => {
    const input = tfl.input({ shape: [16] });
    const h = tfl.layers.dense({ units: 5, activation: 'relu', useBias: false }).apply(input) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 3 }).apply(h) as tfl.SymbolicTensor });
    const dir = tempDir();
    await model.save(fileIOHandler(dir));
    const arch = modelRegistry.create('tfjs', { path: dir })([4, 4, 1], 3);
    expect(arch.layers[0]).toMatchObject({ kind: 'flatten', inputs: ['input'] });
    const net = new Net(arch, 0);
    const x = tf.randomNormal([3, 4, 4, 1], 0, 1, 'float32', 2);
    const [a, b] = tf.tidy(() => [net.forward(x), model.predict(tf.reshape(x, [3, 16])) as tf.Tensor]);
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    net.dispose();
    model.dispose();
    expect(() => modelRegistry.create('tfjs', { path: dir })([15], 3)).toThrow(/expects input \[16\], the dataset gives \[15\]/);
    expect(() => modelRegistry.create('tfjs', { path: dir })([16], 4)).toThrow(/has 3 outputs, the dataset has 4 classes/);
  });

  it("reads Keras 3's format too: Functional, inbound nodes as { args } of keras tensors, batch_shape, a single input_layers triple", () => {
    const tensor = (layer: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [layer, 0, 0] } });
    const dense = (name: string, units: number, activation: string, reads: string) => ({
      module: 'keras.layers', class_name: 'Dense', name, config: { name, units, activation, use_bias: true }, inbound_nodes: [{ args: [tensor(reads)], kwargs: {} }],
    });
    const topology = {
      class_name: 'Functional',
      config: {
        name: 'k3',
        layers: [
          { module: 'keras.layers', class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 3], dtype: 'float32', name: 'x' }, inbound_nodes: [] },
          dense('a', 4, 'relu', 'x'),
          dense('b', 4, 'relu', 'x'),
          { module: 'keras.layers', class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [{ args: [[tensor('a'), tensor('b')]], kwargs: {} }] },
          dense('out', 2, 'softmax', 'sum'),
        ],
        input_layers: ['x', 0, 0],
        output_layers: ['out', 0, 0],
      },
    };
    const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
    const arrays: Array<[string, number[], Float32Array]> = [
      ['a/kernel', [3, 4], values(12, 1)], ['a/bias', [4], values(4, 2)],
      ['b/kernel', [3, 4], values(12, 3)], ['b/bias', [4], values(4, 4)],
      ['out/kernel', [4, 2], values(8, 5)], ['out/bias', [2], values(2, 6)],
    ];
    const data = Float32Array.from(arrays.flatMap(([, , v]) => Array.from(v)));
    const artifacts = { modelTopology: topology, weightSpecs: arrays.map(([name, shape]) => ({ name, shape, dtype: 'float32' as const })), weightData: data.buffer };
    const imported = importLayersModel(artifacts, 'k3.json', { inputShape: [3], classes: 2 });
    expect(imported.output).toBe('softmax');
    expect(imported.arch.layers.map((l) => [l.kind, l.name, l.inputs])).toEqual([
      ['dense', 'a', ['input']],
      ['dense', 'b', ['input']],
      ['add', 'sum', ['a', 'b']],
      ['dense', 'out', ['sum']],
    ]);
    const net = new Net(imported.arch, 0);
    const x = tf.randomNormal([4, 3], 0, 1, 'float32', 3);
    const w = (k: number) => tf.tensor(arrays[k]![2], arrays[k]![1]);
    const [ours, want] = tf.tidy(() => {
      const h = tf.add(tf.relu(tf.add(tf.matMul(x, w(0)), w(1))), tf.relu(tf.add(tf.matMul(x, w(2)), w(3))));
      return [net.forward(x), tf.add(tf.matMul(h, w(4)), w(5))];
    });
    expect(maxAbsDiff(ours, want)).toBeLessThan(1e-5);
    tf.dispose([x, ours, want]);
    net.dispose();
  });
});
