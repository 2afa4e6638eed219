import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { fileIOHandler } from '../io/fs-handler.js';
import type { LayerSpec } from '../architecture.js';
import type { Net } from '../net.js';

/**
 * Our Net as a tfjs-layers Sequential model with the same weights, so an
 * extracted (physically smaller) network can be shipped as a standard tfjs
 * `model.json` + `weights.bin` and loaded by tf.loadLayersModel anywhere.
 * Prunable layers keep our names (dense1, conv1, ...), so re-importing the file
 * with the `tfjs` zoo entry maps them back. A folded batch norm is written as a
 * BatchNormalization with mean 0 and variance 1 - epsilon, i.e. x * gamma + beta.
 */
export function toLayersModel(net: Net): tfl.Sequential {
  const model = tfl.sequential({ layers: [tfl.layers.inputLayer({ inputShape: [...net.arch.inputShape] })] });
  const values: tf.Tensor[] = [];
  let fixedCount = 0;
  try {
    net.arch.layers.forEach((spec, i) => {
      const p = net.paramAt(i);
      const layer = toLayer(spec, p?.name ?? `fixed${++fixedCount}`);
      if (!layer) return;
      model.add(layer);
      if (p) values.push(p.kernel.clone(), p.bias.clone());
      if (spec.kind === 'fixed' && spec.op.type === 'affine') {
        const n = spec.op.scale.length;
        values.push(tf.tensor1d(spec.op.scale as number[]), tf.tensor1d(spec.op.offset as number[]), tf.zeros([n]), tf.fill([n], 1 - BN_EPSILON));
      }
    });
    model.setWeights(values);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const v of values) v.dispose();
  }
  return model;
}

/** Writes `<dir>/model.json` and `<dir>/weights.bin` for the net (e.g. an extracted one). */
export async function exportModelJson(net: Net, dir: string): Promise<tf.io.SaveResult> {
  const model = toLayersModel(net);
  try {
    return await model.save(fileIOHandler(dir));
  } finally {
    model.dispose();
  }
}

const BN_EPSILON = 1e-3;

function toLayer(spec: LayerSpec, name: string): tfl.layers.Layer | undefined {
  switch (spec.kind) {
    case 'dense':
      return tfl.layers.dense({ name, units: spec.units, activation: spec.activation });
    case 'conv2d':
      return tfl.layers.conv2d({ name, filters: spec.filters, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding, activation: spec.activation });
    case 'maxpool':
      return tfl.layers.maxPooling2d({ name, poolSize: spec.size, strides: spec.stride, padding: 'valid' });
    case 'flatten':
      return tfl.layers.flatten({ name });
    case 'fixed': {
      const op = spec.op;
      switch (op.type) {
        case 'identity':
          return undefined;
        case 'activation':
          return tfl.layers.activation({ name, activation: op.fn });
        case 'affine':
          return tfl.layers.batchNormalization({ name, axis: -1, epsilon: BN_EPSILON });
        case 'pool': {
          const args = { name, poolSize: [...op.size] as [number, number], strides: [...op.stride] as [number, number], padding: op.padding };
          return op.mode === 'max' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
        }
        case 'globalPool':
          return op.mode === 'max' ? tfl.layers.globalMaxPooling2d({ name }) : tfl.layers.globalAveragePooling2d({ name });
      }
    }
  }
}
