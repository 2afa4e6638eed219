import type * as tf from '@tensorflow/tfjs-core';
import type { Activation, LayerSpec, NamedArray } from '../architecture.js';
import { convOut, windowOut } from '../geometry.js';
import type { FixedActivation } from '../ops/fixed.js';
import type { ImportedModel, ImportExpectation } from './imported-model.js';
import { activationName, convProblems, declaredInputShape, IDENTITY_LAYERS, layerAt, reluFn } from './keras-layers.js';
import { functionalTopology, RECONVERT, type FunctionalLayer } from './keras-topology.js';
import { decodeAll, prod, sameShape, takeWeight } from './keras-weights.js';
import { modelError } from './model-error.js';

/** The layers a functional model may hold. */
const FUNCTIONAL_LAYERS = [
  'InputLayer', 'Dense', 'Conv2D', 'DepthwiseConv2D', 'BatchNormalization', 'Activation', 'ReLU', 'Softmax', 'Add', 'Concatenate',
  'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D', 'GlobalMaxPooling2D', 'Flatten', 'ZeroPadding2D', ...IDENTITY_LAYERS,
];

/** One Keras layer translated: our layers for it (in order, the last one's output is the Keras layer's) and its output shape. */
interface Translated {
  readonly parts: LayerSpec[];
  readonly shape: number[];
  /** Carried along as computed but never pruned (listed in notes and by prunelab prune). */
  readonly carried?: boolean;
}

/**
 * Translates a functional tfjs LayersModel (Keras' functional API, tf.model()
 * in tfjs: `class_name: Model`, layers with `inbound_nodes`) into our graph
 * format (architecture.ts), each layer reading what its inbound node reads,
 * with the model's weights as the initial weights.
 *
 * Unlike the Sequential import, which predates graphs and folds batch norms
 * into fixed affine maps, every layer becomes the graph layer that computes
 * it: Dense, Conv2D and DepthwiseConv2D are prunable (a layer without a bias
 * stays without one), BatchNormalization is a batch norm with its gamma,
 * beta and moving statistics (trained by fine-tuning, its channels removed
 * with the channels it normalises: DepGraph, Fang et al. 2023), Add,
 * Concatenate, ZeroPadding2D, GlobalAveragePooling2D, max pooling, Flatten
 * and activations are our own layers, and average pooling, global max pooling
 * and Dropout (the identity at inference) are carried along as fixed layers.
 * A final softmax is dropped (the Net returns logits), as in the Sequential
 * import. One input and one output; shared layers (called twice) and every
 * other layer class are refused, all of them named in one error.
 */
