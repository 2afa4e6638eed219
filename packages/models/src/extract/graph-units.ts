import type { LayerSpec } from '../architecture.js';
import { INPUT } from '../graph.js';
import type { Net } from '../net.js';
import { fixedOnConstant, fixedParamCount } from '../ops/fixed.js';
import { channelMap, type ChannelMap } from './channels.js';

/**
 * Which coupled units (channels.ts) extraction removes from a network that
 * uses channel groups, shared by extraction and by the counts a curve point
 * reports, so the two cannot disagree.
 *
 * A unit is removed when it has an owner (a dense or conv layer's output
 * channel), is not frozen, and every channel of it, in every layer's output
 * where it appears, is exactly zero for every input. Removing it is then
 * exact: each layer that reads it multiplies zeros, and each add sums them.
 * The unit structure's masks make this so (pruning/groups): they zero the
 * kernel columns and bias entries of its owners and depthwise convs and the
 * gamma and beta of its batch norms, so the masked network equals the
 * extracted one. Nothing is folded, unlike the per-layer path (units.ts),
 * whose removed neurons output a nonzero act(bias): a nonzero constant does
 * not survive a zero-padded conv or a batch norm in inference mode exactly.
 * A channel that stays a nonzero constant (a conv column zeroed by
 * unstructured pruning whose bias or batch norm is not, an imported folded
 * batch norm's offset) keeps its unit, and it is counted.
 *
 * No layer's output is left without channels (a zero-width layer has no
 * tfjs equivalent): where all would go, the first channel's unit stays.
 */
export interface GraphUnits {
  readonly map: ChannelMap;
  /** kept[u]: 1 when extraction keeps unit u. */
  readonly kept: Uint8Array;
  /** keptEntries[i]: the kept entries of the last axis of layer i's output, in order. */
  readonly keptEntries: readonly number[][];
  /** The kept channels of the network's input (all of them). */
  readonly inputEntries: readonly number[];
}

export function analyzeGraphUnits(net: Net, map: ChannelMap = channelMap(net.arch)): GraphUnits {
  const zero = zeroEntries(net, map);
  const kept = new Uint8Array(map.units.length);
  map.units.forEach((u, k) => (kept[k] = u.frozen || u.owners.length === 0 ? 1 : 0));
  map.unitOf.forEach((units, i) => units.forEach((u, k) => zero[i]![k] === 0 && (kept[u] = 1)));
  // Keep a channel of every layer that would lose all; keeping a unit keeps it everywhere, so repeat until none would.
  for (let changed = true; changed; ) {
    changed = false;
    for (const units of map.unitOf) {
      if (units.length > 0 && !units.some((u) => kept[u] === 1)) {
        kept[units[0]!] = 1;
        changed = true;
      }
    }
  }
  const entries = (units: Int32Array) => [...units.keys()].filter((k) => kept[units[k]!] === 1);
  return { map, kept, keptEntries: map.unitOf.map(entries), inputEntries: entries(map.inputUnits) };
}

/** zero[i][k]: 1 when entry k of layer i's output is exactly zero for every input (inference mode), given the weights. */
function zeroEntries(net: Net, map: ChannelMap): Uint8Array[] {
  const zero: Uint8Array[] = [];
  const none = new Uint8Array(map.inputUnits.length);
  net.arch.layers.forEach((spec, i) => {
    const ins = net.graph.inputs[i]!.map((j) => (j === INPUT ? none : zero[j]!));
    zero.push(layerZeros(net, spec, i, ins, map.unitOf[i]!.length));
  });
  return zero;
}

