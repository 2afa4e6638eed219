import { modelError } from './model-error.js';

/**
 * The layer lists of a tfjs LayersModel's topology (model.json's
 * modelTopology), Sequential or functional, checked for the structure the
 * importers rely on. Converted Keras files nest the model under model_config;
 * tfjs-layers' own saves do not.
 */
export interface KerasLayer {
  readonly class_name: string;
  readonly config: Record<string, unknown>;
}

export const RECONVERT = 'Convert the model again (tensorflowjs_converter, or model.save() in tfjs)';

/** The class names of a functional model: Keras 2 and tfjs-layers write Model, Keras 3 Functional. */
const FUNCTIONAL = new Set(['Model', 'Functional']);

interface ModelConfig {
  readonly class_name?: unknown;
  readonly config?: unknown;
}

function modelOf(topology: unknown, source: string): ModelConfig {
  if (!topology || typeof topology !== 'object' || topology instanceof ArrayBuffer) throw modelError(`${source}: no JSON model topology`, RECONVERT);
  const t = topology as Record<string, unknown>;
  return (t['model_config'] ?? t) as ModelConfig;
}

/** Whether the topology is a functional model (otherwise it must be Sequential). */
export function isFunctional(topology: unknown, source: string): boolean {
  const model = modelOf(topology, source);
  if (typeof model.class_name === 'string' && FUNCTIONAL.has(model.class_name)) return true;
  if (model.class_name !== 'Sequential') {
    throw modelError(
      `${source}: only Sequential and functional (Model) models are supported, this is a ${String(model.class_name)} model`,
      'Rebuild it as a tf.keras.Sequential or a functional tf.keras.Model and convert again',
    );
  }
  return false;
}

/** The layer list of a Sequential topology (the objects themselves: an exporter edits a copy of the topology in place). */
export function sequentialLayers(topology: unknown, source: string): KerasLayer[] {
  const model = modelOf(topology, source);
  // Keras before 2.2.3 stored the layer list directly as the config.
  const layers: unknown = Array.isArray(model.config) ? model.config : (model.config as { layers?: unknown } | null | undefined)?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw modelError(`${source}: the Sequential model has no layers`, RECONVERT);
  checkLayers(layers, source);
  return layers as KerasLayer[];
}

/** The layer list of either kind of topology, as written (for an exporter that edits a copy in place). */
export function topologyLayers(topology: unknown, source: string): KerasLayer[] {
  return isFunctional(topology, source) ? functionalTopology(topology, source).all : sequentialLayers(topology, source);
}

function checkLayers(layers: readonly unknown[], source: string): void {
  layers.forEach((l: unknown, i) => {
    const ok = typeof l === 'object' && l !== null && typeof (l as KerasLayer).class_name === 'string' && typeof (l as KerasLayer).config === 'object' && (l as KerasLayer).config !== null;
    if (!ok) throw modelError(`${source}: layer ${i} is ${l === null ? 'null' : 'not { class_name, config }'}`, RECONVERT);
  });
}

/** A layer of a functional model, with where it sits in the file and what it reads. */
export interface FunctionalLayer {
  readonly layer: KerasLayer;
  readonly name: string;
  /** Its index in the file's config.layers. */
  readonly index: number;
  /** The layers whose outputs it reads, in order (its first call's). */
  readonly inputs: readonly string[];
  /** How many times the model calls it: more than once is a shared layer. */
  readonly calls: number;
}

export interface FunctionalTopology {
  /** Every layer the output depends on, in topological order (file order where the wiring leaves a choice); the output last. */
  readonly layers: readonly FunctionalLayer[];
  /** config.layers as written. */
  readonly all: KerasLayer[];
  /** The input layer's name and the output layer's. */
  readonly input: string;
  readonly output: string;
}

/**
 * Parses a functional model: config.layers, each with its `inbound_nodes`
 * (Keras 2 and tfjs-layers: [[[name, node, tensor, kwargs], ...]]; Keras 3:
 * [{ args, kwargs }] holding keras tensors with a keras_history), and
 * `input_layers` / `output_layers`. prunelab's networks have one input and
 * one output, so a model with more is refused, naming them.
 */
