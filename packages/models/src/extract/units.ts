import { fixedOnConstant, fixedParamCount } from '../ops/fixed.js';
import type { LayerSpec } from '../architecture.js';
import type { Net } from '../net.js';
import type { ParamLayer } from '../param-layer.js';

/**
 * Which output units (dense neurons, conv filters) of each prunable layer can
 * be physically removed, shared by extraction and by the effective FLOP count.
 *
 * A unit whose kernel column/filter is all zero outputs the constant act(bias)
 * everywhere (biases are not masked). Removing it is exact when that constant,
 * carried through the layers up to the next prunable layer, can be folded into
 * the next layer's bias: always for a dense next layer, for a 'valid' conv
 * (every output sees the same constant patch), and trivially when the constant
 * is 0. Under zero padding ('same') a nonzero constant is not uniform at the
 * borders, so such a unit is kept. The output layer's units are never removed
 * (they are the class logits). Li et al. 2017, "Pruning Filters for Efficient
 * ConvNets": removing a filter also removes the next layer's matching input channel.
 */
export interface LayerUnits {
  readonly layer: ParamLayer;
  /** Index into arch.layers. */
  readonly index: number;
  /** Output units kept by extraction. */
  readonly keep: boolean[];
  /** For removed units: the constant the next prunable layer sees on that input channel. */
  readonly constant: Float64Array;
  /** The next prunable layer's input row/channel -> this layer's unit (channels-last flatten: row % channels). */
  readonly feeds?: { readonly next: ParamLayer; readonly nextSpec: LayerSpec; readonly channelOf: (input: number) => number };
}

export function analyzeUnits(net: Net): LayerUnits[] {
  const layers = net.arch.layers;
  const entries: Array<{ p: ParamLayer; i: number }> = [];
  layers.forEach((_, i) => {
    const p = net.paramAt(i);
    if (p) entries.push({ p, i });
  });
  return entries.map(({ p, i }, k) => {
    const spec = layers[i]! as LayerSpec & { kind: 'dense' | 'conv2d' };
    const w = p.kernel.dataSync();
    const units = p.kernel.shape.at(-1)!;
    // A layer without a bias (`bias: false`) behaves as one with a zero bias.
    const b = p.bias?.dataSync() ?? new Float32Array(units);
    const dead = new Array<boolean>(units).fill(true);
    for (let j = 0; j < w.length; j++) if (w[j] !== 0) dead[j % units] = false;
    const keep = dead.map((d) => !d);
    const constant = new Float64Array(units);
    const nextEntry = entries[k + 1];
    if (!nextEntry) return { layer: p, index: i, keep: keep.fill(true), constant };
    const between = layers.slice(i + 1, nextEntry.i);
    const nextSpec = layers[nextEntry.i]!;
    // Channels of this layer's output, and how flatten maps the next layer's inputs back onto them.
    let flattenedFromSpatial = false;
    let channelOf = (input: number) => input;
    let shapeRank = spec.kind === 'conv2d' ? 3 : 1;
    for (const s of between) {
      if (s.kind === 'flatten' && shapeRank === 3) {
        flattenedFromSpatial = true;
        channelOf = (input: number) => input % units;
      }
      if (s.kind === 'flatten' || (s.kind === 'fixed' && s.op.type === 'globalPool')) shapeRank = 1;
    }
    for (let u = 0; u < units; u++) {
      if (keep[u]) continue;
      let c: number | undefined = spec.activation === 'relu' ? Math.max(0, b[u]!) : b[u]!;
      for (const s of between) {
        if (c === undefined) break;
        if (s.kind === 'fixed') {
          // A per-channel affine after a spatial flatten would act per position, not per unit.
          if (s.op.type === 'affine' && flattenedFromSpatial && between.indexOf(s) > between.findIndex((q) => q.kind === 'flatten')) c = undefined;
          else c = fixedOnConstant(s.op, c, u);
        }
      }
      const foldable = c !== undefined && (c === 0 || nextSpec.kind === 'dense' || (nextSpec.kind === 'conv2d' && nextSpec.padding === 'valid'));
      if (foldable) constant[u] = c!;
      else keep[u] = true;
    }
    // Never leave a layer with no unit at all: a zero-width layer has no tfjs equivalent.
    if (!keep.some(Boolean)) {
      keep[0] = true;
      constant[0] = 0;
    }
    return { layer: p, index: i, keep, constant, feeds: { next: nextEntry.p, nextSpec, channelOf } };
  });
}

