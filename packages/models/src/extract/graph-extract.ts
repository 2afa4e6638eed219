import type { LayerSpec, NamedArray } from '../architecture.js';
import { BATCH_NORM_ARRAYS, batchNormVariables } from '../batch-norm.js';
import type { Net } from '../net.js';
import type { Extraction } from './extraction.js';
import { analyzeGraphUnits, keptInputs, type GraphUnits } from './graph-units.js';

/**
 * Extraction of a network that uses channel groups (channels.ts): every
 * removed coupled unit disappears from every layer it spans, as DepGraph
 * removes a group (Fang et al. 2023): its owners' kernel columns and bias
 * entries, its depthwise convs' columns, its batch norms' four values, the
 * kernel rows of every layer that reads it (through a flatten, the h*w rows
 * of each channel), its channel range of a concatenation, and, where it met
 * zero padding at an add, the padded channel (the padding's channel counts
 * shrink). The removed channels are exactly zero (graph-units.ts), so the
 * smaller network computes the masked one's function: no constant is folded.
 */
export function extractGraph(net: Net, g: GraphUnits = analyzeGraphUnits(net)): Extraction {
  const weights: NamedArray[] = [];
  const removed: Record<string, number> = {};
  const kept: Record<string, number> = {};
  const channels = new Map<number, readonly boolean[]>();
  const layers = net.arch.layers.map((spec, i): LayerSpec => {
    const out = g.keptEntries[i]!;
    const width = g.map.unitOf[i]!.length;
    const p = net.paramAt(i);
    if (p) {
      removed[p.name] = width - out.length;
      kept[p.name] = out.length;
      const shape = p.kernel.shape;
      const inKeep = keptInputs(net, g, i);
      const kshape = [...shape.slice(0, -2), inKeep.length, out.length];
      weights.push({ name: `${p.name}/kernel`, shape: kshape, data: slice(p.kernel.dataSync(), shape, inKeep, out) });
      if (p.bias) weights.push({ name: `${p.name}/bias`, shape: [out.length], data: pick(p.bias.dataSync(), out) });
      if (spec.kind === 'dense') return { ...spec, units: out.length };
      if (spec.kind === 'conv2d') return { ...spec, filters: out.length };
      return spec;
    }
    const bn = net.normAt(i);
    if (bn) {
      batchNormVariables(bn).forEach((v, k) => weights.push({ name: `${bn.name}/${BATCH_NORM_ARRAYS[k]!}`, shape: [out.length], data: pick(v.dataSync(), out) }));
      if (out.length < width) channels.set(i, keepMask(width, out));
      return spec;
    }
    if (spec.kind === 'fixed' && spec.op.type === 'affine' && out.length < width) {
      const { scale, offset } = spec.op;
      channels.set(i, keepMask(width, out));
      return { ...spec, op: { type: 'affine', scale: out.map((k) => scale[k]!), offset: out.map((k) => offset[k]!) } };
    }
    if (spec.kind === 'zeroPad' && spec.channels) {
      const [before, after] = spec.channels;
      return { ...spec, channels: [out.filter((k) => k < before).length, out.filter((k) => k >= width - after).length] };
    }
    return spec;
  });
  const { initialWeights: _unused, ...rest } = net.arch;
  return { arch: { ...rest, layers }, weights, removed, kept, channels };
}

/** The kernel [..., in, out] restricted to the kept input rows and output columns, in order. */
function slice(w: ArrayLike<number>, shape: readonly number[], inKeep: readonly number[], outKeep: readonly number[]): Float32Array {
  const [inDim, outDim] = [shape.at(-2)!, shape.at(-1)!];
  const spatial = w.length / (inDim * outDim);
  const kernel = new Float32Array(spatial * inKeep.length * outKeep.length);
  let j = 0;
  for (let pos = 0; pos < spatial; pos++) {
    for (const r of inKeep) {
      const base = (pos * inDim + r) * outDim;
      for (const o of outKeep) kernel[j++] = w[base + o]!;
    }
  }
  return kernel;
}

function pick(v: ArrayLike<number>, keep: readonly number[]): Float32Array {
  return Float32Array.from(keep, (k) => v[k]!);
}

function keepMask(n: number, keep: readonly number[]): boolean[] {
  const m = new Array<boolean>(n).fill(false);
  for (const k of keep) m[k] = true;
  return m;
}
