import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus } from './addon.js';
import {
  ProgramBuilder,
  windowGeometry,
  type NativeActivation,
  type NativeOptimizer,
  type NativeParamKind,
  type NativeValue,
  type Padding,
} from './program.js';

// The native program against the same network written with tfjs ops on the
// cpu backend: loss, every gradient, the logits in inference mode and the
// batch norms' running statistics, within 1e-4 relative. CI builds the addon
// (it installs libopenblas-dev); a machine without it skips these, and the
// fallback test says why.
const status = nativeStatus();
const native = status.available ? status.addon : undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A layer reads the previous one unless it names its inputs (`from`: earlier layers' `name`s, or 'input'). */
type Layer = { name?: string; from?: string[] } & (
  | { kind: 'dense'; units: number; act: NativeActivation; bias?: boolean }
  | { kind: 'conv'; filters: number; k: number; stride: number; padding: Padding; act: NativeActivation; bias?: boolean }
  | { kind: 'depthwise'; k: number; stride: number; padding: Padding; act: NativeActivation; bias?: boolean }
  | { kind: 'pool'; mode: 'max' | 'avg'; size: number; stride: number; padding: Padding }
  | { kind: 'global'; mode: 'max' | 'avg' }
  | { kind: 'affine' }
  | { kind: 'flatten' }
  | { kind: 'bn'; epsilon: number; momentum: number }
  | { kind: 'act'; fn: NativeActivation }
  | { kind: 'add' }
  | { kind: 'concat' }
  | { kind: 'pad'; padding: [[number, number], [number, number]]; channels: [number, number] }
);

let seed = 1;
const rand = (n: number, scale = 1) =>
  Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2 * scale);

const tfAct = (fn: NativeActivation, x: tf.Tensor): tf.Tensor => {
  switch (fn) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(tf.abs(x), 1));
    case 'softmax':
      return tf.softmax(x);
  }
};

/**
 * Average pooling that counts in-bounds values only, as tf.avgPool's forward
 * does. Not tf.avgPool itself: tfjs' AvgPoolGrad divides by the whole window
 * even where 'same' padding leaves fewer values, which is not the gradient of
 * its own forward. A depthwise convolution with a ones kernel, divided by the
 * same convolution of ones, has the exact gradient.
 */
function exactAvgPool(x: tf.Tensor4D, size: number, stride: number, padding: Padding): tf.Tensor4D {
  const c = x.shape[3];
  const ones = tf.ones([size, size, c, 1]) as tf.Tensor4D;
  const sum = tf.depthwiseConv2d(x, ones, stride, padding);
  const count = tf.depthwiseConv2d(tf.onesLike(x), ones, stride, padding);
  return tf.div(sum, count);
}

interface Param {
  readonly data: Float32Array;
  readonly shape: number[];
  readonly kind: NativeParamKind;
}