export function functionalTopology(topology: unknown, source: string): FunctionalTopology {
  const config = modelOf(topology, source).config as { layers?: unknown; input_layers?: unknown; output_layers?: unknown } | null | undefined;
  const all = config?.layers;
  if (!Array.isArray(all) || all.length === 0) throw modelError(`${source}: the functional model has no layers`, RECONVERT);
  checkLayers(all, source);
  const byName = new Map<string, FunctionalLayer>();
  (all as KerasLayer[]).forEach((layer, index) => {
    const raw = layer as KerasLayer & { name?: unknown; inbound_nodes?: unknown };
    const name = typeof raw.name === 'string' ? raw.name : raw.config['name'];
    if (typeof name !== 'string') throw modelError(`${source}: layer ${index} (${layer.class_name}) has no name`, RECONVERT);
    if (byName.has(name)) throw modelError(`${source}: two layers are named "${name}" (layers ${byName.get(name)!.index} and ${index})`, RECONVERT);
    const nodes = raw.inbound_nodes ?? [];
    if (!Array.isArray(nodes)) throw modelError(`${source}: layer ${index} (${name}) has inbound_nodes that are not a list`, RECONVERT);
    const inputs = nodes.length === 0 ? [] : nodeInputs(nodes[0], `${source}: layer ${index} (${name})`);
    byName.set(name, { layer, name, index, inputs, calls: nodes.length });
  });
  const input = endpoint(config?.input_layers, 'input', byName, source);
  const output = endpoint(config?.output_layers, 'output', byName, source);
  return { layers: ordered(byName, output, source), all: all as KerasLayer[], input, output };
}

/** The layer names an inbound node reads, in order. */
function nodeInputs(node: unknown, where: string): string[] {
  const names: string[] = [];
  if (Array.isArray(node)) {
    // Keras 2 / tfjs-layers: a list of [layer name, node index, tensor index, kwargs].
    for (const ref of node) {
      if (!Array.isArray(ref) || typeof ref[0] !== 'string') throw modelError(`${where} has an inbound node that is not [layer, node, tensor, kwargs]`, RECONVERT);
      names.push(ref[0]);
    }
  } else if (node && typeof node === 'object') {
    // Keras 3: { args, kwargs }, the tensors anywhere in args as { class_name: '__keras_tensor__', config: { keras_history: [layer, node, tensor] } }.
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const history = (v as { config?: { keras_history?: unknown } }).config?.keras_history;
        if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      }
    };
    visit((node as { args?: unknown }).args);
  }
  if (names.length === 0) throw modelError(`${where} has an inbound node that reads no layer`, RECONVERT);
  return names;
}

/** The one input or output layer; more than one is refused, naming them all. */
function endpoint(value: unknown, what: 'input' | 'output', byName: ReadonlyMap<string, FunctionalLayer>, source: string): string {
  // [[name, node, tensor], ...], or (Keras 3, one of them) [name, node, tensor].
  const list: unknown[] = Array.isArray(value) && typeof value[0] === 'string' ? [value] : Array.isArray(value) ? value : [];
  const names = list.map((e) => (Array.isArray(e) && typeof e[0] === 'string' ? e[0] : undefined));
  if (names.length === 0 || names.some((n) => n === undefined)) throw modelError(`${source}: the functional model's ${what}_layers are missing or malformed`, RECONVERT);
  if (names.length > 1) {
    throw modelError(
      `${source}: the model has ${names.length} ${what}s (${names.join(', ')}); prunelab imports models with one input and one output`,
      what === 'input' ? 'Build the model with a single tf.keras.Input (concatenate the features before the model)' : 'Build the model with a single output (the class logits or probabilities)',
    );
  }
  const name = names[0]!;
  if (!byName.has(name)) throw modelError(`${source}: the ${what} layer "${name}" is not among the model's layers`, RECONVERT);
  return name;
}

/**
 * The layers the output depends on, in topological order: Kahn's algorithm
 * taking the earliest layer in the file among the ready ones, so the order
 * (and prunelab's layer names, given in that order) follows the file.
 */
function ordered(byName: ReadonlyMap<string, FunctionalLayer>, output: string, source: string): FunctionalLayer[] {
  const needed = new Set<string>([output]);
  const stack = [output];
  while (stack.length > 0) {
    const l = byName.get(stack.pop()!)!;
    for (const n of l.inputs) {
      if (!byName.has(n)) throw modelError(`${source}: layer ${l.index} (${l.name}) reads "${n}", which is not among the model's layers`, RECONVERT);
      if (!needed.has(n)) {
        needed.add(n);
        stack.push(n);
      }
    }
  }
  const pending = new Map<string, number>();
  const readers = new Map<string, string[]>();
  for (const n of needed) {
    const l = byName.get(n)!;
    pending.set(n, new Set(l.inputs).size);
    for (const i of new Set(l.inputs)) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const ready = [...needed].filter((n) => pending.get(n) === 0);
  const out: FunctionalLayer[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => byName.get(a)!.index - byName.get(b)!.index);
    const n = ready.shift()!;
    out.push(byName.get(n)!);
    for (const r of readers.get(n) ?? []) {
      const left = pending.get(r)! - 1;
      pending.set(r, left);
      if (left === 0) ready.push(r);
    }
  }
  if (out.length < needed.size) throw modelError(`${source}: the layers' inbound nodes form a cycle`, RECONVERT);
  return out;
}
