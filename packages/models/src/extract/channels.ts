import type { Architecture, LayerSpec } from '../architecture.js';
import { architectureShapes } from '../geometry.js';
import { INPUT, resolveGraph } from '../graph.js';
import { isParamKind } from '../names.js';

/**
 * Which channels of a network must be removed together: the dependency
 * groups of DepGraph (Fang et al. 2023, "DepGraph: Towards Any Structural
 * Pruning", CVPR; Torch-Pruning's dependency.py), traced from the
 * architecture alone (no weights).
 *
 * Every entry of the last axis of every layer's output (a channel of an
 * [h, w, c] map, an entry of a flat vector) belongs to one coupled unit: the
 * set of channels that are removed together, or not at all. The rules:
 *  - a dense or conv layer creates one unit per output channel (its kernel
 *    column and bias entry: the unit's *owner*);
 *  - a batch norm's channel, and a depthwise conv's channel (it has no
 *    channel choice of its own: channel c reads input channel c), join the
 *    unit of the channel they read, with gamma, beta and the running
 *    statistics, or the depthwise kernel column and bias;
 *  - activations, pooling, global average pooling and the carried-along
 *    per-channel layers of imported models pass units through unchanged;
 *  - an `add` joins the units that meet at each channel index: the producers
 *    of all its inputs, transitively through the layers above, are pruned
 *    together (a residual stream is one group);
 *  - a concatenation lays its inputs' units side by side, so a producer owns
 *    a channel range of the concatenated output;
 *  - flatten maps a dense input row r of an [h, w, c] map to channel r % c
 *    (channels last, as tfjs flattens): a channel is h*w rows;
 *  - zero padding along the channels adds constant-zero channels that belong
 *    to no layer, shifting the indices of the channels after them; an add
 *    joins such a channel to the unit it meets;
 *  - a softmax mixes the channels, so what it reads and what it writes are
 *    frozen.
 * Frozen units are never removed: the network's output entries (the
 * classes), the network's input channels, anything a softmax mixes, and
 * every unit an add couples to one of those.
 *
 * A *group* is what a channel-pruning decision ranks together: the owned
 * units that share an owner layer, closed transitively (a residual stream
 * with all the convs that write into it; a single conv with its batch norm
 * in a plain stack). Batch norms and depthwise convs do not join groups to
 * each other: after a concatenation they follow each input's group.
 */
export interface ChannelRef {
  /** Index into arch.layers. */
  readonly layer: number;
  readonly channel: number;
}

export interface CoupledUnit {
  /** Output channels of dense and conv layers: the kernel columns and bias entries that create the unit. */
  readonly owners: readonly ChannelRef[];
  /** Channels of depthwise convs that follow the unit (kernel column and bias entry). */
  readonly depthwise: readonly ChannelRef[];
  /** Channels of batch norms that follow the unit (gamma, beta, running mean and variance). */
  readonly norms: readonly ChannelRef[];
  /** Never removed (see above). */
  readonly frozen: boolean;
}

export interface ChannelGroup {
  /** The prunable layers (owners and depthwise convs) with a channel in the group, as indices into arch.layers, in layer order. */
  readonly layers: readonly number[];
  /** The group's units (indices into ChannelMap.units), ordered by their first owner (layer, channel). */
  readonly units: readonly number[];
  /** Whether one of its units is frozen: the group is then never pruned. */
  readonly frozen: boolean;
}

export interface ChannelMap {
  readonly units: readonly CoupledUnit[];
  /** The groups, in the order of their first layer. Units without an owner (zero padding, the input's channels) are in none. */
  readonly groups: readonly ChannelGroup[];
  /** unitOf[i][k]: the unit of entry k of the last axis of layer i's output. */
  readonly unitOf: readonly Int32Array[];
  /** The units of the network input's channels (all frozen). */
  readonly inputUnits: Int32Array;
  /** groupOf[u]: the group of unit u, or -1 for a unit without an owner. */
  readonly groupOf: Int32Array;
}

/** Union-find over channel elements (Tarjan 1975), each carrying the members attached to it. */
class Elements {
  private readonly parent: number[] = [];
  private readonly frozenAt: boolean[] = [];
  readonly owners: ChannelRef[][] = [];
  readonly depthwise: ChannelRef[][] = [];
  readonly norms: ChannelRef[][] = [];

