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
export function nmCandidates(
  scores: Float32Array,
  mat: Matrix2D,
  n: number,
  m: number,
  prev: Uint8Array | null,
  out: Uint8Array,
): number {
  const { rows, cols } = mat;
  const rank = new Uint8Array(m);
  const ok = new Uint8Array(m);
  const val = new Float32Array(m);
  let count = 0;
  for (let r0 = 0; r0 < rows; r0 += m) {
    for (let c = 0; c < cols; c++) {
      const base = r0 * cols + c;
      for (let j = 0; j < m; j++) {
        const idx = base + j * cols;
        ok[j] = prev === null ? 1 : prev[idx]! === 0 ? 0 : 1;
        val[j] = scores[idx]!;
      }
      // O(m^2) rank count: m is small (2:4, 4:8, 1:16); it is also branch-light.
      for (let j = 0; j < m; j++) {
        if (ok[j] === 0) continue;
        const x = val[j]!;
        let better = 0;
        for (let q = 0; q < m; q++) {
          if (ok[q] === 0 || q === j) continue;
          const y = val[q]!;
          if (y > x || (y === x && q < j)) better++;
        }
        rank[j] = better;
      }
      for (let j = 0; j < m; j++) {
        const keep = ok[j] === 1 && rank[j]! < n ? 1 : 0;
        out[base + j * cols] = keep;
        count += keep;
      }
    }
  }
  return count;
}
