import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@prunelab/engine';
import type { Architecture } from './architecture.js';
import { BatchStats } from './batch-norm.js';
import type { LayerObservation } from './forward.js';
import { Net } from './net.js';

/**
 * The hooks of the forward pass on a residual graph with batch norms: a
 * stem, a main branch of two convs and a 1x1 conv shortcut listed after it,
 * added, pooled and classified. Unit outputs: conv1 -> bn -> relu (the stem,
 * read by both branches), conv2 -> bn -> relu, conv3 -> bn (the add ends it),
 * conv4 -> bn, and the logits of dense1.
 */
const residual: Architecture = {
  inputShape: [6, 6, 2],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear', bias: false },
    { kind: 'batchnorm' },
    { kind: 'activation', fn: 'relu', name: 'stem' },
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear' },
    { kind: 'batchnorm' },
    { kind: 'activation', fn: 'relu' },
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear' },
    { kind: 'batchnorm', name: 'main' },
    { kind: 'conv2d', filters: 4, kernel: 1, stride: 1, padding: 'same', activation: 'linear', inputs: ['stem'] },
    { kind: 'batchnorm', name: 'short' },
    { kind: 'add', inputs: ['main', 'short'] },
    { kind: 'activation', fn: 'relu' },
    { kind: 'globalAvgPool' },
    { kind: 'dense', units: 3, activation: 'linear' },
  ],
};

let net: Net;
let x: tf.Tensor;

beforeAll(async () => {
  await initBackend('cpu');
  net = new Net(residual, 3);
  tf.tidy(() => {
    net.params.forEach((p, l) => p.bias?.assign(tf.randomNormal(p.bias.shape, 0, 0.5, 'float32', 10 + l)));
    net.norms.forEach((bn, k) => {
      bn.gamma.assign(tf.randomUniform([4], 0.5, 1.5, 'float32', 20 + k));
      bn.beta.assign(tf.randomNormal([4], 0, 0.5, 'float32', 30 + k));
      bn.movingMean.assign(tf.randomNormal([4], 0, 0.3, 'float32', 40 + k));
      bn.movingVariance.assign(tf.randomUniform([4], 0.5, 2, 'float32', 50 + k));
    });
  });
  x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 4);
});
afterAll(() => {
  net.dispose();
  x.dispose();
});

/** Inputs, pre- and post-activations of the five param layers and the logits, composed by hand from tfjs ops (inference mode). */
function byHand(): { inputs: tf.Tensor[]; pres: tf.Tensor[]; posts: tf.Tensor[]; logits: tf.Tensor } {
  const [c1, c2, c3, c4, d1] = net.params;
  const bn = (k: number, t: tf.Tensor) => {
    const n = net.norms[k]!;
    return tf.add(tf.div(tf.mul(tf.sub(t, n.movingMean), n.gamma), tf.sqrt(tf.add(n.movingVariance, n.epsilon))), n.beta);
  };
  const conv = (t: tf.Tensor, p: typeof c1) => {
    const z = tf.conv2d(t as tf.Tensor4D, p!.kernel as tf.Tensor4D, 1, 'same');
    return p!.bias ? tf.add(z, p!.bias) : z;
  };
  const z1 = conv(x, c1);
  const stem = tf.relu(bn(0, z1));
  const z2 = conv(stem, c2);
  const h2 = tf.relu(bn(1, z2));
  const z3 = conv(h2, c3);
  const main = bn(2, z3);
  const z4 = conv(stem, c4);
  const short = bn(3, z4);
  const pooled = tf.mean(tf.relu(tf.add(main, short)), [1, 2]);
  const logits = tf.add(tf.matMul(pooled as tf.Tensor2D, d1!.kernel as tf.Tensor2D), d1!.bias!);
  return { inputs: [x, stem, h2, stem, pooled], pres: [z1, z2, z3, z4, logits], posts: [stem, h2, main, short, logits], logits };
}

const close = (a: tf.Tensor, b: tf.Tensor) => {
  expect(a.shape).toEqual(b.shape);
  expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
};