/** Builds the program and its parameters, and a tfjs reference forward over the same parameters (training mode records the batch norms' moments). */
function setup(input: number[], layers: Layer[], classes: number, batch: number, optimizer: NativeOptimizer) {
  const b = new ProgramBuilder(input);
  const params: Param[] = [];
  const affines: Array<{ scale: Float32Array; offset: Float32Array }> = [];
  const add = (index: number, p: Param) => {
    expect(index).toBe(params.length);
    params.push(p);
  };
  const values = new Map<string, NativeValue>([['input', b.input]]);
  let prev = b.input;
  for (const l of layers) {
    const ins = (l.from ?? []).map((n) => values.get(n)!);
    const x = ins[0] ?? prev;
    const [h, w, c] = x.shape;
    let out: NativeValue;
    if (l.kind === 'dense' || l.kind === 'conv' || l.kind === 'depthwise') {
      const fanIn = l.kind === 'dense' ? c : l.k * l.k * (l.kind === 'conv' ? c : 1);
      const units = l.kind === 'dense' ? l.units : l.kind === 'conv' ? l.filters : c;
      const shape = l.kind === 'dense' ? [c, l.units] : l.kind === 'conv' ? [l.k, l.k, c, l.filters] : [l.k, l.k, c, 1];
      const o = { bias: l.bias !== false, relu: l.act === 'relu' };
      const r =
        l.kind === 'dense'
          ? b.dense(x, l.units, o)
          : l.kind === 'conv'
            ? b.conv2d(x, l.filters, { ...o, kernel: l.k, stride: l.stride, padding: l.padding })
            : b.depthwiseConv2d(x, { ...o, kernel: l.k, stride: l.stride, padding: l.padding });
      add(r.kernel, {
        data: rand(
          shape.reduce((a, d) => a * d, 1),
          Math.sqrt(3 / fanIn),
        ),
        shape,
        kind: 'trainable',
      });
      if (r.bias !== undefined) add(r.bias, { data: rand(units, 0.1), shape: [units], kind: 'trainable' });
      out = l.act === 'relu' ? r.out : b.activation(r.out, l.act);
    } else if (l.kind === 'bn') {
      const r = b.batchNorm(x, l.epsilon, l.momentum);
      add(r.gamma, { data: rand(c, 0.3).map((v) => 1 + v), shape: [c], kind: 'trainable' });
      add(r.beta, { data: rand(c, 0.2), shape: [c], kind: 'trainable' });
      add(r.movingMean, { data: rand(c, 0.3), shape: [c], kind: 'state' });
      add(r.movingVariance, { data: rand(c, 0.5).map((v) => 1 + v), shape: [c], kind: 'state' });
      out = r.out;
    } else if (l.kind === 'pool') out = b.pool(x, l.mode, [l.size, l.size], [l.stride, l.stride], l.padding);
    else if (l.kind === 'global') out = b.globalPool(x, l.mode);
    else if (l.kind === 'affine') {
      const a = { scale: rand(c, 1).map((v) => 1 + v / 2), offset: rand(c, 0.2) };
      affines.push(a);
      out = b.affine(x, a.scale, a.offset);
    } else if (l.kind === 'flatten') out = b.flatten(x);
    else if (l.kind === 'act') out = b.activation(x, l.fn);
    else if (l.kind === 'add') out = b.add(ins);
    else if (l.kind === 'concat') out = b.concatenate(ins);
    else out = b.zeroPad(x, l.padding, l.channels);
    expect(out.shape.length, `${h}x${w}`).toBe(3);
    if (l.name) values.set(l.name, out);
    prev = out;
  }
  const program = b.build(native!, prev, batch, classes, optimizer);

  /** Logits; `moments` (training mode) collects each batch norm's batch mean and variance. */
  const reference = (x: tf.Tensor, ps: tf.Tensor[], moments?: Array<{ mean: tf.Tensor; variance: tf.Tensor }>): tf.Tensor2D => {
    const vals = new Map<string, tf.Tensor>([['input', x]]);
    let h = x;
    let p = 0;
    let a = 0;
    for (const l of layers) {
      const ins = (l.from ?? []).map((n) => vals.get(n)!);
      const v = ins[0] ?? h;
      if (l.kind === 'dense' || l.kind === 'conv' || l.kind === 'depthwise') {
        const kernel = ps[p++]!;
        let z: tf.Tensor;
        if (l.kind === 'dense') z = tf.matMul(tf.reshape(v, [batch, -1]) as tf.Tensor2D, kernel as tf.Tensor2D);
        else if (l.kind === 'conv') z = tf.conv2d(v as tf.Tensor4D, kernel as tf.Tensor4D, l.stride, l.padding);
        else z = tf.depthwiseConv2d(v as tf.Tensor4D, kernel as tf.Tensor4D, l.stride, l.padding);
        if (l.bias !== false) z = tf.add(z, ps[p++]!);
        h = tfAct(l.act, z);
      } else if (l.kind === 'bn') {
        const [gamma, beta, mean, variance] = ps.slice(p, p + 4) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        p += 4;
        if (moments) {
          // Training mode, as models' batch-norm.ts (tfjs-layers' BatchNormalization).
          const m = tf.moments(v, [0, 1, 2]);
          moments.push(m);
          h = tf.batchNorm(v, m.mean, m.variance, beta, gamma, l.epsilon);
        } else h = tf.batchNorm(v, mean, variance, beta, gamma, l.epsilon);
      } else if (l.kind === 'pool') {
        h = l.mode === 'max' ? tf.maxPool(v as tf.Tensor4D, l.size, l.stride, l.padding) : exactAvgPool(v as tf.Tensor4D, l.size, l.stride, l.padding);
      } else if (l.kind === 'global') h = l.mode === 'max' ? tf.max(v, [1, 2]) : tf.mean(v, [1, 2]);
      else if (l.kind === 'affine') {
        h = tf.add(tf.mul(v, tf.tensor1d(affines[a]!.scale)), tf.tensor1d(affines[a]!.offset));
        a++;
      } else if (l.kind === 'flatten') h = tf.reshape(v, [batch, -1]);
      else if (l.kind === 'act') h = tfAct(l.fn, v);
      else if (l.kind === 'add') h = ins.slice(1).reduce((s, t) => tf.add(s, t), ins[0]!);
      else if (l.kind === 'concat') h = tf.concat(ins, -1);
      else h = tf.pad(v, [[0, 0], l.padding[0], l.padding[1], l.channels]);
      if (l.name) vals.set(l.name, h);
    }
    return tf.reshape(h, [batch, classes]) as tf.Tensor2D;
  };
  return { program, params, reference };
}