function layerZeros(net: Net, spec: LayerSpec, i: number, ins: readonly Uint8Array[], n: number): Uint8Array {
  const x = ins[0]!;
  const out = new Uint8Array(n);
  switch (spec.kind) {
    case 'dense':
    case 'conv2d':
    case 'depthwiseConv2d': {
      const p = net.paramAt(i)!;
      const w = p.kernel.dataSync();
      const b = p.bias?.dataSync();
      const live = new Uint8Array(n);
      for (let j = 0; j < w.length; j++) if (w[j] !== 0) live[j % n] = 1;
      // relu(0) = 0, so a layer's own activation keeps a zero channel zero; a depthwise channel of a zero input is zero too.
      for (let k = 0; k < n; k++) out[k] = (live[k] === 0 || (spec.kind === 'depthwiseConv2d' && x[k] === 1)) && (b === undefined || b[k] === 0) ? 1 : 0;
      return out;
    }
    case 'batchnorm': {
      const bn = net.normAt(i)!;
      const [gamma, beta, mean] = [bn.gamma.dataSync(), bn.beta.dataSync(), bn.movingMean.dataSync()];
      // gamma (x - mean) / sqrt(var + eps) + beta is zero everywhere when beta is and the first term is.
      for (let k = 0; k < n; k++) out[k] = beta[k] === 0 && (gamma[k] === 0 || (x[k] === 1 && mean[k] === 0)) ? 1 : 0;
      return out;
    }
    case 'activation':
    case 'fixed': {
      const op = spec.kind === 'activation' ? ({ type: 'activation', fn: spec.fn } as const) : spec.op;
      for (let k = 0; k < n; k++) out[k] = x[k] === 1 && fixedOnConstant(op, 0, k) === 0 ? 1 : 0;
      return out;
    }
    case 'maxpool':
    case 'globalAvgPool':
      return x.slice();
    case 'flatten':
      for (let r = 0; r < n; r++) out[r] = x[r % x.length]!;
      return out;
    case 'zeroPad': {
      const [before, after] = spec.channels ?? [0, 0];
      out.fill(1, 0, before);
      out.set(x, before);
      out.fill(1, n - after);
      return out;
    }
    case 'add':
      for (let k = 0; k < n; k++) out[k] = ins.every((t) => t[k] === 1) ? 1 : 0;
      return out;
    case 'concatenate': {
      let o = 0;
      for (const t of ins) {
        out.set(t, o);
        o += t.length;
      }
      return out;
    }
  }
}

/** The kept entries of the tensor a param layer reads (its kernel rows' index along the input axis); a depthwise kernel has one. */
export function keptInputs(net: Net, g: GraphUnits, i: number): readonly number[] {
  if (net.arch.layers[i]!.kind === 'depthwiseConv2d') return [0];
  const j = net.graph.inputs[i]![0]!;
  return j === INPUT ? g.inputEntries : g.keptEntries[j]!;
}

/**
 * Parameters and nonzero multiply-accumulates of the network extraction
 * builds, with zeros in the prunable kernels not counted (entries of
 * `exclude`d layers count even when zero, as the dense total does): kernel
 * entries whose input and output are kept, biases and batch norms (4 values
 * per channel) of kept channels, a carried-along affine's kept channels, and
 * every other carried-along constant.
 */
export function graphCounts(net: Net, exclude: readonly string[], g: GraphUnits = analyzeGraphUnits(net)): { params: number; macs: number } {
  let params = 0;
  let macs = 0;
  net.arch.layers.forEach((spec, i) => {
    const kept = g.keptEntries[i]!;
    const p = net.paramAt(i);
    if (p) {
      const w = p.kernel.dataSync();
      const [inDim, outDim] = [p.kernel.shape.at(-2)!, p.kernel.shape.at(-1)!];
      const rowKept = mark(inDim, keptInputs(net, g, i));
      const colKept = mark(outDim, kept);
      const countZeros = exclude.includes(p.name);
      let nonzero = 0;
      let counted = 0;
      for (let j = 0; j < w.length; j++) {
        if (colKept[j % outDim] === 0 || rowKept[Math.floor(j / outDim) % inDim] === 0) continue;
        if (w[j] !== 0) nonzero++;
        if (countZeros || w[j] !== 0) counted++;
      }
      params += counted + (p.bias ? kept.length : 0);
      macs += nonzero * p.outPixels;
    } else if (spec.kind === 'batchnorm') params += 4 * kept.length;
    else if (spec.kind === 'fixed') params += spec.op.type === 'affine' ? 2 * kept.length : fixedParamCount(spec.op);
  });
  return { params, macs };
}

function mark(n: number, entries: readonly number[]): Uint8Array {
  const m = new Uint8Array(n);
  for (const k of entries) m[k] = 1;
  return m;
}
