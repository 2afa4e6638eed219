// A user's functional tfjs model for the import and export tests (io/functional-import.test.ts,
// extract/imported-export-functional.test.ts): built with tfjs-layers' functional API.
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '@prunelab/engine';
import type { Net } from '../net.js';
import { channelMap } from '../extract/channels.js';

/**
 * A small residual net on [8, 8, 3], 3 classes, with every layer class the
 * functional import supports: a bias-free stem conv with batch norm, a
 * depthwise conv, a batch norm without center, a 1x1 conv added back to the
 * stem (a residual Add), zero padding before a strided conv, a max-pooled
 * side branch concatenated with it, global average pooling, a tanh Dense,
 * dropout and a softmax Dense. Biases and batch-norm parameters and
 * statistics are random, so every part of the computation shows.
 */
export function residualFunctionalModel(): tfl.LayersModel {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const bias = (s: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed: s });
  const input = tfl.input({ shape: [8, 8, 3], name: 'image' });
  const apply = (layer: tfl.layers.Layer, x: tfl.SymbolicTensor | tfl.SymbolicTensor[]) => layer.apply(x) as tfl.SymbolicTensor;
  const stemConv = apply(tfl.layers.conv2d({ name: 'stem', filters: 6, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(1) }), input);
  const stemBn = apply(tfl.layers.batchNormalization({ name: 'stem_bn' }), stemConv);
  const stem = apply(tfl.layers.activation({ name: 'stem_relu', activation: 'relu' }), stemBn);
  const dw = apply(tfl.layers.depthwiseConv2d({ name: 'dw', kernelSize: 3, padding: 'same', depthwiseInitializer: init(2), biasInitializer: bias(3) }), stem);
  const dwBn = apply(tfl.layers.batchNormalization({ name: 'dw_bn', center: false }), dw);
  const dwRelu = apply(tfl.layers.reLU({ name: 'dw_relu' }), dwBn);
  const pw = apply(tfl.layers.conv2d({ name: 'pw', filters: 6, kernelSize: 1, kernelInitializer: init(4), biasInitializer: bias(5) }), dwRelu);
  const res = apply(tfl.layers.add({ name: 'res' }), [stem, pw]);
  const padded = apply(tfl.layers.zeroPadding2d({ name: 'pad', padding: 1 }), res);
  const down = apply(tfl.layers.conv2d({ name: 'down', filters: 5, kernelSize: 3, strides: 2, activation: 'relu', kernelInitializer: init(6), biasInitializer: bias(7) }), padded);
  const pooled = apply(tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }), res);
  const side = apply(tfl.layers.conv2d({ name: 'side', filters: 4, kernelSize: 1, activation: 'relu', kernelInitializer: init(8), biasInitializer: bias(9) }), pooled);
  const cat = apply(tfl.layers.concatenate({ name: 'cat' }), [down, side]);
  const gap = apply(tfl.layers.globalAveragePooling2d({ name: 'gap' }), cat);
  const hidden = apply(tfl.layers.dense({ name: 'hidden', units: 7, activation: 'tanh', kernelInitializer: init(10), biasInitializer: bias(11) }), gap);
  const drop = apply(tfl.layers.dropout({ name: 'drop', rate: 0.3 }), hidden);
  const out = apply(tfl.layers.dense({ name: 'classes', units: 3, activation: 'softmax', kernelInitializer: init(12), biasInitializer: bias(13) }), drop);
  const model = tfl.model({ inputs: input, outputs: out, name: 'residual' });
  let seed = 20;
  for (const name of ['stem_bn', 'dw_bn']) {
    const layer = model.getLayer(name);
    // [gamma,] [beta,] moving mean, moving variance: variances kept positive, the rest around their initial values.
    const values = layer.getWeights().map((w, i, all) => tf.tidy(() => (i === all.length - 1 ? tf.randomUniform(w.shape, 0.5, 2, 'float32', seed++) : tf.add(tf.randomNormal(w.shape, 0, 0.4, 'float32', seed++), i === 0 && all.length === 4 ? 1 : 0))));
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/**
 * Removes the first unit of every prunable coupled group (extract/channels.ts)
 * as the unit structure's masks do (pruning/groups): zeros its owners' and
 * depthwise convs' kernel columns and bias entries and its batch norms' gamma
 * and beta, so extraction removes it exactly. Returns how many units it removed.
 */
export function zeroFirstUnits(net: Net): number {
  const map = channelMap(net.arch);
  let removed = 0;
  for (const g of map.groups) {
    if (g.frozen || g.units.length < 2) continue;
    const unit = map.units[g.units[0]!]!;
    // Zero entry `channel` of the last axis of v.
    const drop = (v: tf.Variable, channel: number) => {
      const n = v.shape.at(-1)!;
      tf.tidy(() => v.assign(tf.mul(v, tf.tensor1d(Float32Array.from({ length: n }, (_, k) => (k === channel ? 0 : 1))))));
    };
    for (const r of [...unit.owners, ...unit.depthwise]) {
      const p = net.paramAt(r.layer)!;
      drop(p.kernel, r.channel);
      if (p.bias) drop(p.bias, r.channel);
    }
    for (const r of unit.norms) {
      const bn = net.normAt(r.layer)!;
      drop(bn.gamma, r.channel);
      drop(bn.beta, r.channel);
    }
    removed++;
  }
  return removed;
}
