import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from '../net.js';
import { fileIOHandler, readModelArtifactsSync } from '../io/fs-handler.js';
import { importLayersModel } from '../io/keras-import.js';
import { exportModel } from './export.js';
import { maxAbsDiff, randomize, unitPrune } from '../test-utils/fixtures.js';
import { usesChannelGroups } from './channels.js';
import { residualFunctionalModel, zeroFirstUnits } from '../test-utils/functional-model.js';
import { tempDirs } from '../test-utils/temp-dirs.js';

/**
 * Export of an imported functional model (issue 17): the file written is the
 * user's functional model (layer names, inbound nodes, final softmax, input
 * shape) with the net's weights, and tf.loadLayersModel gives the net's
 * predictions, masked or physically smaller.
 */
const tempDir = tempDirs('prunelab-export-functional-');

beforeAll(async () => {
  await initBackend('cpu');
});

interface Topology {
  class_name: string;
  config: { layers: Array<{ name: string; class_name: string; inbound_nodes: unknown; config: Record<string, unknown> }>; input_layers: unknown; output_layers: unknown };
}
const topologyOf = (dir: string): Topology => (JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as { modelTopology: Topology }).modelTopology;

async function imported() {
  const model = residualFunctionalModel();
  const dir = tempDir();
  await model.save(fileIOHandler(dir));
  model.dispose();
  const artifacts = readModelArtifactsSync(join(dir, 'model.json'));
  const imp = importLayersModel(artifacts, dir, { inputShape: [8, 8, 3], classes: 3 });
  return { dir, source: { artifacts, imported: imp }, net: new Net(imp.arch, 0) };
}

/** The reloaded model's predictions against softmax of the net's logits. */
async function reload(net: Net, dir: string): Promise<tfl.LayersModel> {
  const loaded = await tfl.loadLayersModel(fileIOHandler(dir));
  const x = tf.randomNormal([6, 8, 8, 3], 0, 1, 'float32', 17);
  const [want, got] = tf.tidy(() => [tf.softmax(net.forward(x)), loaded.predict(x) as tf.Tensor]);
  expect(maxAbsDiff(want, got)).toBeLessThan(1e-5);
  tf.dispose([x, want, got]);
  return loaded;
}

describe('exporting an imported functional model', () => {
  it('masked: the same functional topology (names, inbound nodes, softmax, input) with the new weights; moved batch-norm parameters kept', async () => {
    const { dir: original, source, net } = await imported();
    tf.tidy(() => {
      for (const p of net.params) p.kernel.assign(tf.mul(p.kernel, tf.cast(tf.greater(tf.abs(p.kernel), 0.2), 'float32')));
      // As fine-tuning would: batch-norm parameters move, including the beta of dw_bn, which the file has none of (center: false).
      for (const bn of net.norms) bn.beta.assign(tf.add(bn.beta, 0.1));
    });
    const before = tf.memory().numTensors;
    const dir = tempDir();
    const report = await exportModel(net, dir, { source });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.output).toBe('softmax');
    expect(report.inputShape).toEqual([8, 8, 3]);
    expect(report.nonzero).toBeLessThan(report.params);
    const [mine, theirs] = [topologyOf(dir), topologyOf(original)];
    expect(mine.class_name).toBe('Model');
    expect(mine.config.layers.map((l) => [l.name, l.class_name, l.inbound_nodes])).toEqual(theirs.config.layers.map((l) => [l.name, l.class_name, l.inbound_nodes]));
    expect([mine.config.input_layers, mine.config.output_layers]).toEqual([theirs.config.input_layers, theirs.config.output_layers]);
    const loaded = await reload(net, dir);
    expect(loaded.inputs[0]!.shape).toEqual([null, 8, 8, 3]);
    expect((loaded.getLayer('classes').getConfig() as { activation: string }).activation).toBe('softmax');
    expect((loaded.getLayer('dw_bn').getConfig() as { center: boolean }).center).toBe(true);
    expect(report.params).toBe(loaded.countParams());
    loaded.dispose();
    net.dispose();
  });

  it('unit-pruned and physically smaller (coupled channels removed across the add and the concatenation): same predictions (1e-5), fewer parameters', async () => {
    const { source, net } = await imported();
    expect(zeroFirstUnits(net)).toBeGreaterThanOrEqual(4);
    const before = tf.memory().numTensors;
    const dir = tempDir();
    const report = await exportModel(net, dir, { source, physical: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.removed).toMatchObject({ conv1: 1, conv2: 1, conv3: 1, conv4: 1, dense1: 1, dense2: 0 });
    const loaded = await reload(net, dir);
    // The residual stream lost a channel in every layer on it: the stem, its batch norm, the depthwise conv, the 1x1 conv.
    expect(loaded.getLayer('stem').getWeights()[0]!.shape).toEqual([3, 3, 3, 5]);
    expect(loaded.getLayer('stem_bn').getWeights()[0]!.shape).toEqual([5]);
    expect(loaded.getLayer('dw').getWeights()[0]!.shape).toEqual([3, 3, 5, 1]);
    expect(loaded.getLayer('pw').getWeights()[0]!.shape).toEqual([1, 1, 5, 5]);
    expect((loaded.getLayer('down').getConfig() as { filters: number }).filters).toBe(4);
    expect(loaded.getLayer('hidden').getWeights()[0]!.shape).toEqual([7, 6]);
    expect(report.params).toBe(loaded.countParams());
    const given = (source.artifacts.weightSpecs ?? []).reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(report.params).toBeLessThan(given);
    loaded.dispose();
    net.dispose();
  });

  it('a functional chain of Dense layers (the per-layer path, constants of removed units folded) on image data: physically smaller, same predictions', async () => {
    const input = tfl.input({ shape: [16], name: 'pixels' });
    const h = tfl.layers.dense({ name: 'fc1', units: 10, activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const d = tfl.layers.dropout({ name: 'drop', rate: 0.5 }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: tfl.layers.dense({ name: 'probs', units: 3, activation: 'softmax' }).apply(d) as tfl.SymbolicTensor });
    const original = tempDir();
    await model.save(fileIOHandler(original));
    model.dispose();
    const artifacts = readModelArtifactsSync(join(original, 'model.json'));
    const imp = importLayersModel(artifacts, original, { inputShape: [4, 4, 1], classes: 3 });
    const net = new Net(imp.arch, 0);
    expect(usesChannelGroups(net.arch)).toBe(false);
    randomize(net, 5);
    unitPrune(net, 0.5, ['dense2']);
    const dir = tempDir();
    const report = await exportModel(net, dir, { source: { artifacts, imported: imp }, physical: true });
    expect(report.removed).toEqual({ dense1: 5, dense2: 0 });
    expect(report.inputShape).toEqual([16]);
    const loaded = await tfl.loadLayersModel(fileIOHandler(dir));
    expect(topologyOf(dir).class_name).toBe('Model');
    expect(loaded.getLayer('fc1').getWeights()[0]!.shape).toEqual([16, 5]);
    const x = tf.randomUniform([4, 4, 4, 1], 0, 1, 'float32', 3);
    const [want, got] = tf.tidy(() => [tf.softmax(net.forward(x)), loaded.predict(tf.reshape(x, [4, 16])) as tf.Tensor]);
    expect(maxAbsDiff(want, got)).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
    loaded.dispose();
    net.dispose();
  });
});
