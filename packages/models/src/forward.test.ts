import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedDataset } from '@prunelab/datasets';
import { initBackend, tf, denseMatMul } from '@prunelab/engine';
import type { LayerObservation } from './forward.js';
import { extendsUnitOutput } from './graph.js';
import type { Architecture, LayerSpec } from './architecture.js';
import { Net } from './net.js';
import { applyFixed, type FixedOp } from './ops/fixed.js';
import { crossEntropy } from './data.js';
import { train } from './train.js';
import { getWeights } from './weights.js';
import { modelRegistry } from './zoo/all.js';
import { config } from './test-utils/fixtures.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/**
 * The plain layer loop Net.forward was before it gained hooks, kept here as
 * the reference: the hooked pass without hooks must compute exactly this, op
 * for op, so training and the reproductions do not change by a digit.
 */
function referenceForward(net: Net, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    let h: tf.Tensor = x;
    net.arch.layers.forEach((spec, i) => {
      const p = net.paramAt(i);
      if (spec.kind === 'dense' && p) {
        h = tf.add(denseMatMul(h as tf.Tensor2D, p.kernel as tf.Tensor2D), p.bias!);
        if (spec.activation === 'relu') h = tf.relu(h);
      } else if (spec.kind === 'conv2d' && p) {
        h = tf.add(tf.conv2d(h as tf.Tensor4D, p.kernel as tf.Tensor4D, spec.stride, spec.padding), p.bias!);
        if (spec.activation === 'relu') h = tf.relu(h);
      } else if (spec.kind === 'maxpool') {
        h = tf.maxPool(h as tf.Tensor4D, spec.size, spec.stride, 'valid');
      } else if (spec.kind === 'flatten') {
        h = tf.reshape(h, [h.shape[0]!, -1]);
      } else if (spec.kind === 'fixed') {
        h = applyFixed(spec.op, h);
      }
    });
    return h as tf.Tensor2D;
  });
}

class ReferenceNet extends Net {
  override forward(x: tf.Tensor): tf.Tensor2D {
    return referenceForward(this, x);
  }
}

const affine = (n: number, seed: number): FixedOp => ({
  type: 'affine',
  scale: Array.from({ length: n }, (_, i) => 0.5 + ((i * 7 + seed) % 5) / 4),
  offset: Array.from({ length: n }, (_, i) => ((i * 3 + seed) % 5) / 5 - 0.4),
});

/**
 * Every kind of carried-along layer, on [6, 6, 2] inputs with 3 classes:
 * conv(linear) -> affine -> tanh -> identity | avgpool -> conv(relu) | softmax ->
 * flatten -> dense(linear) -> elu -> affine | dense(linear). `|` marks where a
 * unit's output ends.
 */
const carried: Architecture = {
  inputShape: [6, 6, 2],
  classes: 3,
  layers: [
    { kind: 'conv2d', filters: 4, kernel: 3, stride: 1, padding: 'same', activation: 'linear' },
    { kind: 'fixed', op: affine(4, 1) },
    { kind: 'fixed', op: { type: 'activation', fn: 'tanh' } },
    { kind: 'fixed', op: { type: 'identity' } },
    { kind: 'fixed', op: { type: 'pool', mode: 'avg', size: [2, 2], stride: [2, 2], padding: 'same' } },
    { kind: 'conv2d', filters: 3, kernel: 3, stride: 1, padding: 'same', activation: 'relu' },
    { kind: 'fixed', op: { type: 'activation', fn: 'softmax' } },
    { kind: 'flatten' },
    { kind: 'dense', units: 5, activation: 'linear' },
    { kind: 'fixed', op: { type: 'activation', fn: 'elu' } },
    { kind: 'fixed', op: affine(5, 2) },
    { kind: 'dense', units: 3, activation: 'linear' },
  ],
};

const zoo: Array<[string, Record<string, unknown>, number[]]> = [
  ['mlp', { hidden: [7, 5] }, [4, 4, 1]],
  ['lenet-5', { preset: 'classic' }, [16, 16, 1]],
  ['conv-small', { widths: [3, 4], dense: [6] }, [8, 8, 2]],
];

const archs: Array<[string, Architecture]> = [
  ...zoo.map(([name, options, shape]): [string, Architecture] => [name, modelRegistry.create(name, options)(shape, 3)]),
  ['carried-along layers', carried],
];