  fresh(n: number, frozen = false): number[] {
    return Array.from({ length: n }, () => {
      const e = this.parent.length;
      this.parent.push(e);
      this.frozenAt.push(frozen);
      this.owners.push([]);
      this.depthwise.push([]);
      this.norms.push([]);
      return e;
    });
  }

  find(e: number): number {
    let r = e;
    while (this.parent[r] !== r) r = this.parent[r]!;
    // Path compression: point every element on the way at the root.
    for (let x = e; this.parent[x] !== r; ) {
      const next = this.parent[x]!;
      this.parent[x] = r;
      x = next;
    }
    return r;
  }

  union(a: number, b: number): void {
    const [ra, rb] = [this.find(a), this.find(b)];
    if (ra === rb) return;
    // The lower element stays the root, so the result does not depend on the order of the unions.
    const [root, child] = ra < rb ? [ra, rb] : [rb, ra];
    this.parent[child] = root;
    this.frozenAt[root] = this.frozenAt[root]! || this.frozenAt[child]!;
  }

  freeze(e: number): void {
    this.frozenAt[this.find(e)] = true;
  }

  frozen(root: number): boolean {
    return this.frozenAt[root]!;
  }

  get size(): number {
    return this.parent.length;
  }
}

/** Whether a layer mixes the channels it reads (a softmax over them), so none of them can be removed. */
function mixesChannels(spec: LayerSpec): boolean {
  return (spec.kind === 'activation' && spec.fn === 'softmax') || (spec.kind === 'fixed' && spec.op.type === 'activation' && spec.op.fn === 'softmax');
}

/** Traces the coupled units and groups of an architecture (see above). */
export function channelMap(arch: Pick<Architecture, 'inputShape' | 'layers'>): ChannelMap {
  const shapes = architectureShapes(arch);
  const graph = shapes.graph;
  const el = new Elements();
  const input = el.fresh(arch.inputShape.at(-1)!, true);
  const out: number[][] = [];
  arch.layers.forEach((spec, i) => {
    const ins = graph.inputs[i]!.map((j) => (j === INPUT ? input : out[j]!));
    const inShape = graph.inputs[i]![0] === INPUT ? arch.inputShape : shapes.layers[graph.inputs[i]![0]!]!.out;
    const x = ins[0]!;
    const width = shapes.layers[i]!.out.at(-1)!;
    switch (spec.kind) {
      case 'dense':
      case 'conv2d': {
        const o = el.fresh(width);
        o.forEach((e, k) => el.owners[e]!.push({ layer: i, channel: k }));
        out.push(o);
        return;
      }
      case 'depthwiseConv2d':
        // Attached to the element the channel reads; merged by root at the end.
        x.forEach((e, k) => el.depthwise[e]!.push({ layer: i, channel: k }));
        out.push(x);
        return;
      case 'batchnorm':
        x.forEach((e, k) => el.norms[e]!.push({ layer: i, channel: k }));
        out.push(x);
        return;
      case 'flatten': {
        const c = inShape.at(-1)!;
        out.push(inShape.length === 1 ? x : Array.from({ length: width }, (_, r) => x[r % c]!));
        return;
      }
      case 'zeroPad': {
        const [before, after] = spec.channels ?? [0, 0];
        out.push([...el.fresh(before), ...x, ...el.fresh(after)]);
        return;
      }
      case 'add':
        for (const other of ins.slice(1)) other.forEach((e, k) => el.union(x[k]!, e));
        out.push(x);
        return;
      case 'concatenate':
        out.push(ins.flat());
        return;
      default:
        if (mixesChannels(spec)) {
          for (const e of x) el.freeze(e);
          out.push(el.fresh(width, true));
        } else out.push(x);
    }
  });
  // The last layer's output entries are the classes.
  for (const e of out.at(-1) ?? []) el.freeze(e);
  return collect(arch, el, out, input);
}

