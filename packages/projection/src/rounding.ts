/**
 * Budget rounding. One rule everywhere, so the count is never a surprise:
 *
 *   budget = round((1 - sparsity) * units), halves rounded up (away from zero)
 *
 * evaluated in double precision with a relative tolerance of 1e-12, so a decimal
 * sparsity that is a half-way case on paper is one in the code too
 * (0.7 * 15 = 10.499999999999998 in doubles; here it rounds to 11 like 10.5).
 */
export function roundHalfUp(x: number): number {
  return Math.floor(x + 0.5 + 1e-12 * Math.max(1, Math.abs(x)));
}

/** Units to keep out of `units` at `sparsity`, by the rule above, clamped to [0, units]. */
export function keepCount(sparsity: number, units: number): number {
  return Math.min(units, Math.max(0, roundHalfUp((1 - sparsity) * units)));
}

/** Ceil with the same tolerance: the smallest count whose density reaches `density`. */
export function ceilTolerant(x: number): number {
  return Math.ceil(x - 1e-12 * Math.max(1, Math.abs(x)));
}

/**
 * Largest-remainder (Hamilton) apportionment: integers c_i with c_i <= caps_i,
 * sum c_i = total, each c_i = floor(targets_i) or one more. Remainders are
 * handed out by fractional part descending, ties to the lower index, so the
 * split is deterministic. Used by ERK so that the per-layer budgets add up to
 * the overall budget exactly.
 */
export function apportion(targets: readonly number[], caps: readonly number[], total: number): number[] {
  const counts = targets.map((x, i) => Math.min(caps[i]!, Math.max(0, Math.floor(x))));
  let rest = total - counts.reduce((s, c) => s + c, 0);
  const order = targets.map((x, i) => ({ i, frac: x - Math.floor(x) })).sort((a, b) => b.frac - a.frac || a.i - b.i);
  // Several sweeps only when caps bite (a layer already full passes its turn on).
  while (rest > 0) {
    let progressed = false;
    for (const { i } of order) {
      if (rest === 0) break;
      if (counts[i]! < caps[i]!) {
        counts[i] = counts[i]! + 1;
        rest--;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  while (rest < 0) {
    // Only reachable if targets exceed the total; take back from the smallest remainders.
    let progressed = false;
    for (let j = order.length - 1; j >= 0 && rest < 0; j--) {
      const i = order[j]!.i;
      if (counts[i]! > 0) {
        counts[i] = counts[i]! - 1;
        rest++;
        progressed = true;
      }
    }
    if (!progressed) break;
  }
  return counts;
}
