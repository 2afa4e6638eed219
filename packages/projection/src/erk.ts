/**
 * Erdős–Rényi-Kernel layer densities, as in RigL (Evci et al. 2020, "Rigging the
 * Lottery: Making All Tickets Winners", ICML; reference code:
 * google-research/rigl `sparse_utils.get_sparsities`, erk_power_scale = 1).
 *
 * A layer's density is proportional to sum(shape) / prod(shape): for a dense
 * [in, out] layer (in + out) / (in * out), for a conv [kh, kw, in, out] layer
 * (kh + kw + in + out) / (kh * kw * in * out). The factor eps is chosen so that
 * sum_l density_l * n_l = (1 - sparsity) * sum_l n_l. A layer whose density would
 * exceed 1 is made dense and eps is solved again over the others, exactly as the
 * reference does (the layers with the largest raw probability go first).
 */
export function erkDensities(shapes: readonly (readonly number[])[], sparsity: number): number[] {
  const n = shapes.map((s) => s.reduce((p, d) => p * d, 1));
  const raw = shapes.map((s, i) => s.reduce((p, d) => p + d, 0) / n[i]!);
  const dense = new Set<number>();
  let eps = 0;
  for (;;) {
    let divisor = 0;
    let rhs = 0;
    let maxRaw = -Infinity;
    for (let i = 0; i < shapes.length; i++) {
      if (dense.has(i)) rhs -= n[i]! * sparsity;
      else {
        rhs += n[i]! * (1 - sparsity);
        divisor += raw[i]! * n[i]!;
        maxRaw = Math.max(maxRaw, raw[i]!);
      }
    }
    if (divisor === 0) break;
    eps = rhs / divisor;
    if (maxRaw * eps > 1) {
      for (let i = 0; i < shapes.length; i++) if (!dense.has(i) && raw[i] === maxRaw) dense.add(i);
    } else break;
  }
  return shapes.map((_, i) => (dense.has(i) ? 1 : Math.min(1, eps * raw[i]!)));
}
