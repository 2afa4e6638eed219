import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import { crossEntropy } from './data.js';
import { evaluate } from './evaluate.js';
import { Net } from './net.js';
import { train } from './train.js';
import { modelRegistry } from './zoo/all.js';
import { config } from './test-utils/fixtures.js';

/** 48 synthetic 32x32x3 examples in 3 classes (Gaussian blobs laid out as images). */
let ds: LoadedDataset;
beforeAll(async () => {
  // wasm: tfjs-backend-cpu's conv filter gradient takes seconds per ResNet layer (prunelab trains on wasm or native).
  await initBackend('wasm');
  const blobs = await loadDataset({ name: 'synthetic', kind: 'blobs', dims: 32 * 32 * 3, classes: 3, trainSize: 48, valSize: 8, testSize: 24 });
  ds = { ...blobs, shape: [32, 32, 3] };
});

/** The whole train split as one batch, in its stored order. */
function trainBatch(): { xs: tf.Tensor; ys: tf.Tensor1D } {
  const { x, y } = ds.pools[0]!;
  const idx = ds.splits.train.indices;
  const d = 32 * 32 * 3;
  const xs = new Float32Array(idx.length * d);
  idx.forEach((i, k) => xs.set(x.subarray(i * d, (i + 1) * d), k * d));
  return { xs: tf.tensor(xs, [idx.length, 32, 32, 3]), ys: tf.tensor1d(Array.from(idx, (i) => y[i]!), 'int32') };
}

describe('training a ResNet through the training loop (tfjs path)', () => {
  it('lowers the loss, moves the running statistics, and evaluates in inference mode', () => {
    const before = tf.memory().numTensors;
    const net = new Net(modelRegistry.create('resnet', { depth: 20, width: 4 })([32, 32, 3], 3), 1);
    const { xs, ys } = trainBatch();
    const trainingLoss = () => tf.tidy(() => crossEntropy(net.forward(xs, { training: true }), ys, 3).dataSync()[0]!);
    const loss0 = trainingLoss();
    const running0 = net.norms.map((bn) => Array.from(bn.movingMean.dataSync()));
    const r = train(net, ds, config({ optimizer: 'momentum', lr: 0.05, batchSize: 16, epochs: 2 }), { seed: 1, engine: 'tfjs' });
    expect(r.steps).toBe(6);
    expect(trainingLoss()).toBeLessThan(loss0 * 0.8);
    // Every batch norm's running mean moved: six updates with momentum 0.9.
    net.norms.forEach((bn, k) => expect(Array.from(bn.movingMean.dataSync()), bn.name).not.toEqual(running0[k]));
    // evaluate() is the inference-mode loss (running statistics), not the training-mode one.
    const e = evaluate(net, ds, 'train');
    const inference = tf.tidy(() => crossEntropy(net.forward(xs), ys, 3).dataSync()[0]!);
    expect(e.loss).toBeCloseTo(inference, 5);
    expect(Math.abs(e.loss - trainingLoss())).toBeGreaterThan(1e-4);
    tf.dispose([xs, ys]);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
