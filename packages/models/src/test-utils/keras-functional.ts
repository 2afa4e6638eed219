// The tfjs-layers side of the exactness tests (exactness*.test.ts): our
// architecture rebuilt layer for layer with tfjs-layers' functional API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '@prunelab/engine';
import type { Architecture, LayerSpec } from '../architecture.js';
import { BatchStats, type BatchNormLayer } from '../batch-norm.js';
import { crossEntropy } from '../data.js';
import { INPUT } from '../graph.js';
import { Net } from '../net.js';

/** Zeros before and after the channels (ResNet option A's shortcut), which Keras writes as a Lambda. */
class ChannelPad extends tfl.layers.Layer {
  static readonly className = 'ChannelPad';
  constructor(private readonly pad: readonly [number, number]) {
    super({});
  }
  override computeOutputShape(s: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = s as tfl.Shape;
    return [...shape.slice(0, -1), shape.at(-1)! + this.pad[0] + this.pad[1]];
  }
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.pad(x, [[0, 0], [0, 0], [0, 0], [this.pad[0], this.pad[1]]]);
  }
}

/** The tfjs-layers layer for one of ours, configured the same way. */
function kerasLayer(spec: LayerSpec): tfl.layers.Layer {
  switch (spec.kind) {
    case 'dense':
      return tfl.layers.dense({ units: spec.units, activation: spec.activation, useBias: spec.bias !== false });
    case 'conv2d':
      return tfl.layers.conv2d({ filters: spec.filters, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: spec.activation, useBias: spec.bias !== false });
    case 'depthwiseConv2d':
      return tfl.layers.depthwiseConv2d({ kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: spec.activation, useBias: spec.bias !== false, depthMultiplier: 1 });
    case 'batchnorm':
      return tfl.layers.batchNormalization({ ...(spec.epsilon !== undefined && { epsilon: spec.epsilon }), ...(spec.momentum !== undefined && { momentum: spec.momentum }) });
    case 'activation':
      return tfl.layers.activation({ activation: spec.fn });
    case 'maxpool':
      return tfl.layers.maxPooling2d({ poolSize: spec.size, strides: spec.stride, padding: 'valid' });
    case 'flatten':
      return tfl.layers.flatten();
    case 'add':
      return tfl.layers.add();
    case 'concatenate':
      return tfl.layers.concatenate({ axis: -1 });
    case 'globalAvgPool':
      return tfl.layers.globalAveragePooling2d({});
    case 'zeroPad':
      if (spec.channels) {
        expect(spec.padding.flat().every((p) => p === 0), 'channel padding alone').toBe(true);
        return new ChannelPad(spec.channels);
      }
      return tfl.layers.zeroPadding2d({ padding: [[...spec.padding[0]], [...spec.padding[1]]] });
    case 'fixed':
      throw new Error('no carried-along layers in these networks');
  }
}

/**
 * The net as a tfjs-layers functional model, layer for layer along its graph,
 * holding the net's weights; `pairs` lists each of our trainable variables
 * with the model's, in the same order.
 */
function functionalModel(net: Net): { model: tfl.LayersModel; pairs: Array<[tf.Variable, tfl.LayerVariable]>; norms: Array<[BatchNormLayer, tfl.layers.Layer]> } {
  const input = tfl.input({ shape: [...net.arch.inputShape] });
  const outputs: tfl.SymbolicTensor[] = [];
  const pairs: Array<[tf.Variable, tfl.LayerVariable]> = [];
  const norms: Array<[BatchNormLayer, tfl.layers.Layer]> = [];
  net.arch.layers.forEach((spec, i) => {
    const inputs = net.graph.inputs[i]!.map((j) => (j === INPUT ? input : outputs[j]!));
    const layer = kerasLayer(spec);
    outputs.push(layer.apply(inputs.length === 1 ? inputs[0]! : inputs) as tfl.SymbolicTensor);
    const p = net.paramAt(i);
    const bn = net.normAt(i);
    if (p) {
      // A depthwise kernel is stored [k, k, 1, c]; tfjs-layers' is [k, k, c, 1], the same values.
      const kernel = tf.reshape(p.kernel, layer.getWeights()[0]!.shape);
      layer.setWeights(p.bias ? [kernel, p.bias] : [kernel]);
      kernel.dispose();
      const mine = p.bias ? [p.kernel, p.bias] : [p.kernel];
      mine.forEach((v, k) => pairs.push([v, layer.trainableWeights[k]!]));
    } else if (bn) {
      layer.setWeights([bn.gamma, bn.beta, bn.movingMean, bn.movingVariance]);
      pairs.push([bn.gamma, layer.trainableWeights[0]!], [bn.beta, layer.trainableWeights[1]!]);
      norms.push([bn, layer]);
    }
  });
  expect(pairs.map(([v]) => v.name)).toEqual(net.variables().map((v) => v.name));
  return { model: tfl.model({ inputs: input, outputs: outputs.at(-1)! }), pairs, norms };
}

