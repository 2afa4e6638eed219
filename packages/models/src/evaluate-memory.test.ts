import { beforeAll, expect, it } from 'vitest';
import { loadDataset } from '@prunelab/datasets';
import { initBackend, nativeStatus, tf } from '@prunelab/engine';
import { evaluate } from './evaluate.js';
import { Net } from './net.js';
import { modelRegistry } from './zoo/all.js';

const native = nativeStatus().available;

beforeAll(async () => {
  if (native) await initBackend('native');
});

// Found with the ShrinkBench-style sweep: evaluating ResNet-56 on 1,000 CIFAR-sized images in one
// chunk aborted the wasm heap on the native backend ("memory access out of bounds": every layer's
// output of the chunk, and the native convolutions' im2col buffers, live on that heap). evaluate now
// sizes its chunks from the network's activations.
it.skipIf(!native)('evaluates ResNet-56 on 1,000 32x32x3 images in chunks that fit the wasm heap, without leaks', async () => {
  const ds = {
    ...(await loadDataset({ name: 'synthetic', kind: 'blobs', dims: 32 * 32 * 3, classes: 10, trainSize: 10, valSize: 0, testSize: 1000 })),
    shape: [32, 32, 3],
  };
  const net = new Net(modelRegistry.create('resnet', { depth: 56, shortcut: 'A' })(ds.shape, ds.classes), 0);
  const before = tf.memory().numTensors;
  const e = evaluate(net, ds, 'test');
  expect(e.examples).toBe(1000);
  expect(Number.isFinite(e.loss)).toBe(true);
  expect(tf.memory().numTensors).toBe(before);
  net.dispose();
}, 300_000);
