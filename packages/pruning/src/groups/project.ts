import { channelMap, usesChannelGroups, type ChannelMap, type Net } from '@prunelab/models';
import { project, ProjectionError, type LayerMask, type LayerScores, type ProjectionSpec, type Structure } from '@prunelab/projection';
import { columnScores, groupScores, type Combine, type MemberReduce } from './scores.js';
import { groupScope, projectableGroups, type GroupPlan } from './plan.js';
import { expandGroups } from './expand.js';
import type { NetProjection } from './net-projection.js';

/**
 * project() for a network: the same projection, except that the unit
 * structure on a network with channel groups (graphs, batch norms, depthwise
 * convs: `usesChannelGroups`) projects per dependency group (DepGraph, Fang
 * et al. 2023; groups from @prunelab/models' channelMap):
 *  1. each coupled unit is scored by combining its members' unit scores
 *     (`structure.reduce` over each member's kernel column, then
 *     `structure.combine` over the members: scores.ts);
 *  2. each group is one layer of units for the projection, so the scopes
 *     keep their meaning with "group" for "layer" (plan.ts): global ranks
 *     every unit of every group, layerwise prunes each group to the
 *     sparsity, perLayer gives a group its members' sparsity, erk its
 *     members' ERK density weighted by their entries, and `normalize:
 *     layer-l2` divides each group's scores by their L2 norm;
 *  3. a kept or removed unit is kept or removed in every member: kernel
 *     columns, biases, batch norms' gamma and beta (expand.ts).
 * A group with an excluded member, or with a frozen unit (the classes), is
 * kept whole. Every other network, and every other structure, goes to
 * project() unchanged, so their masks are exactly what they were.
 */
export function projectNet(net: Net, scores: readonly LayerScores[], spec: ProjectionSpec): NetProjection {
  const structure = spec.structure;
  if (structure?.kind !== 'unit' || !usesChannelGroups(net.arch)) return { ...project(scores, spec), variableMasks: [] };
  return projectGroups(net, scores, spec, structure.reduce, structure.combine ?? 'sum', structure.normalize);
}

/**
 * The channel-group projection with the member reduction given: the unit
 * structure's, or 'sumsq' for the Euclidean projection (weights.ts).
 */
export function projectGroups(
  net: Net,
  scores: readonly LayerScores[],
  spec: ProjectionSpec,
  reduce: MemberReduce,
  combine: Combine,
  normalize: Extract<Structure, { kind: 'unit' }>['normalize'],
): NetProjection {
  const map = channelMap(net.arch);
  const byName = new Map(scores.map((l) => [l.name, l]));
  const index = new Map(net.params.map((p) => [p.name, p.index]));
  for (const l of scores) {
    if (!index.has(l.name)) throw new ProjectionError('E_PROJECTION_SHAPE', `scores for layer "${l.name}", which the network does not have`, { layer: l.name });
  }
  for (const p of net.params) {
    const l = byName.get(p.name);
    if (!l || l.scores.length !== p.kernel.size || l.shape.at(-1) !== p.kernel.shape.at(-1)) {
      throw new ProjectionError(
        'E_PROJECTION_SHAPE',
        `layer "${p.name}": the channel-group projection needs scores of its kernel's shape [${p.kernel.shape.join(', ')}]`,
        { layer: p.name },
      );
    }
  }
  const plan: GroupPlan = projectableGroups(net, map, scores, spec);
  const columns = new Map<number, Float64Array>();
  for (const g of plan.groups) for (const i of g.group.layers) if (!columns.has(i)) columns.set(i, columnScores(byName.get(net.paramAt(i)!.name)!, reduce));
  const synthetic = plan.groups.map((g) => ({ name: g.name, shape: [1, g.group.units.length], scores: groupScores(map, g.group, columns, combine) }));
  const previous = spec.previous && spec.allowRegrowth !== true ? previousUnits(net, map, plan, spec.previous) : undefined;
  const r = project(synthetic, {
    sparsity: spec.sparsity,
    scope: groupScope(plan, spec, net),
    structure: { kind: 'unit', reduce: 'sum', ...(normalize === 'layer-l2' && { normalize }) },
    ...(spec.minDensity !== undefined && { minDensity: spec.minDensity }),
    ...(spec.allowEmptyLayers !== undefined && { allowEmptyLayers: spec.allowEmptyLayers }),
    ...(previous && { previous }),
  });
  const kept = new Uint8Array(map.units.length).fill(1);
  plan.groups.forEach((g, k) => g.group.units.forEach((u, j) => (kept[u] = r.masks[k]!.mask[j]!)));
  return expandGroups(net, map, scores, spec, plan, kept, [...plan.warnings, ...r.warnings], index);
}

/** The groups' units that `previous` kept: a unit is available when every member's kernel column was kept whole. */
function previousUnits(net: Net, map: ChannelMap, plan: GroupPlan, previous: readonly LayerMask[]): LayerMask[] {
  const whole = new Map<number, Uint8Array>();
  for (const m of previous) {
    const p = net.params.find((q) => q.name === m.name);
    if (!p)
      throw new ProjectionError('E_PROJECTION_SCOPE', `previous has a mask for layer "${m.name}", which is not among the layers`, {
        layer: m.name,
        value: m.name,
      });
    if (m.mask.length !== p.kernel.size) {
      throw new ProjectionError('E_PROJECTION_SHAPE', `layer "${m.name}": previous mask has length ${m.mask.length}, expected ${p.kernel.size}`, {
        layer: m.name,
        value: m.mask.length,
      });
    }
    const cols = p.kernel.shape.at(-1)!;
    const ok = new Uint8Array(cols).fill(1);
    for (let j = 0; j < m.mask.length; j++) if (m.mask[j] === 0) ok[j % cols] = 0;
    whole.set(p.index, ok);
  }
  return plan.groups.map((g) => ({
    name: g.name,
    mask: Uint8Array.from(g.group.units, (u) => {
      const unit = map.units[u]!;
      return [...unit.owners, ...unit.depthwise].every((m) => whole.get(m.layer)?.[m.channel] !== 0) ? 1 : 0;
    }),
  }));
}