export function importFunctional(artifacts: tf.io.ModelArtifacts, source: string, expected?: ImportExpectation): ImportedModel {
  const topology = functionalTopology(artifacts.modelTopology, source);
  const weights = decodeAll(artifacts);
  const take = (layer: string, attr: string, shape: readonly number[]) => takeWeight(weights, layer, attr, shape, source);
  const input = topology.layers[0]!;
  if (input.name !== topology.input) throw modelError(`${source}: the output ${topology.output} does not depend on the input ${topology.input}`, RECONVERT);
  if (input.layer.class_name !== 'InputLayer') throw modelError(`${source}: the input ${input.name} is a ${input.layer.class_name}, not an InputLayer`, RECONVERT);
  const modelInput = declaredInputShape(input.layer, source, `the input layer ${input.name}`);

  const specs: LayerSpec[] = [];
  const init: NamedArray[] = [];
  const notes: string[] = [];
  const skipped: string[] = [];
  const unsupported: string[] = [];
  const layerNames: Record<string, string> = {};
  const norms: Record<string, string> = {};
  const counts = { dense: 0, conv: 0, dwconv: 0, bn: 0 };
  let output: ImportedModel['output'] = 'logits';
  // Per Keras layer: the label of our layer that gives its output ('input': the network's input), and its shape.
  const labels = new Map<string, string>();
  const shapes = new Map<string, number[]>();
  const used = new Set(['input']);
  const unique = (base: string): string => {
    let label = base;
    for (let k = 2; used.has(label); k++) label = `${base}#${k}`;
    used.add(label);
    return label;
  };

  let inputShape: readonly number[] = modelInput;
  labels.set(input.name, 'input');
  shapes.set(input.name, [...modelInput]);
  if (expected && !sameShape(expected.inputShape, modelInput)) {
    if (modelInput.length !== 1 || prod(expected.inputShape) !== modelInput[0]) {
      throw modelError(`${source}: the model expects input [${modelInput.join(', ')}], the dataset gives [${expected.inputShape.join(', ')}]`, 'Use a dataset of that shape, or build the model for the dataset\'s input');
    }
    inputShape = [...expected.inputShape];
    const label = unique(`${input.name} (flattened)`);
    specs.push({ kind: 'flatten', name: label, inputs: ['input'] });
    labels.set(input.name, label);
    notes.push(`input [${expected.inputShape.join(', ')}] is flattened to the model's [${modelInput[0]}]`);
  }

  for (const l of topology.layers.slice(1)) {
    const at = layerAt(l.index, l.name);
    if (l.calls > 1) {
      unsupported.push(`${at} (${l.layer.class_name} called ${l.calls} times: shared layers are not supported)`);
      continue;
    }
    const ins = l.inputs.map((n) => shapes.get(n));
    if (ins.some((s) => s === undefined)) {
      // After an unsupported layer there is no shape to check against, but a class that is never supported is named too.
      if (!FUNCTIONAL_LAYERS.includes(l.layer.class_name)) unsupported.push(`${at} (${l.layer.class_name})`);
      continue;
    }
    const last = l.name === topology.output;
    const t = translate(l, ins as number[][], at, last, {
      unsupported,
      weight: take,
      prunable: (kind) => {
        const ours = `${kind}${++counts[kind]}`;
        layerNames[l.name] = ours;
        return ours;
      },
      norm: () => {
        const ours = `bn${++counts.bn}`;
        norms[l.name] = ours;
        return ours;
      },
      init: (w) => init.push(w),
      finalSoftmax: () => {
        output = 'softmax';
        notes.push(`the final softmax of ${l.name} is dropped: the Net returns logits (training applies log-softmax)`);
      },
    });
    if (!t) continue;
    shapes.set(l.name, t.shape);
    if (t.carried) skipped.push(`${l.name} (${l.layer.class_name})`);
    let reads = l.inputs.map((n) => labels.get(n)!);
    if (t.parts.length === 0) {
      // Nothing to compute (a dropped final softmax): the layer's output is its input.
      labels.set(l.name, reads[0]!);
      continue;
    }
    t.parts.forEach((spec, k) => {
      const label = unique(k === t.parts.length - 1 ? l.name : `${l.name}#${k + 1}`);
      specs.push({ ...spec, name: label, inputs: reads });
      reads = [label];
    });
    labels.set(l.name, reads[0]!);
  }

  if (unsupported.length > 0) {
    throw modelError(`${source}: unsupported layers: ${unsupported.join('; ')}`, `Rebuild the model from supported layers: ${FUNCTIONAL_LAYERS.join(', ')}`);
  }
  const shape = shapes.get(topology.output)!;
  if (shape.length !== 1) throw modelError(`${source}: the model ends in shape [${shape.join(', ')}], expected a vector of class logits`, 'End the model with a Dense layer of one unit per class');
  const classes = shape[0]!;
  if (expected && expected.classes !== classes) {
    throw modelError(`${source}: the model has ${classes} outputs, the dataset has ${expected.classes} classes`, `Give the last Dense layer ${expected.classes} units, or use a dataset with ${classes} classes`);
  }
  if (Object.keys(layerNames).length === 0) throw modelError(`${source}: the model has no Dense, Conv2D or DepthwiseConv2D layer to prune`, 'prunelab prunes Dense, Conv2D and DepthwiseConv2D layers: the model needs at least one');
  notes.push(`prunable layers: ${Object.entries(layerNames).map(([k, v]) => `${k} -> ${v}`).join(', ')}`);
  if (Object.keys(norms).length > 0) notes.push(`batch norms (trained with the model, pruned with their channels): ${Object.entries(norms).map(([k, v]) => `${k} -> ${v}`).join(', ')}`);
  if (skipped.length > 0) notes.push(`carried along unpruned: ${skipped.join(', ')}`);
  return { arch: { inputShape, classes, layers: specs, initialWeights: init, notes }, layerNames, norms, skipped, output, inputShape: modelInput };
}

interface Sink {
  readonly unsupported: string[];
  weight(layer: string, attr: string, shape: readonly number[]): Float32Array;
  /** Names the next prunable layer of the kind and records it. */
  prunable(kind: 'dense' | 'conv' | 'dwconv'): string;
  norm(): string;
  init(w: NamedArray): void;
  /** The model's last layer applies a softmax, which the import drops. */
  finalSoftmax(): void;
}

