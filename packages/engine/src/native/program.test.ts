import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeStatus } from './addon.js';
import { ProgramBuilder, windowGeometry, type NativeActivation, type NativeOptimizer, type Padding } from './program.js';

// The native program against the same network written with tfjs ops on the
// cpu backend: loss, every gradient, and the weights after optimizer steps,
// within 1e-4 relative. CI builds the addon (it installs libopenblas-dev); a
// machine without it skips these, and the fallback test below says why.
const status = nativeStatus();
const native = status.available ? status.addon : undefined;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type Layer =
  | { kind: 'dense'; units: number; act: NativeActivation }
  | { kind: 'conv'; filters: number; k: number; stride: number; padding: Padding; act: NativeActivation }
  | { kind: 'pool'; mode: 'max' | 'avg'; size: number; stride: number; padding: Padding }
  | { kind: 'global'; mode: 'max' | 'avg' }
  | { kind: 'affine' }
  | { kind: 'flatten' };

let seed = 1;
const rand = (n: number, scale = 1) => Float32Array.from({ length: n }, () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 2 * scale);

const tfAct = (fn: NativeActivation, x: tf.Tensor): tf.Tensor => {
  switch (fn) {
    case 'linear': return x;
    case 'relu': return tf.relu(x);
    case 'relu6': return tf.relu6(x);
    case 'elu': return tf.elu(x);
    case 'selu': return tf.selu(x);
    case 'tanh': return tf.tanh(x);
    case 'sigmoid': return tf.sigmoid(x);
    case 'softplus': return tf.softplus(x);
    case 'softsign': return tf.div(x, tf.add(tf.abs(x), 1));
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

/** Builds the program and the parameters, and a tfjs reference forward over the same parameters. */
function setup(input: number[], layers: Layer[], classes: number, batch: number, optimizer: NativeOptimizer) {
  const b = new ProgramBuilder(input);
  const params: Float32Array[] = [];
  const shapes: number[][] = [];
  const affines: Array<{ scale: Float32Array; offset: Float32Array }> = [];
  for (const l of layers) {
    if (l.kind === 'dense') {
      const n = b.size;
      b.dense(l.units);
      params.push(rand(n * l.units, Math.sqrt(3 / n)), rand(l.units, 0.1));
      shapes.push([n, l.units], [l.units]);
      b.activation(l.act);
    } else if (l.kind === 'conv') {
      const c = b.outputShape[2];
      b.conv2d(l.filters, l.k, l.stride, l.padding);
      params.push(rand(l.k * l.k * c * l.filters, Math.sqrt(3 / (l.k * l.k * c))), rand(l.filters, 0.1));
      shapes.push([l.k, l.k, c, l.filters], [l.filters]);
      b.activation(l.act);
    } else if (l.kind === 'pool') b.pool(l.mode, [l.size, l.size], [l.stride, l.stride], l.padding);
    else if (l.kind === 'global') b.globalPool(l.mode);
    else if (l.kind === 'affine') {
      const c = b.outputShape[2];
      const a = { scale: rand(c, 1).map((v) => 1 + v / 2), offset: rand(c, 0.2) };
      affines.push(a);
      b.affine(a.scale, a.offset);
    } else b.flatten();
  }
  const program = b.build(native!, batch, classes, optimizer);
  const reference = (x: tf.Tensor, ps: tf.Tensor[]): tf.Tensor2D => {
    let h = x;
    let p = 0;
    let a = 0;
    for (const l of layers) {
      if (l.kind === 'dense') {
        h = tfAct(l.act, tf.add(tf.matMul(tf.reshape(h, [batch, -1]) as tf.Tensor2D, ps[p]! as tf.Tensor2D), ps[p + 1]!));
        p += 2;
      } else if (l.kind === 'conv') {
        h = tfAct(l.act, tf.add(tf.conv2d(h as tf.Tensor4D, ps[p]! as tf.Tensor4D, l.stride, l.padding), ps[p + 1]!));
        p += 2;
      } else if (l.kind === 'pool') {
        h = l.mode === 'max' ? tf.maxPool(h as tf.Tensor4D, l.size, l.stride, l.padding) : exactAvgPool(h as tf.Tensor4D, l.size, l.stride, l.padding);
      } else if (l.kind === 'global') h = l.mode === 'max' ? tf.max(h, [1, 2]) : tf.mean(h, [1, 2]);
      else if (l.kind === 'affine') {
        h = tf.add(tf.mul(h, tf.tensor1d(affines[a]!.scale)), tf.tensor1d(affines[a]!.offset));
        a++;
      } else h = tf.reshape(h, [batch, -1]);
    }
    return tf.reshape(h, [batch, classes]) as tf.Tensor2D;
  };
  return { program, params, reference, shapes };
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

const NETS: Array<{ name: string; input: number[]; layers: Layer[]; classes: number }> = [
  { name: 'an MLP (LeNet-300-100 shaped, small)', input: [6, 6, 1], layers: [{ kind: 'flatten' }, { kind: 'dense', units: 30, act: 'relu' }, { kind: 'dense', units: 10, act: 'relu' }, { kind: 'dense', units: 4, act: 'linear' }], classes: 4 },
  {
    name: 'a LeNet-5 shaped convnet (valid padding, max pooling)',
    input: [12, 12, 1],
    layers: [
      { kind: 'conv', filters: 4, k: 5, stride: 1, padding: 'valid', act: 'relu' }, { kind: 'pool', mode: 'max', size: 2, stride: 2, padding: 'valid' },
      { kind: 'conv', filters: 6, k: 3, stride: 1, padding: 'valid', act: 'relu' }, { kind: 'flatten' }, { kind: 'dense', units: 5, act: 'linear' },
    ],
    classes: 5,
  },
  {
    name: "'same' padding, stride 2, odd sizes, average and global pooling, a folded batch norm, every activation",
    input: [7, 9, 3],
    layers: [
      { kind: 'conv', filters: 5, k: 3, stride: 2, padding: 'same', act: 'linear' }, { kind: 'affine' }, { kind: 'dense', units: 6, act: 'elu' }, { kind: 'flatten' },
      { kind: 'dense', units: 6, act: 'selu' }, { kind: 'dense', units: 6, act: 'tanh' }, { kind: 'dense', units: 6, act: 'sigmoid' }, { kind: 'dense', units: 6, act: 'softplus' },
      { kind: 'dense', units: 6, act: 'softsign' }, { kind: 'dense', units: 6, act: 'relu6' }, { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
  {
    name: 'pools with same padding, a 4x4 kernel with stride 3, global max and average',
    input: [11, 10, 2],
    layers: [
      { kind: 'conv', filters: 4, k: 4, stride: 3, padding: 'same', act: 'relu' }, { kind: 'pool', mode: 'avg', size: 3, stride: 2, padding: 'same' },
      { kind: 'conv', filters: 3, k: 1, stride: 1, padding: 'valid', act: 'tanh' }, { kind: 'pool', mode: 'max', size: 2, stride: 1, padding: 'same' },
      { kind: 'global', mode: 'avg' }, { kind: 'dense', units: 3, act: 'linear' },
    ],
    classes: 3,
  },
];

describe.skipIf(!native)('the native training program matches tfjs (cpu backend)', () => {
  for (const net of NETS) {
    it(`${net.name}: loss and every gradient within 1e-4`, () => {
      const batch = 7;
      const { program, params, reference, shapes } = setup(net.input, net.layers, net.classes, batch, ADAM);
      const x = rand(batch * net.input.reduce((a, b) => a * b, 1));
      const labels = Int32Array.from({ length: batch }, (_, i) => (i * 7 + 3) % net.classes);
      const before = tf.memory().numTensors;
      const expected = tf.tidy(() => {
        const ps = params.map((p, i) => tf.variable(tf.tensor(p, shapes[i]!)));
        const xs = tf.tensor(x, [batch, ...net.input]);
        const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), net.classes), reference(xs, ps)) as tf.Scalar, ps);
        const out = { loss: value.dataSync()[0]!, grads: ps.map((p) => grads[p.name]!.dataSync() as Float32Array) };
        ps.forEach((p) => p.dispose());
        return out;
      });
      expect(tf.memory().numTensors).toBe(before);
      const got = program.gradients(x, labels, params);
      expect(Math.abs(got.loss - expected.loss) / Math.abs(expected.loss)).toBeLessThan(1e-5);
      got.grads.forEach((g, i) => expectClose(g, expected.grads[i]!, `gradient of parameter ${i}`));
      const logits = program.forward(x, batch, params);
      expectClose(logits, tf.tidy(() => Array.from(reference(tf.tensor(x, [batch, ...net.input]), params.map((p, i) => tf.tensor(p, shapes[i]!))).dataSync())), 'logits');
    });
  }
});

describe('windowGeometry', () => {
  it("gives tfjs' output sizes and padding", () => {
    expect(windowGeometry(28, 5, 1, 'valid')).toEqual({ out: 24, before: 0 });
    expect(windowGeometry(7, 3, 2, 'same')).toEqual({ out: 4, before: 1 });
    expect(windowGeometry(10, 4, 3, 'same')).toEqual({ out: 4, before: 1 });
  });
});
