import type { LayerSpec, NamedArray } from '../architecture.js';
import { Net } from '../net.js';
import { usesChannelGroups } from './channels.js';
import type { Extraction } from './extraction.js';
import { extractGraph } from './graph-extract.js';
import { affineKeep, analyzeUnits, type LayerUnits } from './units.js';

export type { Extraction } from './extraction.js';

/**
 * Physically smaller dense model from a unit-pruned one (Li et al. 2017,
 * "Pruning Filters for Efficient ConvNets"; He et al. 2017 "channel pruning"):
 * every removed neuron/filter disappears together with the next layer's
 * matching input rows (dense), input channels (conv), or, through a flatten,
 * every row h*w*C + c of that channel (channels-last order, as tfjs flattens).
 * A removed unit's constant output act(bias) is folded into the next layer's
 * bias, so the smaller model computes the same function (to float rounding).
 * That is the per-layer path of Sequential stacks of dense and conv layers
 * with biases; every other network (graphs, batch norms, depthwise convs)
 * removes whole coupled units instead (channels.ts, graph-extract.ts).
 */
export function extractArchitecture(net: Net): Extraction {
  // Graphs, batch norms and the layers the per-layer path does not know go through the channel groups (graph-extract.ts).
  if (usesChannelGroups(net.arch)) return extractGraph(net);
  const analysis = analyzeUnits(net);
  const byIndex = new Map(analysis.map((a) => [a.index, a]));
  const feeding = new Map<string, LayerUnits>();
  for (const a of analysis) if (a.feeds) feeding.set(a.feeds.next.name, a);
  const weights: NamedArray[] = [];
  const removed: Record<string, number> = {};
  const kept: Record<string, number> = {};
  const channels = new Map<number, readonly boolean[]>();
  let current: LayerUnits | undefined;
  const layers: LayerSpec[] = net.arch.layers.map((spec, i) => {
    const a = byIndex.get(i);
    if (a) {
      current = a;
      const outKeep = indices(a.keep);
      removed[a.layer.name] = a.keep.length - outKeep.length;
      kept[a.layer.name] = outKeep.length;
      weights.push(...sliceLayer(a, feeding.get(a.layer.name), outKeep));
      // sliceLayer always gives a bias, so a layer built without one gets one (`bias` dropped).
      if (spec.kind === 'dense') return { ...spec, units: outKeep.length, ...(spec.bias === false && { bias: true }) };
      if (spec.kind === 'conv2d') return { ...spec, filters: outKeep.length, ...(spec.bias === false && { bias: true }) };
      return spec;
    }
    // A per-channel affine between two prunable layers loses the removed channels too.
    const keep = affineKeep(spec, current);
    if (keep && spec.kind === 'fixed' && spec.op.type === 'affine') {
      channels.set(i, keep);
      return { ...spec, op: { type: 'affine', scale: spec.op.scale.filter((_, j) => keep[j]), offset: spec.op.offset.filter((_, j) => keep[j]) } };
    }
    return spec;
  });
  const { initialWeights: _unused, ...rest } = net.arch;
  return { arch: { ...rest, layers }, weights, removed, kept, channels };
}

/** The extracted model as a new Net holding the sliced weights (caller disposes). */
export function extractNet(net: Net): { net: Net } & Omit<Extraction, 'weights'> {
  const { weights, ...ex } = extractArchitecture(net);
  const small = new Net({ ...ex.arch, initialWeights: weights }, 0);
  return { net: small, arch: small.arch, removed: ex.removed, kept: ex.kept, channels: ex.channels };
}

function indices(mask: readonly boolean[]): number[] {
  const out: number[] = [];
  mask.forEach((k, i) => k && out.push(i));
  return out;
}

function sliceLayer(a: LayerUnits, prev: LayerUnits | undefined, outKeep: number[]): NamedArray[] {
  const p = a.layer;
  const w = p.kernel.dataSync();
  const shape = p.kernel.shape;
  const outDim = shape.at(-1)!;
  // A layer without a bias (`bias: false`) behaves as one with a zero bias; extraction gives it one (it may receive folded constants).
  const b = p.bias?.dataSync() ?? new Float32Array(outDim);
  const inDim = shape.at(-2)!;
  const spatial = shape.length === 4 ? shape[0]! * shape[1]! : 1;
  const inKeep: number[] = [];
  const bias = Float64Array.from(outKeep, (o) => b[o]!);
  for (let i = 0; i < inDim; i++) {
    const unit = prev ? prev.feeds!.channelOf(i) : i;
    if (!prev || prev.keep[unit]) {
      inKeep.push(i);
      continue;
    }
    // Fold the removed input's constant c: every output o gains c * sum over the kernel window of W[., ., i, o].
    const c = prev.constant[unit]!;
    if (c === 0) continue;
    for (const [k, o] of outKeep.entries()) {
      let s = 0;
      for (let pos = 0; pos < spatial; pos++) s += w[(pos * inDim + i) * outDim + o]!;
      bias[k] = bias[k]! + c * s;
    }
  }
  const kernel = new Float32Array(spatial * inKeep.length * outKeep.length);
  let j = 0;
  for (let pos = 0; pos < spatial; pos++) {
    for (const i of inKeep) {
      for (const o of outKeep) kernel[j++] = w[(pos * inDim + i) * outDim + o]!;
    }
  }
  const kshape = shape.length === 4 ? [shape[0]!, shape[1]!, inKeep.length, outKeep.length] : [inKeep.length, outKeep.length];
  return [
    { name: `${p.name}/kernel`, shape: kshape, data: kernel },
    { name: `${p.name}/bias`, shape: [outKeep.length], data: Float32Array.from(bias) },
  ];
}
