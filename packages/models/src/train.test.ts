import { beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { augmentPlan, epochOrder, fillBatch, type LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf } from '@prunelab/engine';
import type { Architecture } from './architecture.js';
import { crossEntropy } from './data.js';
import { Net } from './net.js';
import type { TrainingConfig } from './optimizer.js';
import { train, trainAsync } from './train.js';
import { getWeights } from './weights.js';
import { blobs, config, mlpArch } from './test-utils/fixtures.js';

let ds: LoadedDataset;
beforeAll(async () => {
  await initBackend('cpu');
  ds = await blobs();
});

describe('determinism', () => {
  it('training twice from the same seed gives bit-identical weights (train and trainAsync)', async () => {
    const run = async (useAsync: boolean) => {
      const net = new Net(mlpArch(), 11);
      const cfg = config({ optimizer: 'adam', epochs: 2 });
      if (useAsync) await trainAsync(net, ds, cfg, { seed: 5, onStep: async () => undefined });
      else train(net, ds, cfg, { seed: 5 });
      const w = getWeights(net).map((x) => Array.from(x.data));
      net.dispose();
      return w;
    };
    const a = await run(false);
    expect(await run(false)).toEqual(a);
    expect(await run(true)).toEqual(a);
  });

  it('stops early, honours `steps`, and leaks nothing', () => {
    const before = tf.memory().numTensors;
    const net = new Net(mlpArch(), 1);
    expect(train(net, ds, config(), { seed: 1, onStep: (s) => s === 3 }).steps).toBe(3);
    expect(train(net, ds, config(), { seed: 1, steps: 5 }).steps).toBe(5);
    net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

/** The blobs' 8 features as a 4x2x1 image, so crops and flips apply. */
const image: Architecture = {
  inputShape: [4, 2, 1],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 3, kernel: 2, stride: 1, padding: 'same', activation: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', units: 3, activation: 'linear' },
  ],
};
const imageData = (): LoadedDataset => ({ ...ds, shape: [4, 2, 1] });
const weightsOf = (net: Net) => getWeights(net).map((w) => Float32Array.from(w.data));

/**
 * SGD with momentum written out by hand, as PyTorch's torch.optim.SGD does it
 * (v = momentum v + (g + wd w); w -= lr_t v), with the rate of step t given by
 * `rate` and the batches drawn as train() promises: epoch order and
 * augmentation from (seed, epoch), 16 steps of 32 per epoch of 512.
 */
function byHand(cfg: TrainingConfig, rate: (t: number) => number, steps: number, seed: number): Float32Array[] {
  const data = imageData();
  const net = new Net(image, 4);
  const vars = net.variables();
  const velocity: tf.Tensor[] = vars.map((v) => tf.zerosLike(v));
  const x = new Float32Array(32 * 8);
  const y = new Int32Array(32);
  for (let t = 0; t < steps; t++) {
    const epoch = Math.floor(t / 16);
    const positions = epochOrder(512, seed, epoch).subarray((t % 16) * 32, (t % 16) * 32 + 32);
    fillBatch(data, 'train', positions, x, y, augmentPlan(512, cfg.augment, seed, epoch));
    tf.tidy(() => {
      const xs = tf.tensor(x, [32, 4, 2, 1]);
      const { grads } = tf.variableGrads(() => crossEntropy(net.forward(xs), tf.tensor1d(y, 'int32'), 3), vars);
      vars.forEach((v, i) => {
        const g = tf.add(grads[v.name]!, tf.mul(v, cfg.weightDecay));
        const vel = tf.add(tf.mul(velocity[i]!, cfg.momentum), g);
        velocity[i]!.dispose();
        velocity[i] = tf.keep(vel);
        v.assign(tf.sub(v, tf.mul(vel, rate(t))));
      });
    });
  }
  const w = weightsOf(net);
  tf.dispose(velocity);
  net.dispose();
  return w;
}

function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, i) => {
    const scale = Math.max(...Array.from(b[i]!, Math.abs), 1e-6);
    x.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - b[i]![k]!) / scale)));
  });
  return worst;
}

describe('learning-rate schedules and augmentation in training', () => {
  // 2 epochs of 16 steps; milestones at epochs 0.5 and 1.5 (steps 8 and 24); warm-up over 0.25 epochs (4 steps).
  const cfg = config({
    optimizer: 'momentum',
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 5e-4,
    epochs: 2,
    lrSchedule: { kind: 'step', milestones: [0.5, 1.5], gamma: 0.1, warmupEpochs: 0.25 },
    augment: { crop: 1, flip: true },
  });
  const handRate = (t: number) => 0.1 * Math.min(1, (t + 1) / 4) * (t >= 8 ? 0.1 : 1) * (t >= 24 ? 0.1 : 1);

  it('step decay with warm-up and crop/flip give the weights of SGD with momentum written out by hand (PyTorch semantics)', () => {
    const before = tf.memory().numTensors;
    const net = new Net(image, 4);
    train(net, imageData(), cfg, { seed: 3 });
    const got = weightsOf(net);
    net.dispose();
    expect(maxRelDiff(got, byHand(cfg, handRate, 32, 3))).toBeLessThan(1e-5);
    // The hand loop can tell: the constant rate, or no augmentation, is far off.
    expect(maxRelDiff(got, byHand(cfg, () => 0.1, 32, 3))).toBeGreaterThan(1e-2);
    expect(maxRelDiff(got, byHand({ ...cfg, augment: { crop: 0, flip: false } }, handRate, 32, 3))).toBeGreaterThan(1e-3);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('cosine decays on the tfjs path as the formula says (adam and sgd take their rate too)', () => {
    const cos = config({ ...cfg, lrSchedule: { kind: 'cosine', minLr: 0.001, warmupEpochs: 0 }, augment: { crop: 0, flip: false } });
    const net = new Net(image, 4);
    train(net, imageData(), cos, { seed: 5 });
    const rate = (t: number) => 0.001 + (0.099 * (1 + Math.cos((Math.PI * t) / 32))) / 2;
    expect(maxRelDiff(weightsOf(net), byHand(cos, rate, 32, 5))).toBeLessThan(1e-5);
    net.dispose();
    for (const optimizer of ['adam', 'sgd'] as const) {
      const run = (lrSchedule: TrainingConfig['lrSchedule']) => {
        const n = new Net(image, 4);
        train(n, imageData(), config({ optimizer, lr: 0.01, epochs: 2, lrSchedule }), { seed: 5 });
        const w = weightsOf(n);
        n.dispose();
        return w;
      };
      expect(maxRelDiff(run({ kind: 'cosine', minLr: 0, warmupEpochs: 0 }), run({ kind: 'constant', warmupEpochs: 0 }))).toBeGreaterThan(1e-3);
    }
  });

  it('augmented training reruns bit for bit, and a flat dataset with augment is a config error', () => {
    const run = () => {
      const net = new Net(image, 4);
      train(net, imageData(), cfg, { seed: 8 });
      const w = weightsOf(net);
      net.dispose();
      return w;
    };
    const a = run();
    run().forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(a[i]!.buffer))).toBe(true));
    const net = new Net(mlpArch(), 1);
    let err: unknown;
    try {
      train(net, ds, config({ augment: { crop: 4, flip: true } }), { seed: 1 });
    } catch (e) {
      err = e;
    }
    net.dispose();
    expect(isPrunelabError(err) && err.code).toBe('E_CONFIG_INVALID');
    expect(String(err)).toMatch(/augment: dataset synthetic: random crops and flips need images \[height, width, channels\]; these examples have shape \[8\]/);
  });
});