/** Non-trivial biases and batch-norm parameters and statistics, so that every part of the computation shows. */
function randomize(net: Net, seed: number): void {
  tf.tidy(() => {
    net.params.forEach((p, k) => p.bias?.assign(tf.randomNormal(p.bias.shape, 0, 0.2, 'float32', seed + k)));
    net.norms.forEach((bn, k) => {
      const s = seed + 100 + 4 * k;
      bn.gamma.assign(tf.randomUniform(bn.gamma.shape, 0.5, 1.5, 'float32', s));
      bn.beta.assign(tf.randomNormal(bn.beta.shape, 0, 0.3, 'float32', s + 1));
      bn.movingMean.assign(tf.randomNormal(bn.movingMean.shape, 0, 0.3, 'float32', s + 2));
      bn.movingVariance.assign(tf.randomUniform(bn.movingVariance.shape, 0.5, 2, 'float32', s + 3));
    });
  });
}

/**
 * max |a - b| / max |b|: the relative error of a whole tensor. (A bias just
 * before a batch norm would fail it: in training mode its gradient is zero in
 * exact arithmetic, float noise on both sides; such layers have `bias: false`.)
 */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => {
    expect(a.shape).toEqual(b.shape);
    const scale = tf.max(tf.abs(b)).dataSync()[0]!;
    return tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / (scale > 0 ? scale : 1);
  });
}

/**
 * Exactness against tfjs-layers (issue 17): each network built here and the
 * same network built with tfjs-layers' functional API and the same weights
 * give the same logits and gradients within 1e-5 relative, in training mode
 * (batch statistics) and inference mode, and the same running statistics
 * after a training step. Cases: [label, architecture, classes].
 */
export function exactnessSuite(cases: ReadonlyArray<[string, Architecture, number]>): void {
  describe.each(cases)('%s built here and with tfjs-layers (tf.model)', (_, arch, classes) => {
  let net: Net;
  let built: ReturnType<typeof functionalModel>;
  let x: tf.Tensor;
  let y: tf.Tensor1D;
  let before: number;

  beforeAll(() => {
    before = tf.memory().numTensors;
    net = new Net(arch, 7);
    randomize(net, 11);
    built = functionalModel(net);
    x = tf.randomNormal([4, ...arch.inputShape], 0, 1, 'float32', 5);
    y = tf.tensor1d([0, 1, 2, 1].map((c) => c % classes), 'int32');
  });
  afterAll(() => {
    built.model.dispose();
    net.dispose();
    tf.dispose([x, y]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives the same logits in inference mode (running statistics) within 1e-5', () => {
    tf.tidy(() => {
      const ours = net.forward(x);
      expect(relativeError(ours, built.model.predict(x) as tf.Tensor)).toBeLessThan(1e-5);
      // Inference is not training: the batch's statistics would give other logits.
      if (net.norms.length > 0) expect(relativeError(ours, net.forward(x, { training: true }))).toBeGreaterThan(1e-3);
    });
  });

  it('gives the same logits and gradients in training mode (batch statistics), and the same running statistics after the step', () => {
    const stats = new BatchStats();
    tf.tidy(() => {
      let ourLogits: tf.Tensor | undefined;
      const ours = tf.variableGrads(() => {
        const logits = net.forward(x, { training: true, batchStats: stats });
        ourLogits = tf.keep(logits);
        return crossEntropy(logits, y, classes);
      }, net.variables());
      let theirLogits: tf.Tensor | undefined;
      // tfjs-layers updates its running statistics inside apply(training: true), once.
      const theirs = tf.variableGrads(() => {
        const logits = built.model.apply(x, { training: true }) as tf.Tensor2D;
        theirLogits = tf.keep(logits);
        return crossEntropy(logits, y, classes);
      });
      expect(relativeError(ourLogits!, theirLogits!)).toBeLessThan(1e-5);
      expect(relativeError(ours.value, theirs.value)).toBeLessThan(1e-5);
      for (const [mine, keras] of built.pairs) {
        const g = theirs.grads[keras.name];
        expect(g, `tfjs-layers has a gradient for ${keras.name}`).toBeDefined();
        const err = relativeError(tf.reshape(ours.grads[mine.name]!, g!.shape), g!);
        expect(err, `gradient of ${mine.name}`).toBeLessThan(1e-5);
      }
      tf.dispose([ourLogits!, theirLogits!]);
    });
    const untouched = net.norms.map((bn) => Float32Array.from(bn.movingMean.dataSync()));
    stats.commit();
    tf.tidy(() => {
      for (const [bn, layer] of built.norms) {
        const [, , mean, variance] = layer.getWeights();
        expect(relativeError(bn.movingMean, mean!), `${bn.name} running mean`).toBeLessThan(1e-5);
        expect(relativeError(bn.movingVariance, variance!), `${bn.name} running variance`).toBeLessThan(1e-5);
      }
      // The step moved them: the comparison is not of two untouched states.
      net.norms.forEach((bn, k) => expect(Array.from(bn.movingMean.dataSync())).not.toEqual(Array.from(untouched[k]!)));
    });
  });
});
}
