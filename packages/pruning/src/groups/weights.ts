import { usesChannelGroups, type Net } from '@prunelab/models';
import { projectWeights, type LayerMask, type LayerWeights, type ProjectionSpec, type WeightsProjection } from '@prunelab/projection';
import type { NetProjection } from './net-projection.js';
import { projectGroups } from './project.js';

export interface NetWeightsProjection extends WeightsProjection, NetProjection {}

/**
 * projectWeights() for a network: the Euclidean projection onto the sparse
 * set (ADMM's Z-step, Zhang et al. 2018). Under the unit structure on a
 * network with channel groups the set is that of whole coupled units, and
 * the projection keeps the units whose kernel entries have the largest sum of
 * squares over all their members (what removing the unit costs in
 * ||W - Z||^2), so it is projectNet's grouping with each member's column
 * reduced to its sum of squares and the members summed, never normalised.
 */
export function projectNetWeights(net: Net, layers: readonly LayerWeights[], spec: ProjectionSpec): NetWeightsProjection {
  if (spec.structure?.kind !== 'unit' || !usesChannelGroups(net.arch)) return { ...projectWeights(layers, spec), variableMasks: [] };
  const r = projectGroups(
    net,
    layers.map((l) => ({ name: l.name, shape: l.shape, scores: l.weights })),
    spec,
    'sumsq',
    'sum',
    undefined,
  );
  const weights = layers.map((l, i) => {
    const mask = r.masks[i]!.mask;
    return { name: l.name, shape: l.shape, weights: l.weights.map((w, j) => (mask[j] === 1 ? w : 0)) };
  });
  return { ...r, weights };
}

/** Every mask of a projection: the kernels', then the biases' and batch norms' (what pruneAndFinetune applies and holds). */
export function allMasks(r: NetProjection): LayerMask[] {
  return [...r.masks, ...r.variableMasks];
}
