/**
 * Group score reductions. `l1`, `l2`, `sum` are the user-facing unit reductions
 * (Li et al. 2017, "Pruning Filters for Efficient ConvNets", uses l1); `sumsq` is
 * sum of s^2, used by projectWeights where s = |w| so that a group's score is its
 * share of the Euclidean objective sum w^2. Sums run in float64 and start at +0,
 * so a group score is never -0.
 */
export type Reduce = 'l1' | 'l2' | 'sum' | 'sumsq';

export function accumulate(acc: number, s: number, reduce: Reduce): number {
  switch (reduce) {
    case 'l1':
      return acc + Math.abs(s);
    case 'sum':
      return acc + s;
    default:
      return acc + s * s;
  }
}

export function finish(acc: number, reduce: Reduce): number {
  return reduce === 'l2' ? Math.sqrt(acc) : acc + 0;
}
