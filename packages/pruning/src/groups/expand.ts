import type { ChannelMap, Net } from '@prunelab/models';
import { keepCount, type LayerMask, type LayerReport, type LayerScores, type ProjectionSpec } from '@prunelab/projection';
import type { GroupPlan } from './plan.js';
import type { NetProjection } from './net-projection.js';

/**
 * The groups' kept units as masks of every variable they span, and the
 * projection's report in layer terms. A removed unit zeroes, in each member,
 * the kernel column and bias entry of its owners and depthwise convs and the
 * gamma and beta of its batch norms, so the channel is exactly zero wherever
 * it appears (extract/graph-units.ts removes it then). The next layers'
 * kernel rows that read it are left as they are: they multiply zeros, and
 * extraction and the counts drop them (Li et al. 2017).
 */
export function expandGroups(
  net: Net,
  map: ChannelMap,
  scores: readonly LayerScores[],
  spec: ProjectionSpec,
  plan: GroupPlan,
  kept: Uint8Array,
  warnings: readonly string[],
  index: ReadonlyMap<string, number>,
): NetProjection {
  const channelKept = (i: number) => Uint8Array.from(map.unitOf[i]!, (u) => kept[u]!);
  const masks: LayerMask[] = [];
  const perLayer: Record<string, number> = {};
  const layers: Record<string, LayerReport> = {};
  let prunable = 0;
  let keptEntries = 0;
  let requestedBudget = 0;
  const scope = spec.scope ?? 'global';
  for (const l of scores) {
    const i = index.get(l.name)!;
    const cols = channelKept(i);
    const n = l.scores.length;
    const mask = new Uint8Array(n);
    for (let j = 0; j < n; j++) mask[j] = cols[j % cols.length]!;
    masks.push({ name: l.name, mask });
    if (plan.excluded.has(l.name)) {
      perLayer[l.name] = 0;
      continue;
    }
    const keptCols = cols.reduce((a, b) => a + b, 0);
    const unitSize = n / cols.length;
    const keptHere = keptCols * unitSize;
    prunable += n;
    keptEntries += keptHere;
    if (scope === 'layerwise') requestedBudget += keepCount(spec.sparsity, n);
    else if (typeof scope === 'object') requestedBudget += keepCount(scope.perLayer[l.name] ?? spec.sparsity, n);
    perLayer[l.name] = 1 - keptHere / n;
    layers[l.name] = { total: n, kept: keptHere, sparsity: 1 - keptHere / n, units: cols.length, keptUnits: keptCols, unitSize };
  }
  if (scope === 'global' || scope === 'erk') requestedBudget = keepCount(spec.sparsity, prunable);
  return {
    masks,
    variableMasks: variableMasks(net, channelKept),
    achieved: { overall: prunable === 0 ? 0 : 1 - keptEntries / prunable, perLayer },
    kept: keptEntries,
    budget: keptEntries,
    requestedBudget,
    prunable,
    layers,
    excluded: scores.map((l) => l.name).filter((n) => plan.excluded.has(n)),
    warnings: [...warnings],
  };
}

/** Bias masks of layers that lose a channel, and gamma and beta masks of the batch norms that do, in layer order. */
function variableMasks(net: Net, channelKept: (i: number) => Uint8Array): LayerMask[] {
  const out: LayerMask[] = [];
  net.arch.layers.forEach((_, i) => {
    const p = net.paramAt(i);
    const bn = net.normAt(i);
    if (!(p?.bias || bn)) return;
    const keep = channelKept(i);
    if (keep.every((k) => k === 1)) return;
    if (p?.bias) out.push({ name: `${p.name}/bias`, mask: keep });
    if (bn) out.push({ name: `${bn.name}/gamma`, mask: keep }, { name: `${bn.name}/beta`, mask: keep.slice() });
  });
  return out;
}
