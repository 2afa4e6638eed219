import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, nativeStatus, tf } from '@prunelab/engine';
import { project } from '@prunelab/projection';
import { evaluate } from './evaluate.js';
import { Net } from './net.js';
import { train } from './train.js';
import { getWeights } from './weights.js';
import { maskableVariables, type MaskSet } from './mask-set.js';
import type { TrainingConfig } from './optimizer.js';
import type { LrSchedule } from './lr-schedule.js';
import { blobs, config, magnitudeScores, mlpArch } from './test-utils/fixtures.js';
import type { Architecture } from './architecture.js';
import { modelRegistry } from './zoo/all.js';
import { loadDataset } from '@prunelab/datasets';

// Training on the native backend against the tfjs path on the same backend
// (engine: 'tfjs'): same losses and weights to 1e-4 after many steps, masks
// that hold exactly, bit-identical reruns, and no leaked tensors.
const available = nativeStatus().available;
let ds: LoadedDataset;
/** Gaussian blobs of as many features as a graph net's input has, by feature count. */
const images = new Map<number, LoadedDataset>();
beforeAll(async () => {
  if (!available) return;
  const info = await initBackend('native');
  expect(info.name).toBe('native');
  // The run's environment names the direct kernels' instruction set: it decides the sums' order.
  expect(info.package).toMatch(/, direct convolutions: (avx512|avx2|off)\) on @tensorflow\/tfjs-backend-wasm@/);
  ds = await blobs();
  for (const arch of GRAPHS.map(([, a]) => a)) {
    const dims = arch.inputShape.reduce((a, b) => a * b, 1);
    if (!images.has(dims)) images.set(dims, await loadDataset({ name: 'synthetic', kind: 'blobs', dims, classes: 3, trainSize: 256, valSize: 32, testSize: 32 }));
  }
});

const conv: Architecture = {
  inputShape: [4, 2, 1],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 2, stride: 1, padding: 'same', activation: 'relu' },
    { kind: 'fixed', op: { type: 'affine', scale: [1.5, 0.5, 1, 2], offset: [0.1, -0.1, 0, 0.2] } },
    { kind: 'fixed', op: { type: 'pool', mode: 'avg', size: [2, 2], stride: [1, 1], padding: 'valid' } },
    { kind: 'flatten' },
    { kind: 'dense', units: 3, activation: 'linear' },
  ],
};

/**
 * Graph networks (architecture.ts) with every layer kind, small so that the
 * tfjs path is quick: He et al. 2016's CIFAR ResNet-20 with both shortcuts,
 * network slimming's VGG-11 with batch norm, and a graph with depthwise
 * convolutions (with and without bias), a concatenation, spatial and channel
 * zero padding, a three-way add, a value read by four layers, an inner softmax
 * and a dense layer without bias.
 */
const depthwiseGraph: Architecture = {
  inputShape: [6, 6, 2],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'relu', name: 'x' },
    { kind: 'depthwiseConv2d', kernel: 3, stride: 1, padding: 'same', activation: 'relu', name: 'dw1' },
    { kind: 'depthwiseConv2d', kernel: 2, stride: 1, padding: 'same', activation: 'linear', bias: false, inputs: ['x'] },
    { kind: 'batchnorm', epsilon: 1e-3, momentum: 0.9, name: 'dw2' },
    { kind: 'add', inputs: ['dw1', 'x', 'dw2'], name: 'sum' },
    { kind: 'conv2d', filters: 2, kernel: 1, stride: 1, padding: 'valid', activation: 'linear', inputs: ['x'], name: 'narrow' },
    { kind: 'concatenate', inputs: ['sum', 'narrow', 'x'] },
    { kind: 'zeroPad', padding: [[1, 0], [0, 2]], channels: [1, 1] },
    { kind: 'depthwiseConv2d', kernel: 3, stride: 2, padding: 'valid', activation: 'linear' },
    { kind: 'batchnorm' },
    { kind: 'activation', fn: 'relu' },
    { kind: 'flatten' },
    { kind: 'dense', units: 6, activation: 'linear' },
    { kind: 'activation', fn: 'softmax' },
    { kind: 'dense', units: 3, activation: 'linear', bias: false },
  ],
};
const GRAPHS: Array<[string, Architecture]> = [
  ['ResNet-20, option-A shortcuts', modelRegistry.create('resnet', { depth: 20, width: 2, shortcut: 'A' })([8, 8, 3], 3)],
  ['ResNet-20, option-B shortcuts', modelRegistry.create('resnet', { depth: 20, width: 2, shortcut: 'B' })([8, 8, 3], 3)],
  ['VGG-11 with batch norm', modelRegistry.create('vgg', { depth: 11, width: 1 })([16, 16, 1], 3)],
  ['a graph with depthwise convolutions, concatenate and zero padding', depthwiseGraph],
];