/** Numbers the roots as units, merges their members and forms the groups. */
function collect(arch: Pick<Architecture, 'layers'>, el: Elements, out: readonly number[][], input: readonly number[]): ChannelMap {
  const unitOfRoot = new Int32Array(el.size).fill(-1);
  const units: Array<{ owners: ChannelRef[]; depthwise: ChannelRef[]; norms: ChannelRef[]; frozen: boolean }> = [];
  const unitOf = (e: number): number => {
    const r = el.find(e);
    if (unitOfRoot[r] === -1) {
      unitOfRoot[r] = units.length;
      units.push({ owners: [], depthwise: [], norms: [], frozen: el.frozen(r) });
    }
    return unitOfRoot[r]!;
  };
  const tensors = out.map((o) => Int32Array.from(o, unitOf));
  const inputUnits = Int32Array.from(input, unitOf);
  for (let e = 0; e < el.size; e++) {
    if (el.owners[e]!.length + el.depthwise[e]!.length + el.norms[e]!.length === 0) continue;
    const u = units[unitOf(e)]!;
    u.owners.push(...el.owners[e]!);
    u.depthwise.push(...el.depthwise[e]!);
    u.norms.push(...el.norms[e]!);
  }
  const byPosition = (a: ChannelRef, b: ChannelRef) => a.layer - b.layer || a.channel - b.channel;
  for (const u of units) {
    u.owners.sort(byPosition);
    u.depthwise.sort(byPosition);
    u.norms.sort(byPosition);
  }
  return { units, unitOf: tensors, inputUnits, ...groupsOf(arch, units) };
}

/** Owned units that share an owner layer form one group, transitively. */
function groupsOf(arch: Pick<Architecture, 'layers'>, units: readonly CoupledUnit[]): { groups: ChannelGroup[]; groupOf: Int32Array } {
  const layerSets = new Elements();
  const node = layerSets.fresh(arch.layers.length);
  for (const u of units) {
    const first = u.owners[0];
    if (first) for (const o of u.owners) layerSets.union(node[first.layer]!, node[o.layer]!);
  }
  const groupOfRoot = new Map<number, number>();
  const members: Array<{ layers: Set<number>; units: number[]; frozen: boolean; first: ChannelRef }> = [];
  const groupOf = new Int32Array(units.length).fill(-1);
  units.forEach((u, k) => {
    const first = u.owners[0];
    if (!first) return;
    const root = layerSets.find(node[first.layer]!);
    let g = groupOfRoot.get(root);
    if (g === undefined) {
      g = members.length;
      groupOfRoot.set(root, g);
      members.push({ layers: new Set(), units: [], frozen: false, first });
    }
    const m = members[g]!;
    for (const r of [...u.owners, ...u.depthwise]) m.layers.add(r.layer);
    m.units.push(k);
    m.frozen ||= u.frozen;
    groupOf[k] = g;
  });
  const first = (k: number) => units[k]!.owners[0]!;
  const ordered = members
    .map((m, g) => ({ g, m }))
    .sort((a, b) => a.m.first.layer - b.m.first.layer || a.m.first.channel - b.m.first.channel);
  const renumber = new Int32Array(members.length);
  ordered.forEach(({ g }, k) => (renumber[g] = k));
  for (let k = 0; k < groupOf.length; k++) if (groupOf[k]! >= 0) groupOf[k] = renumber[groupOf[k]!]!;
  const groups = ordered.map(({ m }) => ({
    layers: [...m.layers].filter((i) => isParamKind(arch.layers[i]!)).sort((a, b) => a - b),
    units: m.units.sort((a, b) => first(a).layer - first(b).layer || first(a).channel - first(b).channel),
    frozen: m.frozen,
  }));
  return { groups, groupOf };
}

/**
 * Whether unit pruning of this architecture goes through the dependency
 * groups above (and the masks reach biases and batch norms) rather than the
 * per-layer path of extract/units.ts: every network except a Sequential
 * stack of dense and conv layers with biases, max pooling, flatten and
 * carried-along layers. That path is the one prunelab had before graphs
 * existed; those networks keep it, so their masks, counts and results stay
 * exactly as they were.
 */
export function usesChannelGroups(arch: Pick<Architecture, 'layers'>): boolean {
  const plain = arch.layers.every((l) => ((l.kind === 'dense' || l.kind === 'conv2d') && l.bias !== false) || l.kind === 'maxpool' || l.kind === 'flatten' || l.kind === 'fixed');
  return !(plain && resolveGraph(arch).sequential);
}
