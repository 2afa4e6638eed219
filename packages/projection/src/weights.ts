/**
 * Magnitude projection (s_i = 1) and the objective helper.
 *
 * projectWeights is the Euclidean projection onto the (structured) sparse set:
 * argmin ||w - w'||^2 s.t. w' in the set. It keeps the largest |w_i| (the same
 * order as w_i^2, without float32 squaring creating false ties) and scores a
 * block or unit by the sum of w_i^2, which is what dropping it costs. This is the
 * Z-update of ADMM pruning (Zhang et al. 2018, "A Systematic DNN Weight Pruning
 * Framework using Alternating Direction Method of Multipliers", ECCV). For units,
 * `reduce` is therefore ignored: the Euclidean objective fixes the score.
 */
import { ProjectionError } from './errors.js';
import { solve } from './project.js';
import type { LayerWeights, ProjectionResult, ProjectionSpec } from './types.js';
import { validateLayers, validateSpec } from './validate.js';

export interface WeightsProjection extends ProjectionResult {
  /** The projected weights: w where the mask is 1, 0 elsewhere (new arrays). */
  weights: LayerWeights[];
}

export function projectWeights(layers: readonly LayerWeights[], spec: ProjectionSpec): WeightsProjection {
  validateSpec(spec);
  const shaped = layers.map((l) => ({ name: l.name, shape: l.shape, values: l.weights }));
  validateLayers(shaped, spec.structure ?? { kind: 'unstructured' }, 'weights');
  // |w| keeps the exact order of w^2 (float32 w^2 could round distinct values together).
  const abs = shaped.map((l) => {
    const a = new Float32Array(l.values.length);
    for (let i = 0; i < a.length; i++) a[i] = Math.abs(l.values[i]!);
    return { ...l, values: a };
  });
  const result = solve(abs, spec, 'weights', 'sumsq');
  const weights = layers.map((l, i) => {
    const mask = result.masks[i]!.mask;
    const w = new Float32Array(l.weights.length);
    for (let j = 0; j < w.length; j++) w[j] = mask[j] === 1 ? l.weights[j]! : 0;
    return { name: l.name, shape: l.shape, weights: w };
  });
  return { ...result, weights };
}

/**
 * s_i * w_i^2: the cost of removing entry i from sum_i s_i (w_i - w'_i)^2, i.e. the
 * importance that project() ranks by. Computed in float64, stored as float32.
 */
export function objectiveImportance(weights: Float32Array, s: Float32Array | number): Float32Array {
  if (typeof s !== 'number' && s.length !== weights.length)
    throw new ProjectionError('E_PROJECTION_SHAPE', `objectiveImportance: s has ${s.length} entries, weights ${weights.length}`, { value: s.length });
  const out = new Float32Array(weights.length);
  for (let i = 0; i < out.length; i++) {
    const w = weights[i]!;
    out[i] = (typeof s === 'number' ? s : s[i]!) * w * w;
  }
  return out;
}
