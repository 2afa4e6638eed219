import type * as tf from '@tensorflow/tfjs-core';
import { isPrunelabError } from '@prunelab/core';
import { modelError } from './model-error.js';
import type { FixedActivation, FixedOp } from '../ops/fixed.js';
import type { Activation, LayerSpec, NamedArray } from '../architecture.js';
import { convOut, windowOut } from '../geometry.js';
import { importFunctional } from './functional-import.js';
import type { ImportedModel, ImportExpectation } from './imported-model.js';
import { activationName, convProblems, declaredInputShape, IDENTITY_LAYERS, layerAt, reluFn } from './keras-layers.js';
import { isFunctional, RECONVERT, sequentialLayers, type KerasLayer } from './keras-topology.js';
import { decodeAll, prod, sameShape, takeWeight } from './keras-weights.js';

export type { ImportedModel } from './imported-model.js';

/** The layers a Sequential model may hold (functional-import.ts lists a functional model's). */
export const SUPPORTED_LAYERS = [
  'Dense', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D', 'Flatten',
  'Activation', 'ReLU', 'Softmax', 'BatchNormalization', 'InputLayer', ...IDENTITY_LAYERS,
] as const;

/**
 * Translates a tfjs LayersModel (model.json topology + weights, e.g.
 * converted from Keras with tensorflowjs_converter) into our Architecture with
 * its weights as the initial weights, so a researcher's own network runs
 * through the same masked training and projection as the zoo models.
 * Functional models go to functional-import.ts; Sequential ones are read here.
 *
 * Sequential: Dense and Conv2D become prunable layers. Pooling, flatten,
 * activations, dropout (identity at inference) and batch normalisation (folded
 * into a per-channel affine map with its moving statistics) are carried along
 * as unpruned, untrained `fixed` layers that forward still computes. Anything
 * else is an error that names every offending layer.
 */
export function importLayersModel(artifacts: tf.io.ModelArtifacts, source: string, expected?: ImportExpectation): ImportedModel {
  try {
    if (isFunctional(artifacts.modelTopology, source)) return importFunctional(artifacts, source, expected);
    return importChecked(artifacts, source, expected);
  } catch (e) {
    if (isPrunelabError(e)) throw e;
    // A field of the wrong type deep in a layer config (a null kernel_size, a string for units):
    // still the user's file, never a stack trace.
    throw modelError(`${source}: the model topology is malformed (${(e as Error).message})`, RECONVERT);
  }
}