/** One layer as our layers, or undefined when it is unsupported (recorded in sink.unsupported). */
function translate(l: FunctionalLayer, ins: readonly number[][], at: string, last: boolean, sink: Sink): Translated | undefined {
  const c = l.layer.config;
  const cls = l.layer.class_name;
  const shape = ins[0]!;
  const refuse = (why?: string): undefined => {
    sink.unsupported.push(`${at} (${cls}${why ? `: ${why}` : ''})`);
    return undefined;
  };
  if (ins.length > 1 && cls !== 'Add' && cls !== 'Concatenate') return refuse(`${ins.length} inputs`);
  // A Dense or conv layer's own activation: relu and linear are ours, others follow as an activation layer, a final softmax is dropped.
  const activation = (parts: LayerSpec[], spec: { activation: Activation }): LayerSpec[] | undefined => {
    const fn = activationName(c['activation'], at, sink.unsupported);
    if (!fn) return undefined;
    if (fn === 'relu' || fn === 'linear') spec.activation = fn;
    else if (fn === 'softmax' && last) sink.finalSoftmax();
    else parts.push({ kind: 'activation', fn });
    return parts;
  };
  const biasOf = (ours: string, n: number): { bias?: false } => {
    if (c['use_bias'] === false) return { bias: false };
    sink.init({ name: `${ours}/bias`, shape: [n], data: sink.weight(l.name, 'bias', [n]) });
    return {};
  };
  switch (cls) {
    case 'Dense': {
      if (shape.length !== 1) return refuse(`on a rank-${shape.length} input; add a Flatten before it`);
      const units = c['units'] as number;
      const ours = sink.prunable('dense');
      sink.init({ name: `${ours}/kernel`, shape: [shape[0]!, units], data: sink.weight(l.name, 'kernel', [shape[0]!, units]) });
      const spec = { kind: 'dense' as const, units, activation: 'linear' as Activation, ...biasOf(ours, units) };
      const parts = activation([spec], spec);
      return parts && { parts, shape: [units] };
    }
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const depthwise = cls === 'DepthwiseConv2D';
      const problems = convProblems(c, shape);
      const multiplier = (c['depth_multiplier'] as number | undefined) ?? 1;
      if (depthwise && multiplier !== 1) problems.push(`depth_multiplier ${multiplier}`);
      if (problems.length > 0) return refuse(problems.join(', '));
      const [h, w, ch] = shape as [number, number, number];
      const k = (c['kernel_size'] as number[])[0]!;
      const stride = (c['strides'] as number[])[0]!;
      const padding = c['padding'] === 'same' ? 'same' : 'valid';
      const filters = depthwise ? ch : (c['filters'] as number);
      const ours = sink.prunable(depthwise ? 'dwconv' : 'conv');
      // A depthwise kernel is [k, k, channels, 1] in Keras and [k, k, 1, channels] here: the same values in the same order.
      const kernel = sink.weight(l.name, depthwise ? 'depthwise_kernel' : 'kernel', depthwise ? [k, k, ch, 1] : [k, k, ch, filters]);
      sink.init({ name: `${ours}/kernel`, shape: [k, k, depthwise ? 1 : ch, filters], data: kernel });
      const geometry = { kernel: k, stride, padding, activation: 'linear' as Activation, ...biasOf(ours, filters) } as const;
      const spec: LayerSpec & { activation: Activation } = depthwise ? { kind: 'depthwiseConv2d', ...geometry } : { kind: 'conv2d', filters, ...geometry };
      const parts = activation([spec], spec);
      return parts && { parts, shape: [...convOut(h, w, k, stride, padding), filters] };
    }
    case 'BatchNormalization': {
      const axis = c['axis'];
      const ax = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : undefined) : axis;
      if (ax !== -1 && ax !== shape.length) return refuse(`over axis ${JSON.stringify(axis)}; only the channel axis is supported`);
      const ch = shape.at(-1)!;
      const ours = sink.norm();
      const values = {
        gamma: c['scale'] === false ? new Float32Array(ch).fill(1) : sink.weight(l.name, 'gamma', [ch]),
        beta: c['center'] === false ? new Float32Array(ch) : sink.weight(l.name, 'beta', [ch]),
        moving_mean: sink.weight(l.name, 'moving_mean', [ch]),
        moving_variance: sink.weight(l.name, 'moving_variance', [ch]),
      };
      for (const [attr, data] of Object.entries(values)) sink.init({ name: `${ours}/${attr}`, shape: [ch], data });
      const epsilon = c['epsilon'] as number | undefined;
      const momentum = c['momentum'] as number | undefined;
      return { parts: [{ kind: 'batchnorm', ...(epsilon !== undefined && { epsilon }), ...(momentum !== undefined && { momentum }) }], shape: [...shape] };
    }
    case 'Activation':
    case 'ReLU':
    case 'Softmax': {
      let fn: FixedActivation | undefined;
      if (cls === 'Softmax') fn = 'softmax';
      else if (cls === 'ReLU') {
        fn = reluFn(c);
        if (!fn) return refuse('with max_value/negative_slope/threshold');
      } else fn = activationName(c['activation'], at, sink.unsupported);
      if (!fn) return undefined;
      if (fn === 'softmax' && last) {
        sink.finalSoftmax();
        return { parts: [], shape: [...shape] };
      }
      return { parts: [{ kind: 'activation', fn }], shape: [...shape], carried: true };
    }
    case 'Add':
      if (ins.length < 2 || ins.some((s) => !sameShape(s, shape))) return refuse(`inputs of shapes ${ins.map((s) => `[${s.join(', ')}]`).join(' and ')}; it needs two or more of one shape`);
      return { parts: [{ kind: 'add' }], shape: [...shape] };
    case 'Concatenate': {
      const axis = (c['axis'] as number | undefined) ?? -1;
      if (axis !== -1 && axis !== shape.length) return refuse(`along axis ${axis}; only the last (channel) axis is supported`);
      if (ins.length < 2 || ins.some((s) => s.length !== shape.length || s.some((d, k) => k < s.length - 1 && d !== shape[k]))) {
        return refuse(`inputs of shapes ${ins.map((s) => `[${s.join(', ')}]`).join(' and ')}; they may differ in the last axis only`);
      }
      return { parts: [{ kind: 'concatenate' }], shape: [...shape.slice(0, -1), ins.reduce((s, x) => s + x.at(-1)!, 0)] };
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      if (shape.length !== 3 || c['data_format'] === 'channels_first') return refuse(`on a rank-${shape.length} or channels_first input`);
      const size = c['pool_size'] as [number, number];
      const stride = ((c['strides'] as [number, number] | null | undefined) ?? size) as [number, number];
      const padding = c['padding'] === 'same' ? 'same' : 'valid';
      const mode = cls === 'MaxPooling2D' ? 'max' : 'avg';
      const [h, w, ch] = shape as [number, number, number];
      const out = [windowOut(h, size[0], stride[0], padding), windowOut(w, size[1], stride[1], padding), ch];
      // The common case is our own maxpool layer, which extraction and the native engine know.
      if (mode === 'max' && padding === 'valid' && size[0] === size[1] && stride[0] === stride[1]) return { parts: [{ kind: 'maxpool', size: size[0], stride: stride[0] }], shape: out };
      return { parts: [{ kind: 'fixed', op: { type: 'pool', mode, size, stride, padding }, source: `${l.name} (${cls})` }], shape: out, carried: true };
    }
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D': {
      if (shape.length !== 3 || c['data_format'] === 'channels_first' || c['keepdims'] === true) return refuse('needs a channels_last rank-3 input without keepdims');
      const parts: LayerSpec[] = cls === 'GlobalAveragePooling2D' ? [{ kind: 'globalAvgPool' }] : [{ kind: 'fixed', op: { type: 'globalPool', mode: 'max' }, source: `${l.name} (${cls})` }];
      return { parts, shape: [shape[2]!], carried: cls === 'GlobalMaxPooling2D' };
    }
    case 'Flatten':
      return { parts: [{ kind: 'flatten' }], shape: [prod(shape)] };
    case 'ZeroPadding2D': {
      const padding = zeroPadding(c['padding']);
      if (shape.length !== 3 || c['data_format'] === 'channels_first' || !padding) return refuse(`padding ${JSON.stringify(c['padding'])} on a rank-${shape.length} input; it needs channels_last [h, w, c] and whole-number padding`);
      const [[top, bottom], [left, right]] = padding;
      return { parts: [{ kind: 'zeroPad', padding }], shape: [shape[0]! + top + bottom, shape[1]! + left + right, shape[2]!] };
    }
    default:
      if (IDENTITY_LAYERS.has(cls)) return { parts: [{ kind: 'fixed', op: { type: 'identity' }, source: `${l.name} (${cls})` }], shape: [...shape], carried: true };
      return refuse();
  }
}

/** Keras' ZeroPadding2D padding (n, (h, w) or ((top, bottom), (left, right))) as ((top, bottom), (left, right)). */
function zeroPadding(p: unknown): [[number, number], [number, number]] | undefined {
  const n = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
  if (n(p)) return [[p, p], [p, p]];
  if (!Array.isArray(p) || p.length !== 2) return undefined;
  const [a, b] = p as unknown[];
  if (n(a) && n(b)) return [[a, a], [b, b]];
  if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2 && [...a, ...b].every(n)) return [[a[0], a[1]], [b[0], b[1]]] as [[number, number], [number, number]];
  return undefined;
}
