import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { tf } from '@prunelab/engine';
import { fileIOHandler, type Architecture, type Net } from '@prunelab/models';

/**
 * Keras-style Sequential models for the scorer x model test, built with
 * tfjs-layers and saved to a temp folder, so that they come back through the
 * `tfjs` model entry exactly as a user's converted model would.
 */

/** Saves a tfjs-layers model to a new temp folder and returns the folder. */
export async function saveToTemp(model: tfl.LayersModel): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-scorers-'));
  await model.save(fileIOHandler(dir));
  return dir;
}

const BN_EPSILON = 1e-3;

/**
 * The zoo architecture as a Keras user would write it, carrying the zoo net's
 * weights, with the activations spelled three ways in turn (the param layer's
 * own activation, a separate Activation/ReLU layer, and a linear layer +
 * BatchNormalization + Activation), Dropout after some, and the final layer
 * either Dense(softmax) or Dense + Activation(softmax). Every BatchNormalization
 * is exactly the identity after the import folds it (gamma 1, beta 0, moving
 * mean 0, moving variance 1 - epsilon: the folded scale 1/sqrt(var + eps)
 * rounds to exactly 1 in float32), so the imported network computes the zoo
 * network's function with the same weights.
 */
export function mirrorOf(arch: Architecture, net: Net): tfl.Sequential {
  const layers: tfl.layers.Layer[] = [];
  const inputShape = [...arch.inputShape];
  const first = () => (layers.length === 0 ? { inputShape } : {});
  const params = net.params;
  const weights = new Map<string, tf.Tensor[]>();
  let k = 0;
  for (const spec of arch.layers) {
    if (spec.kind === 'flatten') layers.push(tfl.layers.flatten(first()));
    else if (spec.kind === 'maxpool') layers.push(tfl.layers.maxPooling2d({ ...first(), poolSize: spec.size, strides: spec.stride }));
    else if (spec.kind === 'dense' || spec.kind === 'conv2d') {
      const p = params[k]!;
      const last = k === params.length - 1;
      const style = k % 3;
      const inline = spec.activation === 'relu' && style === 1 ? 'relu' : last && k % 2 === 0 ? 'softmax' : 'linear';
      weights.set(`p${k}`, [p.kernel, p.bias!]);
      const common = { ...first(), activation: inline, name: `p${k}` } as const;
      layers.push(
        spec.kind === 'dense'
          ? tfl.layers.dense({ ...common, units: spec.units })
          : tfl.layers.conv2d({ ...common, filters: spec.filters, kernelSize: spec.kernel, strides: spec.stride, padding: spec.padding }),
      );
      if (spec.activation === 'relu' && style === 2) layers.push(tfl.layers.reLU());
      if (spec.activation === 'relu' && style === 0) {
        const ch = p.kernel.shape.at(-1)!;
        const bn = tfl.layers.batchNormalization({ epsilon: BN_EPSILON, name: `bn${k}` });
        weights.set(`bn${k}`, [tf.ones([ch]), tf.zeros([ch]), tf.zeros([ch]), tf.fill([ch], 1 - BN_EPSILON)]);
        layers.push(bn);
        layers.push(tfl.layers.activation({ activation: 'relu' }));
      }
      if (!last && k % 2 === 0) layers.push(tfl.layers.dropout({ rate: 0.5 }));
      if (last && inline !== 'softmax') layers.push(tfl.layers.activation({ activation: 'softmax' }));
      k++;
    } else {
      throw new Error(`mirrorOf: no Keras spelling for layer kind ${spec.kind}`);
    }
  }
  const model = tfl.sequential({ layers });
  for (const [name, ws] of weights) {
    model.getLayer(name).setWeights(ws);
    if (name.startsWith('bn')) tf.dispose(ws);
  }
  return model;
}

/**
 * A convnet with every kind of carried-along layer and non-trivial batch-norm
 * statistics, equivalent to no zoo model: conv(relu) -> BN -> maxpool ->
 * conv(tanh, same) -> avgpool(same) -> flatten -> dropout -> dense(elu) ->
 * dense(softmax), on [8, 8, 2] inputs with 3 classes.
 */
export function unusualConvnet(): tfl.Sequential {
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const m = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 2], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: init(1), biasInitializer: 'randomNormal' }),
      tfl.layers.batchNormalization({ name: 'bn' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'tanh', kernelInitializer: init(2) }),
      tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.dense({ units: 6, activation: 'elu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
  const bn = m.getLayer('bn');
  const stats = bn
    .getWeights()
    .map((w, i) => tf.tidy(() => (i === 3 ? tf.add(tf.randomUniform(w.shape, 0.5, 2, 'float32', 5), 0.1) : tf.randomNormal(w.shape, 0, 1, 'float32', 6 + i))));
  bn.setWeights(stats);
  tf.dispose(stats);
  return m;
}