function expectClose(actual: Float32Array, expected: Float32Array | number[], what: string, rtol = 1e-4) {
  expect(actual.length, what).toBe(expected.length);
  let scale = 0;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  expect(worst / Math.max(scale, 1e-12), `${what}: max |difference| ${worst} against max |value| ${scale}`).toBeLessThanOrEqual(rtol);
}

const ADAM: NativeOptimizer = { kind: 'adam', lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, momentum: 0, weightDecay: 0 };

const bn = (name?: string): Layer => ({ kind: 'bn', epsilon: 1e-3, momentum: 0.9, ...(name && { name }) });
const conv3 = (filters: number, stride: number, from?: string): Layer => ({
  kind: 'conv',
  filters,
  k: 3,
  stride,
  padding: 'same',
  act: 'linear',
  bias: false,
  ...(from && { from: [from] }),
});

const NETS: Array<{ name: string; input: number[]; layers: Layer[]; classes: number }> = [
  {
    name: 'an MLP (LeNet-300-100 shaped, small)',
    input: [6, 6, 1],
    layers: [
      { kind: 'flatten' },
      { kind: 'dense', units: 30, act: 'relu' },
      { kind: 'dense', units: 10, act: 'relu' },
      { kind: 'dense', units: 4, act: 'linear' },
    ],
    classes: 4,
  },
  {
    name: 'a LeNet-5 shaped convnet (valid padding, max pooling)',
    input: [12, 12, 1],
    layers: [
      { kind: 'conv', filters: 4, k: 5, stride: 1, padding: 'valid', act: 'relu' },
      { kind: 'pool', mode: 'max', size: 2, stride: 2, padding: 'valid' },
      { kind: 'conv', filters: 6, k: 3, stride: 1, padding: 'valid', act: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', units: 5, act: 'linear' },
    ],
    classes: 5,
  },
  {
    name: "'same' padding, stride 2, odd sizes, average and global pooling, a folded batch norm, every activation",
    input: [7, 9, 3],
    layers: [
      { kind: 'conv', filters: 5, k: 3, stride: 2, padding: 'same', act: 'linear' },
      { kind: 'affine' },
      { kind: 'flatten' },
      { kind: 'dense', units: 6, act: 'elu' },
      { kind: 'dense', units: 6, act: 'selu' },
      { kind: 'dense', units: 6, act: 'tanh' },
      { kind: 'dense', units: 6, act: 'sigmoid' },
      { kind: 'dense', units: 6, act: 'softplus' },
      { kind: 'dense', units: 6, act: 'softsign' },
      { kind: 'dense', units: 6, act: 'relu6' },
      { kind: 'dense', units: 6, act: 'softmax' },
      { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
  {
    name: 'pools with same padding, a 4x4 kernel with stride 3, global max and average',
    input: [11, 10, 2],
    layers: [
      { kind: 'conv', filters: 4, k: 4, stride: 3, padding: 'same', act: 'relu' },
      { kind: 'pool', mode: 'avg', size: 3, stride: 2, padding: 'same' },
      { kind: 'conv', filters: 3, k: 1, stride: 1, padding: 'valid', act: 'tanh' },
      { kind: 'pool', mode: 'max', size: 2, stride: 1, padding: 'same' },
      { kind: 'global', mode: 'avg' },
      { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
  {
    // He et al. 2016's basic blocks: an identity block (the stem is read by its conv and its add) and a
    // block that subsamples with the option-B shortcut (strided 1x1 conv + batch norm).
    name: 'a ResNet-style network: identity and projection (option B) shortcuts, batch norms, convs without bias',
    input: [8, 8, 3],
    layers: [
      conv3(4, 1),
      bn(),
      { kind: 'act', fn: 'relu', name: 'stem' },
      conv3(4, 1),
      bn(),
      { kind: 'act', fn: 'relu' },
      conv3(4, 1),
      bn('b1.main'),
      { kind: 'add', from: ['b1.main', 'stem'] },
      { kind: 'act', fn: 'relu', name: 'b1' },
      conv3(6, 2),
      bn(),
      { kind: 'act', fn: 'relu' },
      conv3(6, 1),
      bn('b2.main'),
      { kind: 'conv', filters: 6, k: 1, stride: 2, padding: 'same', act: 'linear', bias: false, from: ['b1'] },
      bn('b2.short'),
      { kind: 'add', from: ['b2.main', 'b2.short'] },
      { kind: 'act', fn: 'relu' },
      { kind: 'global', mode: 'avg' },
      { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
  {
    // Option A: the identity subsampled by a 1x1 max pool with stride 2, zero-padded in channels.
    name: 'a ResNet-style block with the option-A shortcut (strided 1x1 pool, channel zero padding)',
    input: [8, 8, 3],
    layers: [
      conv3(4, 1),
      bn(),
      { kind: 'act', fn: 'relu', name: 'stem' },
      conv3(8, 2),
      bn(),
      { kind: 'act', fn: 'relu' },
      conv3(8, 1),
      bn('main'),
      { kind: 'pool', mode: 'max', size: 1, stride: 2, padding: 'valid', from: ['stem'] },
      {
        kind: 'pad',
        padding: [
          [0, 0],
          [0, 0],
        ],
        channels: [2, 2],
        name: 'short',
      },
      { kind: 'add', from: ['main', 'short'] },
      { kind: 'act', fn: 'relu' },
      { kind: 'global', mode: 'avg' },
      { kind: 'dense', units: 4, act: 'linear' },
    ],
    classes: 4,
  },
  {
    name: 'a VGG-style stack with batch norm (conv, batch norm, relu, max pool, global average pooling)',
    input: [8, 8, 2],
    layers: [
      conv3(4, 1),
      bn(),
      { kind: 'act', fn: 'relu' },
      { kind: 'pool', mode: 'max', size: 2, stride: 2, padding: 'valid' },
      conv3(6, 1),
      bn(),
      { kind: 'act', fn: 'relu' },
      conv3(6, 1),
      { ...bn(), momentum: 0.99, epsilon: 1e-5 } as Layer,
      { kind: 'act', fn: 'relu' },
      { kind: 'pool', mode: 'max', size: 2, stride: 2, padding: 'valid' },
      { kind: 'global', mode: 'avg' },
      { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
  {
    // A value read by three layers, an add of three, depthwise convolutions with and without bias, a
    // concatenation of three channel ranges, spatial and channel zero padding, and dense without bias.
    name: 'depthwise convolution, concatenate, zero padding, a three-way add and a dense without bias',
    input: [7, 7, 3],
    layers: [
      { kind: 'conv', filters: 4, k: 3, stride: 1, padding: 'valid', act: 'relu', name: 'x' },
      { kind: 'depthwise', k: 3, stride: 1, padding: 'same', act: 'relu', name: 'dw1' },
      { kind: 'depthwise', k: 2, stride: 1, padding: 'same', act: 'linear', bias: false, from: ['x'] },
      bn('dw2'),
      { kind: 'add', from: ['dw1', 'x', 'dw2'], name: 'sum' },
      { kind: 'conv', filters: 2, k: 1, stride: 1, padding: 'valid', act: 'linear', from: ['x'], name: 'narrow' },
      { kind: 'concat', from: ['sum', 'narrow', 'dw1'] },
      {
        kind: 'pad',
        padding: [
          [1, 0],
          [0, 2],
        ],
        channels: [1, 0],
      },
      { kind: 'depthwise', k: 3, stride: 2, padding: 'same', act: 'relu' },
      { kind: 'flatten' },
      { kind: 'dense', units: 3, act: 'linear', bias: false },
    ],
    classes: 3,
  },
  {
    // The addon runs a relu inside the batch norm or add before it when nothing else reads that value:
    // here one batch norm is read by a relu and an add (not fused), another only by its relu (fused),
    // and a three-way add feeds a relu (fused); 16 channels take the direct convolution kernels.
    name: 'relus fused into batch norms and adds, and one that cannot be',
    input: [6, 6, 16],
    layers: [
      { kind: 'conv', filters: 16, k: 3, stride: 1, padding: 'same', act: 'linear', bias: false, name: 'c' },
      bn('n'),
      { kind: 'act', fn: 'relu', name: 'r' },
      { kind: 'add', from: ['n', 'r'], name: 's' },
      { kind: 'conv', filters: 16, k: 3, stride: 2, padding: 'same', act: 'linear', bias: false },
      bn(),
      { kind: 'act', fn: 'relu', name: 't' },
      { kind: 'conv', filters: 16, k: 3, stride: 1, padding: 'same', act: 'linear', bias: false, name: 'u' },
      { kind: 'add', from: ['t', 'u', 't'] },
      { kind: 'act', fn: 'relu' },
      { kind: 'global', mode: 'avg' },
      { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
];

describe.skipIf(!native)('the native training program matches tfjs (cpu backend)', () => {
  for (const net of NETS) {
    it(`${net.name}: loss, every gradient, inference logits and running statistics within 1e-4`, () => {
      const batch = 7;
      const { program, params, reference } = setup(net.input, net.layers, net.classes, batch, ADAM);
      const x = rand(batch * net.input.reduce((a, b) => a * b, 1));
      const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7 + 3) % net.classes);
      const before = tf.memory().numTensors;
      const expected = tf.tidy(() => {
        const ps = params.map((p) => (p.kind === 'trainable' ? tf.variable(tf.tensor(p.data, p.shape)) : tf.tensor(p.data, p.shape)));
        const trainable = ps.filter((p): p is tf.Variable => p instanceof tf.Variable);
        const xs = tf.tensor(x, [batch, ...net.input]);
        const { value, grads } = tf.variableGrads(
          () => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), net.classes), reference(xs, ps, [])) as tf.Scalar,
          trainable,
        );
        // The same training-mode pass again, outside the gradient's scope, for the batch statistics.
        const moments: Array<{ mean: tf.Tensor; variance: tf.Tensor }> = [];
        reference(xs, ps, moments);
        const out = {
          loss: value.dataSync()[0]!,
          grads: ps.map((p) => (p instanceof tf.Variable ? (grads[p.name]!.dataSync() as Float32Array) : undefined)),
          logits: reference(xs, ps).dataSync() as Float32Array,
          moments: moments.map((m) => ({ mean: m.mean.dataSync() as Float32Array, variance: m.variance.dataSync() as Float32Array })),
        };
        trainable.forEach((p) => p.dispose());
        return out;
      });
      expect(tf.memory().numTensors).toBe(before);
      const arrays = params.map((p) => p.data.slice());
      const got = program.gradients(x, labels, arrays);
      expect(Math.abs(got.loss - expected.loss) / Math.abs(expected.loss)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => {
        expect(g === undefined, `parameter ${i} is ${params[i]!.kind}`).toBe(params[i]!.kind === 'state');
        if (g) expectClose(g, expected.grads[i]!, `gradient of parameter ${i}`);
      });
      // Inference mode: batch norms on their running statistics, which a gradient-only call leaves as they were.
      expectClose(program.forward(x, batch, arrays), expected.logits, 'inference logits');
      arrays.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(params[i]!.data.buffer)), `parameter ${i} unchanged`).toBe(true));
      // A step at learning rate 0 changes no weight but moves the running statistics towards the batch's.
      program.step(
        x,
        labels,
        arrays,
        params.map(() => null),
        0,
      );
      let bnAt = 0;
      params.forEach((p, i) => {
        if (p.kind === 'trainable') return expect(Array.from(arrays[i]!)).toEqual(Array.from(p.data));
        const m = expected.moments[Math.floor(bnAt / 2)]!;
        const batchValue = bnAt % 2 === 0 ? m.mean : m.variance;
        const layer = net.layers.filter((l) => l.kind === 'bn')[Math.floor(bnAt / 2)] as { momentum: number };
        const want = p.data.map((r, k) => r - (r - batchValue[k]!) * (1 - layer.momentum));
        expectClose(arrays[i]!, want, `running ${bnAt % 2 === 0 ? 'mean' : 'variance'} of batch norm ${Math.floor(bnAt / 2)}`);
        bnAt++;
      });
    });
  }

  it('keeps masked parameters exactly 0 (kernels, biases, gamma and beta) and reruns bit for bit', () => {
    const net = NETS.find((n) => n.name.startsWith('depthwise'))!;
    const batch = 5;
    const run = () => {
      seed = 7;
      const { program, params } = setup(net.input, net.layers, net.classes, batch, { ...ADAM, weightDecay: 1e-3 });
      const arrays = params.map((p) => p.data.slice());
      // Every other value of every trainable parameter masked.
      const masks = params.map((p) => (p.kind === 'trainable' ? Float32Array.from(p.data, (_, k) => (k % 2 === 0 ? 0 : 1)) : null));
      for (let s = 0; s < 5; s++) {
        const x = rand(batch * net.input.reduce((a, b) => a * b, 1));
        const labels = Int32Array.from({ length: batch }, (_, i) => (i + s) % net.classes);
        program.step(x, labels, arrays, masks);
      }
      return { arrays, masks, params };
    };
    const a = run();
    const b = run();
    let moved = 0;
    a.arrays.forEach((w, i) => {
      expect(Buffer.from(w.buffer).equals(Buffer.from(b.arrays[i]!.buffer)), `parameter ${i} bit for bit`).toBe(true);
      const m = a.masks[i];
      if (!m) return;
      for (let k = 0; k < w.length; k++) {
        if (m[k] === 0) expect(w[k] === 0, `parameter ${i}[${k}] is masked (either zero)`).toBe(true);
        else if (w[k] !== a.params[i]!.data[k]) moved++;
      }
    });
    // The unmasked half trained.
    expect(moved).toBeGreaterThan(a.arrays.reduce((s, w, i) => s + (a.masks[i] ? w.length : 0), 0) / 4);
  });

  it('refuses a mask on a running statistic and a program whose wiring is wrong', () => {
    const b = new ProgramBuilder([4, 4, 2]);
    const r = b.batchNorm(b.input, 1e-3, 0.9);
    const out = b.dense(b.flatten(r.out), 3);
    const program = b.build(native!, out.out, 2, 3, ADAM);
    const params = program.paramSizes.map((n) => new Float32Array(n));
    const masks = program.paramSizes.map((n, k) => (k === r.movingMean ? new Float32Array(n) : null));
    expect(() => program.step(new Float32Array(64), Int32Array.from([0, 1]), params, masks)).toThrow(/not trained/);
    // A value nobody reads (only the last one is the output).
    const d = new ProgramBuilder([4]);
    d.dense(d.input, 5);
    expect(() => d.build(native!, d.dense(d.input, 3).out, 2, 3, ADAM)).toThrow(/never read/);
  });
});

describe('windowGeometry', () => {
  it("gives tfjs' output sizes and padding", () => {
    expect(windowGeometry(28, 5, 1, 'valid')).toEqual({ out: 24, before: 0, after: 0 });
    expect(windowGeometry(7, 3, 2, 'same')).toEqual({ out: 4, before: 1, after: 1 });
    expect(windowGeometry(10, 4, 3, 'same')).toEqual({ out: 4, before: 1, after: 2 });
  });
});
