import * as tf from '@tensorflow/tfjs-core';
import { isPrunelabError } from '@prunelab/core';
import { modelError } from './model-error.js';
import { FIXED_ACTIVATIONS, type FixedActivation, type FixedOp } from '../ops/fixed.js';
import type { Activation, Architecture, LayerSpec, NamedArray } from '../architecture.js';
import { convOut, windowOut } from '../geometry.js';

/**
 * Translates a Sequential tfjs LayersModel (model.json topology + weights, e.g.
 * converted from Keras with tensorflowjs_converter) into our Architecture with
 * its weights as the initial weights, so a researcher's own network runs
 * through the same masked training and projection as the zoo models.
 *
 * Dense and Conv2D become prunable layers. Pooling, flatten, activations,
 * dropout (identity at inference) and batch normalisation (folded into a
 * per-channel affine map with its moving statistics) are carried along as
 * unpruned, untrained `fixed` layers that forward still computes. Anything else
 * is an error that names every offending layer.
 */
export interface ImportedModel {
  readonly arch: Architecture;
  /** Keras layer name -> our prunable layer name (dense1, conv1, ...). */
  readonly layerNames: Readonly<Record<string, string>>;
  /** Layers computed but never pruned, as "name (ClassName)". */
  readonly skipped: readonly string[];
  /**
   * What the original model returns: 'softmax' when the import dropped its
   * final softmax (the Net returns the logits), 'logits' otherwise. An export
   * writes the original layers back, so its predictions are this function of
   * the Net's logits.
   */
  readonly output: 'logits' | 'softmax';
  /** The input shape the model.json declares (arch.inputShape is the dataset's, when the import flattens it onto this one). */
  readonly inputShape: readonly number[];
}

export interface KerasLayer {
  readonly class_name: string;
  readonly config: Record<string, unknown>;
}

const IDENTITY_LAYERS = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'ActivityRegularization']);
export const SUPPORTED_LAYERS = [
  'Dense', 'Conv2D', 'MaxPooling2D', 'AveragePooling2D', 'GlobalMaxPooling2D', 'GlobalAveragePooling2D', 'Flatten',
  'Activation', 'ReLU', 'Softmax', 'BatchNormalization', 'InputLayer', ...IDENTITY_LAYERS,
] as const;

export function importLayersModel(artifacts: tf.io.ModelArtifacts, source: string, expected?: { inputShape: readonly number[]; classes: number }): ImportedModel {
  try {
    return importChecked(artifacts, source, expected);
  } catch (e) {
    if (isPrunelabError(e)) throw e;
    // A field of the wrong type deep in a layer config (a null kernel_size, a string for units):
    // still the user's file, never a stack trace.
    throw modelError(`${source}: the model topology is malformed (${(e as Error).message})`, RECONVERT);
  }
}

const RECONVERT = 'Convert the model again (tensorflowjs_converter, or model.save() in tfjs)';