describe('the forward pass over a residual graph with batch norms', () => {
  it('observes every param layer in order: conv -> batch norm -> relu is one unit output, and the add ends one', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const seen: LayerObservation[] = [];
      const logits = net.forwardWith(x, { observe: (o) => seen.push(o) });
      const hand = byHand();
      expect(seen.map((o) => o.param)).toEqual([0, 1, 2, 3, 4]);
      seen.forEach((o, l) => {
        close(o.input, hand.inputs[l]!);
        close(o.pre, hand.pres[l]!);
        close(o.post, hand.posts[l]!);
      });
      close(logits, hand.logits);
      expect(logits.dataSync()).toEqual(net.forward(x).dataSync());
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts after any layer and gives the full pass\'s logits, bit for bit: a shortcut that leaves before the layer is computed from the input', () => {
    tf.tidy(() => {
      const posts: tf.Tensor[] = [];
      const full = net.forwardWith(x, { observe: (o) => void (posts[o.param] = o.post) }).dataSync();
      posts.forEach((h, after) => expect(net.forwardWith(x, { start: { after, h } }).dataSync(), `start after ${after}`).toEqual(full));
      // From the main branch's conv3, the stem (and so the shortcut) must come from x: another x gives other logits.
      const other = tf.randomNormal(x.shape, 0, 1, 'float32', 9);
      expect(net.forwardWith(other, { start: { after: 2, h: posts[2]! } }).dataSync()).not.toEqual(full);
    });
  });

  it('from a start, observes only the param layers downstream of it', () => {
    tf.tidy(() => {
      const posts: tf.Tensor[] = [];
      net.forwardWith(x, { observe: (o) => void (posts[o.param] = o.post) });
      const observed = (after: number) => {
        const seen: number[] = [];
        net.forwardWith(x, { start: { after, h: posts[after]! }, observe: (o) => void seen.push(o.param) });
        return seen;
      };
      expect(observed(0)).toEqual([1, 2, 3, 4]);
      // conv4 (the shortcut) is not downstream of conv3: it is computed, not observed.
      expect(observed(2)).toEqual([4]);
      expect(observed(3)).toEqual([4]);
    });
  });

  it('ablating a unit zeroes its output everywhere it is read, in a full pass and from a start alike', () => {
    tf.tidy(() => {
      const hand = byHand();
      const posts: tf.Tensor[] = [];
      net.forwardWith(x, { observe: (o) => void (posts[o.param] = o.post) });
      for (const [param, unit] of [[0, 1], [2, 3], [3, 0]] as const) {
        const keep = tf.tensor1d([0, 1, 2, 3].map((j) => (j === unit ? 0 : 1)));
        const zeroed = tf.mul(hand.posts[param]!, keep);
        let post: tf.Tensor | undefined;
        const ablated = net.forwardWith(x, { ablate: { param, unit }, observe: (o) => void (o.param === param && (post = o.post)) });
        close(post!, zeroed);
        expect(net.forwardWith(x, { start: { after: param, h: posts[param]! }, ablate: { param, unit } }).dataSync()).toEqual(ablated.dataSync());
        close(ablated, net.forwardWith(x, { start: { after: param, h: zeroed } }));
      }
      // The stem's unit feeds both branches: ablating it differs from ablating it in the main branch alone.
      const both = net.forwardWith(x, { ablate: { param: 0, unit: 1 } });
      const stemZeroed = tf.mul(hand.posts[0]!, tf.tensor1d([1, 0, 1, 1]));
      close(both, net.forwardWith(x, { start: { after: 0, h: stemZeroed } }));
    });
  });

  it('in training mode normalises with the batch statistics and records them, leaving the running ones until commit', () => {
    const before = tf.memory().numTensors;
    const running = net.norms.map((bn) => Array.from(bn.movingMean.dataSync()));
    const stats = new BatchStats();
    tf.tidy(() => {
      const train = net.forward(x, { training: true, batchStats: stats });
      const infer = net.forward(x);
      expect(tf.max(tf.abs(tf.sub(train, infer))).dataSync()[0]).toBeGreaterThan(1e-3);
      // The stem's batch norm in training mode: (z - mean_B) / sqrt(var_B + eps) * gamma + beta over batch and positions.
      const z1 = tf.conv2d(x as tf.Tensor4D, net.params[0]!.kernel as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(z1, [0, 1, 2]);
      const bn0 = net.norms[0]!;
      let stem: tf.Tensor | undefined;
      net.forwardWith(x, { training: true, observe: (o) => void (o.param === 0 && (stem = o.post)) });
      close(stem!, tf.relu(tf.add(tf.mul(tf.div(tf.sub(z1, mean), tf.sqrt(tf.add(variance, bn0.epsilon))), bn0.gamma), bn0.beta)));
    });
    expect(net.norms.map((bn) => Array.from(bn.movingMean.dataSync()))).toEqual(running);
    stats.commit();
    net.norms.forEach((bn, k) => expect(Array.from(bn.movingMean.dataSync())).not.toEqual(running[k]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
