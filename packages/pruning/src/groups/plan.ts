import type { ChannelGroup, ChannelMap, Net } from '@prunelab/models';
import { erkDensities, ProjectionError, type LayerScores, type ProjectionSpec, type Scope } from '@prunelab/projection';

/** A dependency group the projection ranks, under the name its warnings use. */
interface PlannedGroup {
  readonly name: string;
  readonly group: ChannelGroup;
  /** Its prunable layers' names, in layer order. */
  readonly layers: readonly string[];
  /** For each of its layers (index into arch.layers): how many of the layer's output channels are units of the group. */
  readonly channels: ReadonlyMap<number, number>;
}

export interface GroupPlan {
  /** The groups that may lose units, in the map's order. */
  readonly groups: readonly PlannedGroup[];
  /** Prunable layers with no channel in those groups: kept whole, reported as excluded. */
  readonly excluded: ReadonlySet<string>;
  readonly warnings: readonly string[];
}

/**
 * A group's name in the projection's warnings: its layers, abridged for a
 * long residual stream ("conv1+conv3+...+conv19 (10 layers)"); a group of
 * one layer is named after it, so a plain stack reads as before.
 */
function groupName(layers: readonly string[]): string {
  return layers.length <= 3 ? layers.join('+') : `${layers[0]}+${layers[1]}+...+${layers.at(-1)} (${layers.length} layers)`;
}

/**
 * The groups that may be pruned, after `exclude` (a group is kept whole when
 * any of its layers is excluded: its channels cannot go in one layer and stay
 * in another) and after frozen units (the group that holds the classes).
 * The names in exclude and perLayer are checked as project() checks them.
 */
export function projectableGroups(net: Net, map: ChannelMap, scores: readonly LayerScores[], spec: ProjectionSpec): GroupPlan {
  const names = new Set(scores.map((l) => l.name));
  const exclude = new Set(spec.exclude ?? []);
  for (const name of exclude) {
    if (!names.has(name))
      throw new ProjectionError('E_PROJECTION_SCOPE', `exclude names layer "${name}", which is not among the layers`, { layer: name, value: name });
  }
  const perLayer = typeof spec.scope === 'object' ? spec.scope.perLayer : {};
  for (const [name, s] of Object.entries(perLayer)) {
    if (!names.has(name))
      throw new ProjectionError('E_PROJECTION_SCOPE', `perLayer names layer "${name}", which is not among the layers`, { layer: name, value: name });
    if (exclude.has(name))
      throw new ProjectionError('E_PROJECTION_SCOPE', `layer "${name}" is both excluded and given a perLayer sparsity ${String(s)}`, { layer: name, value: s });
  }
  const nameOf = (i: number) => net.paramAt(i)!.name;
  const groups: PlannedGroup[] = [];
  const warnings: string[] = [];
  for (const group of map.groups) {
    const layers = group.layers.map(nameOf);
    if (group.frozen) continue;
    const excludedHere = layers.filter((n) => exclude.has(n));
    if (excludedHere.length > 0) {
      const coupled = layers.filter((n) => !exclude.has(n));
      if (coupled.length > 0) {
        warnings.push(
          `layers ${coupled.join(', ')} kept whole: their channels are coupled with ${excludedHere.join(', ')}, which exclude keeps (one dependency group)`,
        );
        const ignored = coupled.filter((n) => perLayer[n] !== undefined);
        if (ignored.length > 0) warnings.push(`perLayer sparsity of ${ignored.join(', ')} not used: the group is kept whole`);
      }
      continue;
    }
    const channels = new Map<number, number>();
    for (const u of group.units) for (const m of [...map.units[u]!.owners, ...map.units[u]!.depthwise]) channels.set(m.layer, (channels.get(m.layer) ?? 0) + 1);
    groups.push({ name: groupName(layers), group, layers, channels });
  }
  const planned = new Set(groups.flatMap((g) => g.layers));
  return { groups, excluded: new Set(net.params.map((p) => p.name).filter((n) => !planned.has(n))), warnings };
}

/**
 * The run's scope for the groups as layers of units:
 *  - global and layerwise carry over ("layer" reads "group");
 *  - perLayer: a group takes the sparsity given to its layers (the run's
 *    sparsity when none is given); coupled layers given different ones are an
 *    error, since one group has one sparsity;
 *  - erk: a group's density is its layers' ERK densities (Evci et al. 2020,
 *    over every layer of the planned groups) averaged with weights the
 *    entries each layer has in the group, so the kept entries add up as ERK
 *    plans them; it is rounded per group (each to whole units).
 */
export function groupScope(plan: GroupPlan, spec: ProjectionSpec, net: Net): Scope {
  const scope = spec.scope ?? 'global';
  if (scope === 'global' || scope === 'layerwise') return scope;
  if (scope === 'erk') return { perLayer: erkGroups(plan, spec.sparsity, net) };
  const perLayer: Record<string, number> = {};
  for (const g of plan.groups) {
    const given = g.layers.filter((n) => scope.perLayer[n] !== undefined);
    const values = [...new Set(given.map((n) => scope.perLayer[n]!))];
    if (values.length > 1) {
      throw new ProjectionError(
        'E_PROJECTION_SCOPE',
        `perLayer gives the coupled layers ${given.join(', ')} different sparsities (${values.join(', ')}); they are one dependency group and are pruned to one sparsity`,
        {
          layer: given[0]!,
          value: values,
        },
      );
    }
    if (values.length === 1) perLayer[g.name] = values[0]!;
  }
  return { perLayer };
}

function erkGroups(plan: GroupPlan, sparsity: number, net: Net): Record<string, number> {
  const layers = [...new Set(plan.groups.flatMap((g) => g.group.layers))].sort((a, b) => a - b);
  const shapes = layers.map((i) => net.paramAt(i)!.kernel.shape);
  const density = new Map(erkDensities(shapes, sparsity).map((d, k) => [layers[k]!, d]));
  const out: Record<string, number> = {};
  for (const g of plan.groups) {
    let kept = 0;
    let total = 0;
    for (const i of g.group.layers) {
      const shape = net.paramAt(i)!.kernel.shape;
      // The layer's entries in this group: its rows times its channels that are units of the group.
      const entries = (shape.reduce((a, b) => a * b, 1) / shape.at(-1)!) * (g.channels.get(i) ?? 0);
      kept += density.get(i)! * entries;
      total += entries;
    }
    out[g.name] = total === 0 ? sparsity : Math.max(0, 1 - kept / total);
  }
  return out;
}