function importChecked(artifacts: tf.io.ModelArtifacts, source: string, expected?: { inputShape: readonly number[]; classes: number }): ImportedModel {
  const layers = sequentialLayers(artifacts.modelTopology, source);
  const weights = decodeAll(artifacts);
  const first = layers[0];
  const batchShape = first && ((first.config['batch_input_shape'] ?? first.config['batch_shape'] ?? first.config['batchInputShape']) as Array<number | null> | undefined);
  if (!Array.isArray(batchShape)) {
    throw modelError(`${source}: the first layer has no batch_input_shape, so the input shape is unknown`, 'Give the first layer an input shape (input_shape= in Keras, inputShape in tfjs) and convert again');
  }
  const modelInput = batchShape.slice(1).map((d) => {
    if (!Number.isSafeInteger(d) || (d as number) < 1) {
      throw modelError(`${source}: input shape [${batchShape.join(', ')}] has an unknown or invalid dimension`, 'Give every input dimension but the batch a fixed size');
    }
    return d as number;
  });
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
    const name = String(c['name']);
    const last = i === layers.length - 1;
    switch (l.class_name) {
      case 'InputLayer':
        return;
      case 'Dense': {
        if (shape.length !== 1) {
          unsupported.push(`${name} (Dense on a rank-${shape.length} input; add a Flatten before it)`);
          return;
        }
        const units = c['units'] as number;
        const ours = `dense${++counts.dense}`;
        layerNames[name] = ours;
        const kernel = take(weights, name, 'kernel', [shape[0]!, units], source);
        const bias = c['use_bias'] === false ? new Float32Array(units) : take(weights, name, 'bias', [units], source);
        if (c['use_bias'] === false) notes.push(`${name} has no bias: ${ours} gets a zero bias, which fine-tuning trains`);
        init.push({ name: `${ours}/kernel`, shape: [shape[0]!, units], data: kernel }, { name: `${ours}/bias`, shape: [units], data: bias });
        const fn = activationName(c['activation'], name, unsupported);
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
        const d = (c['dilation_rate'] as number[] | undefined) ?? [1, 1];
        const problems = [
          shape.length !== 3 && `rank-${shape.length} input`,
          k[0] !== k[1] && `non-square kernel ${k.join('x')}`,
          s[0] !== s[1] && `unequal strides ${s.join('x')}`,
          (d[0] !== 1 || d[1] !== 1) && `dilation ${d.join('x')}`,
          c['data_format'] === 'channels_first' && 'channels_first',
          ((c['groups'] as number | undefined) ?? 1) !== 1 && 'grouped',
        ].filter(Boolean);
        if (problems.length > 0) {
          unsupported.push(`${name} (Conv2D: ${problems.join(', ')})`);
          return;
        }
        const [h, w, ch] = shape as [number, number, number];
        const filters = c['filters'] as number;
        const padding = c['padding'] === 'same' ? 'same' : 'valid';
        const ours = `conv${++counts.conv2d}`;
        layerNames[name] = ours;
        const kshape = [k[0]!, k[0]!, ch, filters];
        const kernel = take(weights, name, 'kernel', kshape, source);
        const bias = c['use_bias'] === false ? new Float32Array(filters) : take(weights, name, 'bias', [filters], source);
        if (c['use_bias'] === false) notes.push(`${name} has no bias: ${ours} gets a zero bias, which fine-tuning trains`);
        init.push({ name: `${ours}/kernel`, shape: kshape, data: kernel }, { name: `${ours}/bias`, shape: [filters], data: bias });
        const spec: LayerSpec & { kind: 'conv2d' } = { kind: 'conv2d', filters, kernel: k[0]!, stride: s[0]!, padding, activation: 'linear' };
        specs.push(spec);
        const fn = activationName(c['activation'], name, unsupported);
        if (fn) spec.activation = activationAfter(fn, l);
        shape = [...convOut(h, w, k[0]!, s[0]!, padding), filters];
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        if (shape.length !== 3 || c['data_format'] === 'channels_first') {
          unsupported.push(`${name} (${l.class_name} on a rank-${shape.length} or channels_first input)`);
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
          unsupported.push(`${name} (${l.class_name}: needs a channels_last rank-3 input without keepdims)`);
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
          const max = c['max_value'] as number | null | undefined;
          const slope = (c['negative_slope'] as number | undefined) ?? 0;
          const threshold = (c['threshold'] as number | undefined) ?? 0;
          if (slope !== 0 || threshold !== 0 || (max != null && max !== 6)) unsupported.push(`${name} (ReLU with max_value/negative_slope/threshold)`);
          else fn = max === 6 ? 'relu6' : 'relu';
        } else fn = activationName(c['activation'], name, unsupported);
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
          unsupported.push(`${name} (BatchNormalization over axis ${String(axis)}; only the channel axis is supported)`);
          return;
        }
        const ch = shape.at(-1)!;
        const eps = (c['epsilon'] as number | undefined) ?? 1e-3;
        const gamma = c['scale'] === false ? new Float32Array(ch).fill(1) : take(weights, name, 'gamma', [ch], source);
        const beta = c['center'] === false ? new Float32Array(ch) : take(weights, name, 'beta', [ch], source);
        const mean = take(weights, name, 'moving_mean', [ch], source);
        const variance = take(weights, name, 'moving_variance', [ch], source);
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
        unsupported.push(`${name} (${l.class_name})`);
    }
  });
  if (unsupported.length > 0) {
    throw modelError(`${source}: unsupported layers: ${unsupported.join('; ')}`, `Rebuild the model from supported layers: ${SUPPORTED_LAYERS.join(', ')}`);
  }
  if (shape.length !== 1) throw modelError(`${source}: the model ends in shape [${shape.join(', ')}], expected a vector of class logits`, 'End the model with a Dense layer of one unit per class');
  const classes = shape[0]!;
  if (expected && expected.classes !== classes) {
    throw modelError(`${source}: the model has ${classes} outputs, the dataset has ${expected.classes} classes`, `Give the last Dense layer ${expected.classes} units, or use a dataset with ${classes} classes`);
  }
  if (counts.dense + counts.conv2d === 0) throw modelError(`${source}: the model has no Dense or Conv2D layer to prune`, 'prunelab prunes Dense and Conv2D layers: the model needs at least one');
  notes.push(`prunable layers: ${Object.entries(layerNames).map(([k, v]) => `${k} -> ${v}`).join(', ')}`);
  if (skipped.length > 0) notes.push(`carried along unpruned: ${skipped.join(', ')}`);
  return { arch: { inputShape, classes, layers: specs, initialWeights: init, notes }, layerNames, skipped, output, inputShape: modelInput };
}