/**
 * Multiply-adds per example counting only nonzero weights that read from a
 * unit that survives extraction: the FLOPs of the physically smaller network
 * under unit pruning, and the nonzero count for unstructured sparsity.
 */
export function effectiveMacs(net: Net, analysis: readonly LayerUnits[] = analyzeUnits(net)): number {
  let total = 0;
  const inputAlive = inputAliveByLayer(analysis);
  for (const a of analysis) {
    const p = a.layer;
    const w = p.kernel.dataSync();
    const [inDim, outDim] = [p.kernel.shape.at(-2)!, p.kernel.shape.at(-1)!];
    const alive = inputAlive.get(p.name);
    let nz = 0;
    for (let j = 0; j < w.length; j++) {
      if (w[j] === 0) continue;
      if (alive && !alive(Math.floor(j / outDim) % inDim)) continue;
      nz++;
    }
    total += nz * p.outPixels;
  }
  return total;
}

/**
 * Parameters of the network `extractArchitecture` builds, with zeros in the
 * prunable kernels not counted: what `nonzero_total` means under every
 * structure. A kernel entry counts when its output unit survives extraction,
 * it reads from a surviving input (a removed unit's outgoing weights are dead:
 * Li et al. 2017) and it is nonzero (entries of `exclude`d layers count even
 * when zero, as the dense total does). A bias counts when its unit survives: a
 * removed unit's constant act(bias) is folded into the next layer's bias,
 * which is counted there. A per-channel affine (folded batch norm) right after
 * a layer keeps only that layer's surviving channels, as extraction does.
 * Without a removed unit this is today's ShrinkBench count: every parameter
 * except the prunable kernels' zeros (Blalock et al. 2020).
 */
export function remainingParams(net: Net, exclude: readonly string[] = [], analysis: readonly LayerUnits[] = analyzeUnits(net)): number {
  const inputAlive = inputAliveByLayer(analysis);
  const byIndex = new Map(analysis.map((a) => [a.index, a]));
  let total = 0;
  let current: LayerUnits | undefined;
  net.arch.layers.forEach((spec, i) => {
    const a = byIndex.get(i);
    if (a) {
      current = a;
      const p = a.layer;
      const w = p.kernel.dataSync();
      const [inDim, outDim] = [p.kernel.shape.at(-2)!, p.kernel.shape.at(-1)!];
      const alive = inputAlive.get(p.name);
      const countZeros = exclude.includes(p.name);
      for (let j = 0; j < w.length; j++) {
        if (!a.keep[j % outDim]) continue;
        if (alive && !alive(Math.floor(j / outDim) % inDim)) continue;
        if (countZeros || w[j] !== 0) total++;
      }
      total += a.keep.filter(Boolean).length;
      return;
    }
    if (spec.kind !== 'fixed') return;
    const keep = affineKeep(spec, current);
    total += keep ? 2 * keep.filter(Boolean).length : fixedParamCount(spec.op);
  });
  return total;
}

/**
 * The channels a per-channel affine (folded batch norm) keeps when it follows
 * `current`'s output directly and some of its units are removed; undefined
 * when it is kept whole. Shared by extraction and the parameter count.
 */
export function affineKeep(spec: LayerSpec, current: LayerUnits | undefined): readonly boolean[] | undefined {
  if (spec.kind !== 'fixed' || spec.op.type !== 'affine' || !current) return undefined;
  if (spec.op.scale.length !== current.keep.length || current.keep.every(Boolean)) return undefined;
  return current.keep;
}

/** For each prunable layer fed by another: whether its input row/channel reads from a surviving unit. */
function inputAliveByLayer(analysis: readonly LayerUnits[]): Map<string, (input: number) => boolean> {
  const inputAlive = new Map<string, (input: number) => boolean>();
  for (const a of analysis) {
    if (a.feeds) {
      const { keep } = a;
      const channelOf = a.feeds.channelOf;
      inputAlive.set(a.feeds.next.name, (input) => keep[channelOf(input)]!);
    }
  }
  return inputAlive;
}
