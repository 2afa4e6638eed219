import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import { Net } from './net.js';
import { deserializeWeights, getWeights, serializeWeights, setWeights } from './weights.js';
import { modelRegistry } from './zoo/all.js';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('weights of a batch-normalised network', () => {
  const arch = modelRegistry.create('resnet', { depth: 20, width: 2, shortcut: 'B' })([8, 8, 3], 4);

  it("name every array in layer order: kernels (no bias where the layer has none), and each batch norm's gamma, beta and running statistics", () => {
    const net = new Net(arch, 1);
    const names = getWeights(net).map((w) => w.name);
    expect(names.slice(0, 6)).toEqual(['conv1/kernel', 'bn1/gamma', 'bn1/beta', 'bn1/moving_mean', 'bn1/moving_variance', 'conv2/kernel']);
    expect(names.slice(-2)).toEqual(['dense1/kernel', 'dense1/bias']);
    expect(names.length).toBe(net.params.length + 1 + 4 * net.norms.length);
    net.dispose();
  });

  it('round-trip through the dense-cache format, running statistics included, bit for bit', () => {
    const before = tf.memory().numTensors;
    const a = new Net(arch, 1);
    tf.tidy(() => a.norms.forEach((bn, k) => {
      bn.movingMean.assign(tf.randomNormal(bn.movingMean.shape, 0, 1, 'float32', k));
      bn.movingVariance.assign(tf.randomUniform(bn.movingVariance.shape, 0.5, 2, 'float32', 100 + k));
      bn.gamma.assign(tf.randomUniform(bn.gamma.shape, 0.5, 2, 'float32', 200 + k));
    }));
    const b = new Net(arch, 2);
    setWeights(b, deserializeWeights(serializeWeights(getWeights(a))));
    expect(getWeights(b).map((w) => Array.from(w.data))).toEqual(getWeights(a).map((w) => Array.from(w.data)));
    tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
      expect(b.forward(x).dataSync()).toEqual(a.forward(x).dataSync());
    });
    // A file without the running statistics is refused before anything is written.
    const c = new Net(arch, 3);
    const untouched = getWeights(c).map((w) => Array.from(w.data));
    const partial = getWeights(a).filter((w) => !w.name.endsWith('moving_variance'));
    expect(() => setWeights(c, partial)).toThrow('weights for bn1/moving_variance are missing');
    expect(getWeights(c).map((w) => Array.from(w.data))).toEqual(untouched);
    c.dispose();
    a.dispose();
    b.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