/** The layer list of a Sequential topology (the objects themselves: an exporter edits a copy of the topology in place). */
export function sequentialLayers(topology: unknown, source: string): KerasLayer[] {
  if (!topology || typeof topology !== 'object' || topology instanceof ArrayBuffer) throw modelError(`${source}: no JSON model topology`, RECONVERT);
  const t = topology as Record<string, unknown>;
  // Converted Keras files nest the model under model_config; tfjs-layers' own saves do not.
  const model = (t['model_config'] ?? t) as { class_name?: string; config?: unknown };
  if (model.class_name !== 'Sequential') {
    throw modelError(`${source}: only Sequential models are supported, this is a ${String(model.class_name)} model`, 'Rebuild it as a tf.keras.Sequential and convert again');
  }
  // Keras before 2.2.3 stored the layer list directly as the config.
  const layers: unknown = Array.isArray(model.config) ? model.config : (model.config as { layers?: unknown } | null | undefined)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw modelError(`${source}: the Sequential model has no layers`, RECONVERT);
  layers.forEach((l: unknown, i) => {
    const ok = typeof l === 'object' && l !== null && typeof (l as KerasLayer).class_name === 'string' && typeof (l as KerasLayer).config === 'object' && (l as KerasLayer).config !== null;
    if (!ok) throw modelError(`${source}: layer ${i} is ${l === null ? 'null' : 'not { class_name, config }'}`, RECONVERT);
  });
  return layers as KerasLayer[];
}

function activationName(value: unknown, layer: string, unsupported: string[]): FixedActivation | undefined {
  const name = value === undefined || value === null ? 'linear' : typeof value === 'string' ? value : (value as { config?: { name?: string } }).config?.name;
  if (typeof name === 'string' && (FIXED_ACTIVATIONS as readonly string[]).includes(name)) return name as FixedActivation;
  unsupported.push(`${layer} (activation ${JSON.stringify(value)})`);
  return undefined;
}

/** Every weight decoded to float32 (tf.io.decodeWeights also undoes converter quantisation), keyed by its manifest name. */
export function decodeAll(artifacts: tf.io.ModelArtifacts): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) return out;
  const tensors = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  for (const [name, t] of Object.entries(tensors)) {
    out.set(name, { shape: t.shape, data: Float32Array.from(t.dataSync()) });
    t.dispose();
  }
  return out;
}

/**
 * Which layer and attribute a weights-manifest name belongs to: manifest names
 * are "dense_1/kernel" (Keras), "sequential/dense_1/kernel:0" or
 * "dense_Dense1/kernel" (tfjs-layers), so the last two path segments decide.
 */
export function weightOwner(name: string): { readonly layer: string | undefined; readonly attr: string | undefined } {
  const parts = name.replace(/:\d+$/, '').split('/');
  return { layer: parts.at(-2), attr: parts.at(-1) };
}

function take(weights: Map<string, { shape: number[]; data: Float32Array }>, layer: string, attr: string, shape: number[], source: string): Float32Array {
  for (const [name, w] of weights) {
    const owner = weightOwner(name);
    if (owner.attr === attr && owner.layer === layer) {
      if (!sameShape(w.shape, shape)) {
        throw modelError(`${source}: weight ${name} has shape [${w.shape.join(', ')}], the layer needs [${shape.join(', ')}]`, 'The weights do not match the layer configs: convert the model again');
      }
      return w.data;
    }
  }
  throw modelError(`${source}: weight ${layer}/${attr} is not in the weights manifest`, 'The manifest lacks a weight the layers need: convert the model again');
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function prod(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
