import { PrunelabError } from '@prunelab/core';
import type { Architecture, LayerSpec } from './architecture.js';

/**
 * The wiring of an architecture (architecture.ts) resolved to layer indices
 * and checked: the forward pass, the shapes and the Net all walk this instead
 * of the labels.
 */
export interface Graph {
  /** inputs[i]: the layers layer i reads, in order; -1 is the network's input. */
  readonly inputs: readonly (readonly number[])[];
  /** consumers[i]: the layers that read layer i's output, in layer order. */
  readonly consumers: readonly (readonly number[])[];
  /** Whether every layer reads the previous one alone: a Sequential stack. */
  readonly sequential: boolean;
}

/** The network's input, in `Graph.inputs`. */
export const INPUT = -1;

/** How an error names layer i: its position, kind and label. */
export function describeLayer(spec: LayerSpec, i: number): string {
  return `layers[${i}] (${spec.kind}${spec.name === undefined ? '' : ` "${spec.name}"`})`;
}

export function graphError(problem: string, fix: string): PrunelabError {
  return new PrunelabError('E_MODEL_INVALID', problem, { path: 'model', fix });
}

/**
 * Resolves and checks the wiring: unique labels, every input an earlier layer
 * (so the list is in topological order) or 'input', two or more inputs for
 * add and concatenate and one for every other layer, and no output but the
 * last left unread.
 */
export function resolveGraph(arch: Pick<Architecture, 'layers'>): Graph {
  const layers = arch.layers;
  const byName = new Map<string, number>();
  const inputs: number[][] = [];
  const consumers: number[][] = layers.map(() => []);
  let sequential = true;
  layers.forEach((spec, i) => {
    const names = spec.inputs ?? [undefined];
    const merge = spec.kind === 'add' || spec.kind === 'concatenate';
    if (merge ? names.length < 2 : names.length !== 1) {
      throw graphError(
        `${describeLayer(spec, i)} has ${names.length} input${names.length === 1 ? '' : 's'}; ${merge ? `${spec.kind} needs two or more` : 'it reads exactly one'}`,
        merge ? 'List the layers it combines in `inputs`' : 'Give it one input in `inputs`, or none to read the previous layer',
      );
    }
    const resolved = names.map((n): number => {
      if (n === undefined) return i - 1;
      if (n === 'input') return INPUT;
      const j = byName.get(n);
      if (j === undefined) {
        const later = layers.findIndex((l, k) => k > i && l.name === n);
        throw graphError(
          `${describeLayer(spec, i)} reads "${n}", which ${later >= 0 ? `comes later (layers[${later}])` : 'no earlier layer is named'}`,
          later >= 0 ? 'List the layers in topological order: every layer after the layers it reads' : "Name an earlier layer with `name`, or read 'input'",
        );
      }
      return j;
    });
    if (resolved.length !== 1 || resolved[0] !== i - 1) sequential = false;
    inputs.push(resolved);
    for (const j of resolved) if (j !== INPUT) consumers[j]!.push(i);
    if (spec.name !== undefined) {
      if (spec.name === 'input') throw graphError(`${describeLayer(spec, i)} is named "input", which means the network's input`, 'Choose another name');
      const first = byName.get(spec.name);
      if (first !== undefined) throw graphError(`${describeLayer(spec, i)} has the name of layers[${first}]`, 'Give every layer a name of its own');
      byName.set(spec.name, i);
    }
  });
  consumers.forEach((c, i) => {
    if (c.length === 0 && i < layers.length - 1) {
      throw graphError(`the output of ${describeLayer(layers[i]!, i)} is never read`, 'Read it from a later layer, or remove it: the last layer is the network\'s one output');
    }
  });
  return { inputs, consumers, sequential };
}

/**
 * Whether `spec` acts on each channel alone and so extends the unit output of
 * the prunable layer before it (forward.ts explains unit outputs): batch norm,
 * an activation other than softmax, and the carried-along affine (folded batch
 * norm), identity (dropout) and activation layers of imported models.
 */
export function extendsUnitOutput(spec: LayerSpec): boolean {
  if (spec.kind === 'batchnorm') return true;
  if (spec.kind === 'activation') return spec.fn !== 'softmax';
  if (spec.kind !== 'fixed') return false;
  const op = spec.op;
  return op.type === 'identity' || op.type === 'affine' || (op.type === 'activation' && op.fn !== 'softmax');
}

/**
 * The layers that extend layer i's unit output: the run of per-channel layers
 * after it, each the one reader of the layer before. A layer read twice ends
 * the run (its output is shared, so it is no longer the unit's alone).
 */
export function unitChain(graph: Graph, layers: readonly LayerSpec[], i: number): number[] {
  const chain: number[] = [];
  let cur = i;
  for (;;) {
    const next = graph.consumers[cur]!;
    if (next.length !== 1 || !extendsUnitOutput(layers[next[0]!]!)) return chain;
    cur = next[0]!;
    chain.push(cur);
  }
}

/** downstream[j]: whether layer j reads layer i's output, directly or through other layers. */
export function downstreamOf(graph: Graph, i: number): boolean[] {
  const down = graph.inputs.map(() => false);
  for (let j = i + 1; j < down.length; j++) down[j] = graph.inputs[j]!.some((k) => k === i || (k > i && down[k]!));
  return down;
}