function importChecked(artifacts: tf.io.ModelArtifacts, source: string, expected?: ImportExpectation): ImportedModel {
  const layers = sequentialLayers(artifacts.modelTopology, source);
  const weights = decodeAll(artifacts);
  const modelInput = declaredInputShape(layers[0], source, 'the first layer');
  const take = (layer: string, attr: string, shape: number[]) => takeWeight(weights, layer, attr, shape, source);
  const specs: LayerSpec[] = [];
  const init: NamedArray[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  const unsupported: string[] = [];
  const layerNames: Record<string, string> = {};
  const counts = { dense: 0, conv2d: 0 };
  let output: ImportedModel['output'] = 'logits';
  let inputShape = modelInput;
  let shape = [...modelInput];
  if (expected && !sameShape(expected.inputShape, modelInput)) {
    if (modelInput.length === 1 && prod(expected.inputShape) === modelInput[0]) {
      inputShape = [...expected.inputShape];
      shape = [...modelInput];
      specs.push({ kind: 'flatten' });
      notes.push(`input [${expected.inputShape.join(', ')}] is flattened to the model's [${modelInput[0]}]`);
    } else {
      throw modelError(
        `${source}: the model expects input [${modelInput.join(', ')}], the dataset gives [${expected.inputShape.join(', ')}]`,
        'Use a dataset of that shape, or build the model for the dataset\'s input',
      );
    }
  }
  const fixed = (op: FixedOp, l: KerasLayer): void => {
    const name = `${String(l.config['name'])} (${l.class_name})`;
    specs.push({ kind: 'fixed', op, source: name });
    skipped.push(name);
  };
  const activationAfter = (fn: FixedActivation, l: KerasLayer): Activation => {
    if (fn === 'relu' || fn === 'linear') return fn;
    fixed({ type: 'activation', fn }, l);
    return 'linear';
  };
  layers.forEach((l, i) => {
    const c = l.config;
    // Unsupported layers are named by their place in the file too.
    const name = String(c['name']);
    const at = layerAt(i, name);
    const last = i === layers.length - 1;
    switch (l.class_name) {
      case 'InputLayer':
        return;
      case 'Dense': {
        if (shape.length !== 1) {
          unsupported.push(`${at} (Dense on a rank-${shape.length} input; add a Flatten before it)`);
          return;
        }
        const units = c['units'] as number;
        const ours = `dense${++counts.dense}`;
        layerNames[name] = ours;
        const kernel = take(name, 'kernel', [shape[0]!, units]);
        const bias = c['use_bias'] === false ? new Float32Array(units) : take(name, 'bias', [units]);
        if (c['use_bias'] === false) notes.push(`${name} has no bias: ${ours} gets a zero bias, which fine-tuning trains`);
        init.push({ name: `${ours}/kernel`, shape: [shape[0]!, units], data: kernel }, { name: `${ours}/bias`, shape: [units], data: bias });
        const fn = activationName(c['activation'], at, unsupported);
        const spec: { kind: 'dense'; units: number; activation: Activation } = { kind: 'dense', units, activation: 'linear' };
        specs.push(spec);
        if (fn === 'softmax' && last) {
          notes.push(`the final softmax of ${name} is dropped: the Net returns logits (training applies log-softmax)`);
          output = 'softmax';
        } else if (fn) spec.activation = activationAfter(fn, l);
        shape = [units];
        return;
      }
      case 'Conv2D': {
        const k = c['kernel_size'] as number[];
        const s = c['strides'] as number[];
        const problems = convProblems(c, shape);
        if (problems.length > 0) {
          unsupported.push(`${at} (Conv2D: ${problems.join(', ')})`);
          return;
        }
        const [h, w, ch] = shape as [number, number, number];
        const filters = c['filters'] as number;
        const padding = c['padding'] === 'same' ? 'same' : 'valid';
        const ours = `conv${++counts.conv2d}`;
        layerNames[name] = ours;
        const kshape = [k[0]!, k[0]!, ch, filters];
        const kernel = take(name, 'kernel', kshape);
        const bias = c['use_bias'] === false ? new Float32Array(filters) : take(name, 'bias', [filters]);
        if (c['use_bias'] === false) notes.push(`${name} has no bias: ${ours} gets a zero bias, which fine-tuning trains`);
        init.push({ name: `${ours}/kernel`, shape: kshape, data: kernel }, { name: `${ours}/bias`, shape: [filters], data: bias });
        const spec: LayerSpec & { kind: 'conv2d' } = { kind: 'conv2d', filters, kernel: k[0]!, stride: s[0]!, padding, activation: 'linear' };
        specs.push(spec);
        const fn = activationName(c['activation'], at, unsupported);
        if (fn) spec.activation = activationAfter(fn, l);
        shape = [...convOut(h, w, k[0]!, s[0]!, padding), filters];
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (shape.length !== 3 || c['data_format'] === 'channels_first') {
          unsupported.push(`${at} (${l.class_name} on a rank-${shape.length} or channels_first input)`);
          return;
        }
        const size = c['pool_size'] as [number, number];
        const stride = ((c['strides'] as [number, number] | null | undefined) ?? size) as [number, number];
        const padding = c['padding'] === 'same' ? 'same' : 'valid';
        const mode = l.class_name === 'MaxPooling2D' ? 'max' : 'avg';
        const [h, w, ch] = shape as [number, number, number];
        shape = [windowOut(h, size[0], stride[0], padding), windowOut(w, size[1], stride[1], padding), ch];
        // The common case maps onto our own maxpool layer, which extraction and FLOP counting understand natively.
        if (mode === 'max' && padding === 'valid' && size[0] === size[1] && stride[0] === stride[1]) {
          specs.push({ kind: 'maxpool', size: size[0], stride: stride[0] });
        } else {
          fixed({ type: 'pool', mode, size, stride, padding }, l);
        }
        return;
      }
      case 'GlobalMaxPooling2D':
      case 'GlobalAveragePooling2D':
        if (shape.length !== 3 || c['data_format'] === 'channels_first' || c['keepdims'] === true) {
          unsupported.push(`${at} (${l.class_name}: needs a channels_last rank-3 input without keepdims)`);
          return;
        }
        fixed({ type: 'globalPool', mode: l.class_name === 'GlobalMaxPooling2D' ? 'max' : 'avg' }, l);
        shape = [shape[2]!];
        return;
      case 'Flatten':
        specs.push({ kind: 'flatten' });
        shape = [prod(shape)];
        return;
      case 'Activation':
      case 'ReLU':
      case 'Softmax': {
        let fn: FixedActivation | undefined;
        if (l.class_name === 'Softmax') fn = 'softmax';
        else if (l.class_name === 'ReLU') {
          fn = reluFn(c);
          if (!fn) unsupported.push(`${at} (ReLU with max_value/negative_slope/threshold)`);
        } else fn = activationName(c['activation'], at, unsupported);
        if (!fn) return;
        if (fn === 'softmax' && last) {
          notes.push(`the final softmax ${name} is dropped: the Net returns logits (training applies log-softmax)`);
          output = 'softmax';
          return;
        }
        fixed({ type: 'activation', fn }, l);
        return;
      }
      case 'BatchNormalization': {
        const axis = c['axis'];
        const ax = Array.isArray(axis) ? axis[0] : axis;
        if (ax !== -1 && ax !== shape.length) {
          unsupported.push(`${at} (BatchNormalization over axis ${String(axis)}; only the channel axis is supported)`);
          return;
        }
        const ch = shape.at(-1)!;
        const eps = (c['epsilon'] as number | undefined) ?? 1e-3;
        const gamma = c['scale'] === false ? new Float32Array(ch).fill(1) : take(name, 'gamma', [ch]);
        const beta = c['center'] === false ? new Float32Array(ch) : take(name, 'beta', [ch]);
        const mean = take(name, 'moving_mean', [ch]);
        const variance = take(name, 'moving_variance', [ch]);
        const scale: number[] = [];
        const offset: number[] = [];
        for (let j = 0; j < ch; j++) {
          const a = gamma[j]! / Math.sqrt(variance[j]! + eps);
          scale.push(a);
          offset.push(beta[j]! - mean[j]! * a);
        }
        fixed({ type: 'affine', scale, offset }, l);
        return;
      }
      default:
        if (IDENTITY_LAYERS.has(l.class_name)) {
          fixed({ type: 'identity' }, l);
          return;
        }
        unsupported.push(`${at} (${l.class_name})`);
    }
  });
  if (unsupported.length > 0) {
    throw modelError(
      `${source}: unsupported layers: ${unsupported.join('; ')}`,
      `Rebuild the model from supported layers: ${SUPPORTED_LAYERS.join(', ')}; a functional model (tf.keras.Model) may also use DepthwiseConv2D, Add, Concatenate and ZeroPadding2D`,
    );
  }
  if (shape.length !== 1) throw modelError(`${source}: the model ends in shape [${shape.join(', ')}], expected a vector of class logits`, 'End the model with a Dense layer of one unit per class');
  const classes = shape[0]!;
  if (expected && expected.classes !== classes) {
    throw modelError(`${source}: the model has ${classes} outputs, the dataset has ${expected.classes} classes`, `Give the last Dense layer ${expected.classes} units, or use a dataset with ${classes} classes`);
  }
  if (counts.dense + counts.conv2d === 0) throw modelError(`${source}: the model has no Dense or Conv2D layer to prune`, 'prunelab prunes Dense and Conv2D layers: the model needs at least one');
  notes.push(`prunable layers: ${Object.entries(layerNames).map(([k, v]) => `${k} -> ${v}`).join(', ')}`);
  if (skipped.length > 0) notes.push(`carried along unpruned: ${skipped.join(', ')}`);
  return { arch: { inputShape, classes, layers: specs, initialWeights: init, notes }, layerNames, norms: {}, skipped, output, inputShape: modelInput };
}