/** 12 examples of uniform noise in [-1, 1), labelled round-robin. */
function noise(arch: Architecture): LoadedDataset {
  const d = arch.inputShape.reduce((a, b) => a * b, 1);
  const x = tf.tidy(() => tf.randomUniform([12 * d], -1, 1, 'float32', 3).dataSync() as Float32Array);
  const pool = { x, y: Uint8Array.from({ length: 12 }, (_, i) => i % 3), n: 12 };
  const split = { pool: 0, indices: Uint32Array.from({ length: 12 }, (_, i) => i) };
  return {
    name: 'noise',
    shape: arch.inputShape,
    classes: 3,
    pools: [pool],
    splits: { train: split, val: split, test: split },
    normalization: { kind: 'scale', scale: 1, mean: [0], std: [1] },
    identity: { name: 'noise', checksum: 'x', sizes: { train: 12, val: 12, test: 12 }, options: {} },
  };
}

describe('Net.forward is the plain layer loop, bit for bit', () => {
  it.each(archs)('%s: same logits, same gradients, same weights after training', (_, arch) => {
    const before = tf.memory().numTensors;
    const [net, ref] = [new Net(arch, 5), new ReferenceNet(arch, 5)];
    const x = tf.randomNormal([4, ...arch.inputShape], 0, 1, 'float32', 2);
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    const grads = (n: Net) =>
      tf.tidy(() => {
        const { grads: g } = tf.variableGrads(() => crossEntropy(n.forward(x), y, 3), n.variables());
        return n.variables().map((v) => Array.from(g[v.name]!.dataSync()));
      });
    const logits = (n: Net) => tf.tidy(() => Array.from(n.forward(x).dataSync()));
    expect(logits(net)).toEqual(logits(ref));
    expect(grads(net)).toEqual(grads(ref));
    const ds = noise(arch);
    for (const n of [net, ref]) train(n, ds, config({ optimizer: 'adam', batchSize: 4, epochs: 1 }), { seed: 2 });
    expect(getWeights(net).map((w) => Array.from(w.data))).toEqual(getWeights(ref).map((w) => Array.from(w.data)));
    tf.dispose([x, y]);
    net.dispose();
    ref.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('the hooks of the forward pass', () => {
  let net: Net;
  let x: tf.Tensor;
  beforeAll(() => {
    net = new Net(carried, 3);
    // Non-zero biases, so that ablating a unit differs from zeroing its pre-activation.
    tf.tidy(() => net.params.forEach((p, l) => p.bias!.assign(tf.randomNormal(p.bias!.shape, 0, 0.5, 'float32', 10 + l))));
    x = tf.randomNormal([3, 6, 6, 2], 0, 1, 'float32', 4);
  });
  afterAll(() => {
    net.dispose();
    x.dispose();
  });

  const op = (i: number) => (carried.layers[i] as LayerSpec & { kind: 'fixed' }).op;

  /** Each layer's input, pre- and post-activation composed by hand from the ops, and the logits. */
  function byHand(): { inputs: tf.Tensor[]; pres: tf.Tensor[]; posts: tf.Tensor[]; logits: tf.Tensor } {
    const [k0, k1, k2, k3] = net.params.map((p) => p.kernel);
    const [b0, b1, b2, b3] = net.params.map((p) => p.bias);
    const z0 = tf.add(tf.conv2d(x as tf.Tensor4D, k0 as tf.Tensor4D, 1, 'same'), b0!);
    const a0 = applyFixed(op(1), z0);
    const post0 = tf.tanh(a0);
    const in1 = tf.avgPool(post0 as tf.Tensor4D, 2, 2, 'same');
    const z1 = tf.add(tf.conv2d(in1 as tf.Tensor4D, k1 as tf.Tensor4D, 1, 'same'), b1!);
    const post1 = tf.relu(z1);
    const in2 = tf.reshape(tf.softmax(post1), [3, -1]);
    const z2 = tf.add(tf.matMul(in2 as tf.Tensor2D, k2 as tf.Tensor2D), b2!);
    const post2 = applyFixed(op(10), tf.elu(z2));
    const z3 = tf.add(tf.matMul(post2 as tf.Tensor2D, k3 as tf.Tensor2D), b3!);
    return { inputs: [x, in1, in2, post2], pres: [z0, z1, z2, z3], posts: [post0, post1, post2, z3], logits: z3 };
  }

  const close = (a: tf.Tensor, b: tf.Tensor) => {
    expect(a.shape).toEqual(b.shape);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThan(1e-5);
  };

  it('a unit output runs through the per-channel layers after its layer, and stops at pooling and softmax', () => {
    expect(net.params.map((p) => p.index)).toEqual([0, 5, 8, 11]);
    expect(net.params.map((p) => p.outShape)).toEqual([[6, 6, 4], [3, 3, 3], [5], [3]]);
    expect(carried.layers.map(extendsUnitOutput)).toEqual([false, true, true, true, false, false, false, false, false, true, true, false]);
  });

  it('observes every layer in order: its input, z = xW + b, and its output after the carried-along layers', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const seen: LayerObservation[] = [];
      const logits = net.forwardWith(x, { observe: (o) => seen.push(o) });
      const hand = byHand();
      expect(seen.map((o) => o.param)).toEqual([0, 1, 2, 3]);
      seen.forEach((o, l) => {
        close(o.input, hand.inputs[l]!);
        close(o.pre, hand.pres[l]!);
        close(o.post, hand.posts[l]!);
      });
      close(logits, hand.logits);
      expect(logits.dataSync()).toEqual(net.forward(x).dataSync());
      expect(net.forwardWith(x, {}).dataSync()).toEqual(net.forward(x).dataSync());
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('starts after any layer from its output and gives the same logits', () => {
    tf.tidy(() => {
      const posts: tf.Tensor[] = [];
      const full = net.forwardWith(x, { observe: (o) => void (posts[o.param] = o.post) }).dataSync();
      posts.forEach((h, after) => expect(net.forwardWith(x, { start: { after, h } }).dataSync()).toEqual(full));
    });
  });

  it("ablating a unit zeroes its output (not its pre-activation), in a full pass and from a start alike", () => {
    tf.tidy(() => {
      const hand = byHand();
      for (const [param, unit] of [[0, 1], [1, 2], [2, 0]] as const) {
        const units = net.params[param]!.outShape.at(-1)!;
        const keep = tf.tensor1d(Array.from({ length: units }, (_, j) => (j === unit ? 0 : 1)));
        const zeroed = tf.mul(hand.posts[param]!, keep);
        let post: tf.Tensor | undefined;
        const ablated = net.forwardWith(x, { ablate: { param, unit }, observe: (o) => void (o.param === param && (post = o.post)) });
        close(post!, zeroed);
        const fromStart = net.forwardWith(x, { start: { after: param, h: hand.posts[param]! }, ablate: { param, unit } });
        expect(ablated.dataSync()).toEqual(fromStart.dataSync());
        close(ablated, net.forwardWith(x, { start: { after: param, h: zeroed } }));
      }
      // Zeroing conv1's pre-activation would leave tanh(offset) of the folded batch norm in channel 1.
      const keep = tf.tensor1d([1, 0, 1, 1]);
      const fromZeroedPre = tf.tanh(applyFixed(op(1), tf.mul(hand.pres[0]!, keep)));
      const ablated = net.forwardWith(x, { ablate: { param: 0, unit: 1 } });
      expect(tf.max(tf.abs(tf.sub(ablated, net.forwardWith(x, { start: { after: 0, h: fromZeroedPre } })))).dataSync()[0]).toBeGreaterThan(1e-3);
      expect(() => net.forwardWith(x, { ablate: { param: 2, unit: 5 } })).toThrow(/cannot ablate unit 5 of a layer with 5 units/);
    });
  });

  it('replaces kernels and adds perturbations to the pre-activation', () => {
    tf.tidy(() => {
      const hand = byHand();
      const doubled = net.params.map((p) => tf.mul(p.kernel, 2));
      const other = new Net(carried, 3);
      net.params.forEach((p, l) => {
        other.params[l]!.bias!.assign(p.bias!);
        other.params[l]!.kernel.assign(doubled[l]!);
      });
      expect(net.forwardWith(x, { kernels: doubled }).dataSync()).toEqual(other.forward(x).dataSync());
      other.dispose();
      const e = net.params.map((p, l) => tf.randomNormal([3, ...p.outShape], 0, 1, 'float32', 20 + l));
      const pres: tf.Tensor[] = [];
      const perturbed = net.forwardWith(x, { perturb: [undefined, e[1]], observe: (o) => void (pres[o.param] = o.pre) });
      close(pres[0]!, hand.pres[0]!);
      close(pres[1]!, tf.add(hand.pres[1]!, e[1]!));
      close(perturbed, net.forwardWith(x, { start: { after: 1, h: tf.relu(tf.add(hand.pres[1]!, e[1]!)) } }));
      // The perturbation's gradient is dl/dz: for the linear output layer, d(sum logits)/dz = 1.
      const [g3] = tf.grads((e3: tf.Tensor) => tf.sum(net.forwardWith(x, { perturb: [undefined, undefined, undefined, e3] })))([tf.zeros([3, 3])]);
      expect(Array.from(g3!.dataSync())).toEqual(new Array(9).fill(1));
    });
  });

  it('refuses to start after a layer the net does not have', () => {
    expect(() => tf.tidy(() => net.forwardWith(x, { start: { after: 4, h: x } }))).toThrow(/no param layer 4/);
  });
});
