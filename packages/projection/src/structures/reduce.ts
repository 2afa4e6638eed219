/**
 * Group score reductions. `l1`, `l2`, `sum` are the user-facing unit reductions
 * (Li et al. 2017, "Pruning Filters for Efficient ConvNets", uses l1); `sumsq` is
 * sum of s^2, used by projectWeights where s = |w| so that a group's score is its
 * share of the Euclidean objective sum w^2. Sums run in float64 and start at +0,
 * so a group score is never -0.
 */
export type Reduce = 'l1' | 'l2' | 'sum' | 'sumsq';

/**
 * What each entry contributes to its group: 0 = s, 1 = |s|, 2 = s^2. The hot
 * loops read this small integer instead of switching on the string per entry.
 */
export type Term = 0 | 1 | 2;

export function termOf(reduce: Reduce): Term {
  return reduce === 'sum' ? 0 : reduce === 'l1' ? 1 : 2;
}

/** One entry's contribution under `term` (see Term). */
export function contribution(s: number, term: Term): number {
  return term === 0 ? s : term === 1 ? Math.abs(s) : s * s;
}

export function finish(acc: number, reduce: Reduce): number {
  return reduce === 'l2' ? Math.sqrt(acc) : acc + 0;
}
