/**
 * N:M semi-structured sparsity (Zhou et al. 2021, "Learning N:M Fine-grained
 * Structured Sparse Neural Networks From Scratch", ICLR; Mishra et al. 2021,
 * NVIDIA "Accelerating Sparse Deep Neural Networks", the 2:4 pattern of Ampere
 * sparse tensor cores).
 *
 * A group is m consecutive weights along the INPUT dimension for one output
 * (and one kernel position for conv). At most n per group may be kept, so the
 * only candidates are each group's n best entries; any budget up to the
 * candidate count is then met exactly by ranking the candidates (the
 * constraint is a partition matroid, so greedy on candidates is optimal).
 */
import type { Matrix2D } from './layout.js';

/**
 * Marks each group's top-n entries (score desc, lower index first) in `out`,
 * among the entries `prev` allows (all when null). Returns the candidate count.
 * `out` may be the same array as `prev` (each group reads its entries before writing them).
 */
export function nmCandidates(scores: Float32Array, mat: Matrix2D, n: number, m: number, prev: Uint8Array | null, out: Uint8Array): number {
  return m === 4 ? candidates4(scores, mat, n, prev, out) : candidatesM(scores, mat, n, m, prev, out);
}

/**
 * Any m: rank = the number of group members that beat the entry (a higher score,
 * or an equal one at a lower index); keep rank < n. O(m^2) per group, branch-free
 * comparisons (random scores would mispredict half of them). Entries `prev`
 * removed take -Infinity (scores are finite, so they lose every comparison) and
 * are never kept.
 */
function candidatesM(scores: Float32Array, mat: Matrix2D, n: number, m: number, prev: Uint8Array | null, out: Uint8Array): number {
  const { rows, cols } = mat;
  const val = new Float64Array(m);
  let count = 0;
  for (let r0 = 0; r0 < rows; r0 += m) {
    for (let c = 0; c < cols; c++) {
      const base = r0 * cols + c;
      for (let j = 0; j < m; j++) {
        const idx = base + j * cols;
        val[j] = prev !== null && prev[idx] === 0 ? -Infinity : scores[idx]!;
      }
      for (let j = 0; j < m; j++) {
        const x = val[j]!;
        let better = 0;
        for (let q = 0; q < j; q++) better += +(val[q]! >= x);
        for (let q = j + 1; q < m; q++) better += +(val[q]! > x);
        const keep = +(x !== -Infinity) & +(better < n);
        out[base + j * cols] = keep;
        count += keep;
      }
    }
  }
  return count;
}

/**
 * m = 4 (the 2:4 of sparse tensor cores, and 1:4, 3:4) unrolled: six pairwise
 * comparisons per group held in locals, no scratch arrays; about 6x faster than
 * the general loop. c_ij = 1 when entry j (j > i) beats entry i, i.e. is strictly
 * greater, so an equal score goes to the lower index.
 */
function candidates4(scores: Float32Array, mat: Matrix2D, n: number, prev: Uint8Array | null, out: Uint8Array): number {
  const { rows, cols } = mat;
  let count = 0;
  for (let r0 = 0; r0 < rows; r0 += 4) {
    const o0 = r0 * cols;
    const o1 = o0 + cols;
    const o2 = o1 + cols;
    const o3 = o2 + cols;
    for (let c = 0; c < cols; c++) {
      let a0 = 1;
      let a1 = 1;
      let a2 = 1;
      let a3 = 1;
      if (prev !== null) {
        a0 = +(prev[o0 + c] !== 0);
        a1 = +(prev[o1 + c] !== 0);
        a2 = +(prev[o2 + c] !== 0);
        a3 = +(prev[o3 + c] !== 0);
      }
      const v0 = a0 === 1 ? scores[o0 + c]! : -Infinity;
      const v1 = a1 === 1 ? scores[o1 + c]! : -Infinity;
      const v2 = a2 === 1 ? scores[o2 + c]! : -Infinity;
      const v3 = a3 === 1 ? scores[o3 + c]! : -Infinity;
      const c01 = +(v1 > v0);
      const c02 = +(v2 > v0);
      const c03 = +(v3 > v0);
      const c12 = +(v2 > v1);
      const c13 = +(v3 > v1);
      const c23 = +(v3 > v2);
      const k0 = a0 & +(c01 + c02 + c03 < n);
      const k1 = a1 & +(1 - c01 + c12 + c13 < n);
      const k2 = a2 & +(2 - c02 - c12 + c23 < n);
      const k3 = a3 & +(3 - c03 - c13 - c23 < n);
      out[o0 + c] = k0;
      out[o1 + c] = k1;
      out[o2 + c] = k2;
      out[o3 + c] = k3;
      count += k0 + k1 + k2 + k3;
    }
  }
  return count;
}