/** The blobs' 8 features as the image the architecture takes (4x2x1 for the convnet); a graph net's own blobs. */
const dataFor = (arch: Architecture): LoadedDataset => {
  const dims = arch.inputShape.reduce((a, b) => a * b, 1);
  return { ...(dims === 8 ? ds : images.get(dims)!), shape: [...arch.inputShape] };
};

function weightsAfter(arch: Architecture, cfg: TrainingConfig, engine: 'auto' | 'tfjs', masks?: (net: Net) => MaskSet): { w: Float32Array[]; loss: number; net: Net } {
  const net = new Net(arch, 3);
  const m = masks?.(net);
  const r = train(net, dataFor(arch), cfg, { seed: 9, engine, ...(m && { masks: m }) });
  for (const t of m?.values() ?? []) t.dispose();
  return { w: getWeights(net).map((x) => Float32Array.from(x.data)), loss: r.finalLoss, net };
}

const maxRel = (a: Float32Array[], b: Float32Array[], floor = 1e-6) => {
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    const scale = Math.max(...Array.from(y, Math.abs), floor);
    for (let k = 0; k < x.length; k++) worst = Math.max(worst, Math.abs(x[k]! - y[k]!) / scale);
  });
  return worst;
};

describe.skipIf(!available)('training on the native backend', () => {
  for (const [name, arch] of [['an MLP', mlpArch()], ['a convnet with a folded batch norm and average pooling', conv]] as const) {
    for (const optimizer of ['adam', 'momentum', 'sgd'] as const) {
      it(`${name}, ${optimizer}: weights after 16 steps equal the tfjs path's to 1e-4, with weight decay`, () => {
        const cfg = config({ optimizer, lr: 0.02, weightDecay: 1e-3, epochs: (16 * 32) / 512 });
        const a = weightsAfter(arch, cfg, 'auto');
        const b = weightsAfter(arch, cfg, 'tfjs');
        expect(maxRel(a.w, b.w)).toBeLessThan(1e-4);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
        a.net.dispose();
        b.net.dispose();
      });
    }
  }

  // The rate changes every step (warm-up, then a milestone, or a cosine), and crops and flips change the batches:
  // the native step takes each step's rate and reads the same augmented batch buffer as the tfjs path.
  // (At lr 0.05, Adam turned a pre-activation rounding to the other side of ReLU's kink into a 2e-3 bias difference after 32 steps.)
  const schedules: Array<[string, LrSchedule]> = [
    ['step decay with warm-up', { kind: 'step', milestones: [0.25, 0.75], gamma: 0.3, warmupEpochs: 0.125 }],
    ['cosine with warm-up', { kind: 'cosine', minLr: 0.002, warmupEpochs: 0.125 }],
  ];
  for (const [label, lrSchedule] of schedules) {
    for (const optimizer of ['adam', 'momentum', 'sgd'] as const) {
      it(`the convnet, ${optimizer}, ${label} and crop/flip: the same weights on both paths to 1e-4`, () => {
        const cfg = config({ optimizer, lr: 0.02, weightDecay: 1e-3, epochs: (32 * 32) / 512, lrSchedule, augment: { crop: 1, flip: true } });
        const a = weightsAfter(conv, cfg, 'auto');
        const b = weightsAfter(conv, cfg, 'tfjs');
        expect(maxRel(a.w, b.w)).toBeLessThan(1e-4);
        // The schedule matters: at the constant base rate the weights are elsewhere.
        const flat = weightsAfter(conv, { ...cfg, lrSchedule: { kind: 'constant', warmupEpochs: 0 } }, 'auto');
        expect(maxRel(a.w, flat.w)).toBeGreaterThan(1e-2);
        for (const r of [a, b, flat]) r.net.dispose();
      });
    }
  }

  // Every array: kernels, biases, batch norms' gamma and beta, and their running statistics.
  // SGD and momentum, whose steps are linear in the gradient, so equal weights mean equal gradients. Adam is
  // checked per element on the MLP and convnet above; on batch-norm graphs it is not comparable this way:
  // a bias or beta that a later batch norm cancels has a gradient of rounding noise (1e-10), and Adam's first
  // steps move it by about lr whatever the noise's size, in a direction each path's rounding picks.
  for (const [name, arch] of GRAPHS) {
    for (const optimizer of ['momentum', 'sgd'] as const) {
      it(`${name}, ${optimizer}: every weight and running statistic after 8 steps equals the tfjs path's to 1e-4`, () => {
        const before = tf.memory().numTensors;
        const cfg = config({ optimizer, lr: 0.01, weightDecay: 1e-4, epochs: (8 * 32) / 256 });
        const a = weightsAfter(arch, cfg, 'auto');
        const b = weightsAfter(arch, cfg, 'tfjs');
        expect(a.w.length).toBe(b.w.length);
        // Relative to each array's largest value, at least 1e-3: a bias before a batch norm stays at rounding noise.
        expect(maxRel(a.w, b.w, 1e-3)).toBeLessThan(1e-4);
        expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4);
        // Trained: not the initial weights.
        const init = new Net(arch, 3);
        expect(maxRel(a.w, getWeights(init).map((x) => Float32Array.from(x.data)))).toBeGreaterThan(1e-2);
        for (const r of [a, b]) r.net.dispose();
        init.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  // A channel-group projection masks biases, gamma and beta too (mask-set.ts); the native program takes those
  // masks itself, as the tfjs path applies them: the gradient masked, the mask re-applied after the update.
  it('ResNet-20 with masks on kernels, biases, gamma and beta: the tfjs path\'s weights to 1e-4, masked entries exactly 0', () => {
    const arch = GRAPHS[1]![1];
    const before = tf.memory().numTensors;
    const masks = (net: Net): MaskSet =>
      new Map(maskableVariables(net).map((m) => [m.key, tf.tensor(Float32Array.from({ length: m.variable.size }, (_, i) => (i % 3 === 1 ? 0 : 1)), m.variable.shape)]));
    const cfg = config({ optimizer: 'momentum', lr: 0.01, weightDecay: 1e-4, epochs: (8 * 32) / 256 });
    const a = weightsAfter(arch, cfg, 'auto', masks);
    const b = weightsAfter(arch, cfg, 'tfjs', masks);
    expect(maxRel(a.w, b.w, 1e-3)).toBeLessThan(1e-4);
    for (const { key, variable } of maskableVariables(a.net)) {
      const w = variable.dataSync();
      for (let i = 1; i < w.length; i += 3) expect(w[i] === 0, `${key}[${i}] = ${w[i]}`).toBe(true);
    }
    for (const r of [a, b]) r.net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('ResNet-20: masked kernels stay exactly 0, reruns are bit for bit, no tensor leaks', () => {
    const arch = GRAPHS[1]![1];
    const before = tf.memory().numTensors;
    const masks = (net: Net): MaskSet => {
      const r = project(magnitudeScores(net), { sparsity: 0.6, scope: 'global' });
      return new Map(net.params.map((p, i) => [p.name, tf.tensor(Float32Array.from(r.masks[i]!.mask), p.kernel.shape)]));
    };
    const cfg = config({ optimizer: 'momentum', lr: 0.05, weightDecay: 1e-4, epochs: 1 });
    const a = weightsAfter(arch, cfg, 'auto', masks);
    const b = weightsAfter(arch, cfg, 'auto', masks);
    a.w.forEach((x, i) => expect(Buffer.from(x.buffer).equals(Buffer.from(b.w[i]!.buffer))).toBe(true));
    const ref = new Net(arch, 3);
    const m = masks(ref);
    let pruned = 0;
    for (const p of a.net.params) {
      const kept = m.get(p.name)!.dataSync();
      const w = p.kernel.dataSync();
      for (let k = 0; k < w.length; k++) {
        if (kept[k] !== 0) continue;
        expect(w[k] === 0, `${p.name}[${k}] is pruned`).toBe(true);
        pruned++;
      }
    }
    expect(pruned).toBeGreaterThan(0);
    for (const t of m.values()) t.dispose();
    for (const n of [ref, a.net, b.net]) n.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps masked weights exactly 0 and reruns bit for bit', () => {
    const before = tf.memory().numTensors;
    const masks = (net: Net): MaskSet => {
      const r = project(magnitudeScores(net), { sparsity: 0.7, scope: 'global' });
      return new Map(net.params.map((p, i) => [p.name, tf.tensor(Float32Array.from(r.masks[i]!.mask), p.kernel.shape)]));
    };
    const cfg = config({ optimizer: 'adam', lr: 0.05, weightDecay: 1e-3, epochs: 2 });
    const a = weightsAfter(mlpArch(), cfg, 'auto', masks);
    const b = weightsAfter(mlpArch(), cfg, 'auto', masks);
    a.w.forEach((x, i) => expect(Buffer.from(x.buffer).equals(Buffer.from(b.w[i]!.buffer))).toBe(true));
    const ref = new Net(mlpArch(), 3);
    const m = masks(ref);
    a.net.params.forEach((p, i) => {
      const kept = m.get(p.name)!.dataSync();
      const w = a.w[2 * i]!;
      // w * 0 is -0 for a negative w, as on the tfjs path; either zero is a pruned weight.
      for (let k = 0; k < w.length; k++) if (kept[k] === 0) expect(w[k] === 0).toBe(true);
    });
    for (const t of m.values()) t.dispose();
    ref.dispose();
    a.net.dispose();
    b.net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  // A hooked training (the worker's dense training always has a step hook) copied every variable after every
  // step to give it a fresh id for the wasm backend's weight caches; only what a caching kernel read is renewed now.
  it('a hooked step renews nothing that no caching wasm kernel read: the variables keep their data', () => {
    const net = new Net(mlpArch(), 5);
    const ids: unknown[][] = [];
    train(net, ds, config({ epochs: 1, lr: 0.02 }), {
      seed: 1,
      onStep: () => {
        ids.push(net.variables().map((v) => v.dataId));
        return ids.length === 4;
      },
    });
    expect(ids).toHaveLength(4);
    for (const step of ids) expect(step).toEqual(ids[0]);
    net.dispose();
  });

  it("a variable a caching wasm kernel read between steps is renewed, so that kernel never computes with stale weights", () => {
    const net = new Net(depthwiseGraph, 5);
    const dw = net.params.find((p) => p.name.startsWith('dwconv'))!.kernel;
    const [kh, kw, , c] = dw.shape as [number, number, number, number];
    const x = tf.randomNormal([2, 6, 6, c], 0, 1, 'float32', 3);
    let steps = 0;
    let worst = 0;
    train(net, dataFor(depthwiseGraph), config({ epochs: 1, lr: 0.05 }), {
      seed: 1,
      onStep: () => {
        // tf.depthwiseConv2d is XNNPACK's on the wasm backend: it packs the filter once per tensor id.
        const [a, b] = tf.tidy(() => [
          tf.depthwiseConv2d(x as tf.Tensor4D, tf.reshape(dw, [kh, kw, c, 1]) as tf.Tensor4D, 1, 'same').dataSync(),
          tf.depthwiseConv2d(x as tf.Tensor4D, tf.tensor4d(dw.dataSync(), [kh, kw, c, 1]), 1, 'same').dataSync(),
        ]);
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
        return ++steps === 4;
      },
    });
    expect(steps).toBe(4);
    expect(worst).toBe(0);
    x.dispose();
    net.dispose();
  });

  it('leaves the net usable by tfjs afterwards (no stale cached weights)', async () => {
    const net = new Net(mlpArch(), 5);
    const e0 = await evaluate(net, ds, 'test');
    train(net, ds, config({ epochs: 2, lr: 0.02 }), { seed: 1 });
    const e1 = await evaluate(net, ds, 'test');
    const copy = new Net(mlpArch(), 5);
    for (const [i, p] of copy.params.entries()) {
      p.kernel.assign(tf.tensor(net.params[i]!.kernel.dataSync(), p.kernel.shape));
      p.bias!.assign(tf.tensor(net.params[i]!.bias!.dataSync(), p.bias!.shape));
    }
    const e2 = await evaluate(copy, ds, 'test');
    expect(e1.accuracy).toBeGreaterThan(e0.accuracy);
    expect(e1.loss).toBe(e2.loss);
    net.dispose();
    copy.dispose();
  });
});
