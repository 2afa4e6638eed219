/**
 * Unit (neuron / filter) pruning: a unit is all weights sharing the last index,
 * i.e. a dense layer's output neuron or a conv layer's output filter, kept or
 * removed whole, scored by the reduction of its entries' scores (Li et al. 2017,
 * "Pruning Filters for Efficient ConvNets", ICLR: l1 norm of the filter).
 */
import type { Matrix2D } from './layout.js';
import { contribution, finish, termOf, type Reduce } from './reduce.js';

export function unitScores(scores: Float32Array, mat: Matrix2D, reduce: Reduce): Float64Array {
  const { rows, cols } = mat;
  const acc = new Float64Array(cols);
  const term = termOf(reduce);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c] = acc[c]! + contribution(scores[base + c]!, term);
  }
  for (let c = 0; c < cols; c++) acc[c] = finish(acc[c]!, reduce);
  return acc;
}

/** 1 for units whose entries are all kept in `prev`. */
export function unitAvail(prev: Uint8Array, mat: Matrix2D): Uint8Array {
  const ok = new Uint8Array(mat.cols).fill(1);
  for (let i = 0; i < prev.length; i++) if (prev[i] === 0) ok[i % mat.cols] = 0;
  return ok;
}

export function unitExpand(units: Uint8Array, mat: Matrix2D, out: Uint8Array): void {
  const { rows, cols } = mat;
  for (let r = 0; r < rows; r++) out.set(units, r * cols);
}

/**
 * Divides a layer's unit scores by their L2 norm over the layer (Molchanov et
 * al. 2017, eq. 7: Θ(z) / sqrt(Σ_j Θ(z_j)^2)), in place. A layer whose scores
 * are all zero is left as it is. The order within the layer is unchanged.
 */
export function normalizeLayerL2(scores: Float64Array): void {
  let ss = 0;
  for (let i = 0; i < scores.length; i++) ss += scores[i]! * scores[i]!;
  if (ss === 0) return;
  const inv = 1 / Math.sqrt(ss);
  for (let i = 0; i < scores.length; i++) scores[i] = scores[i]! * inv + 0; // + 0: never -0
}
