/**
 * Summary statistics over seeds. Sample standard deviation (n - 1), Student-t
 * 95% interval, intersected with the metric's range when one is given: with
 * two seeds t = 12.7, and an accuracy interval of [-46%, 119%] says nothing the
 * clipped [0%, 100%] does not (clipping to the parameter space never lowers
 * coverage).
 *
 * One value has no spread: its std and interval are null rather than 0 and
 * [x, x], which would read as "measured, and exact". Two values give an
 * interval (t(0.975, 1) = 12.71, so ±9.0 std around the mean) that is
 * flagged `ciUninformative`, and every output marks it.
 */
export interface Summary {
  readonly mean: number;
  /** Sample standard deviation; null for one value. */
  readonly std: number | null;
  readonly n: number;
  /** Student-t 95% interval of the mean, clipped to the metric's range; null for one value. */
  readonly ci95: readonly [number, number] | null;
  /** True for n = 2, where the interval is mean ± 12.71 · std / √2 and says almost nothing. */
  readonly ciUninformative: boolean;
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom.
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(dof: number): number {
  if (dof <= 0) return Number.NaN;
  return dof <= 30 ? T975[dof - 1]! : 1.96;
}

/** The sample size below which an interval is flagged: with 2 values t(0.975, 1) = 12.71. */
export const INFORMATIVE_N = 3;

/** The values a metric can take, for clipping intervals: [lowest, highest]. */
export type Range = readonly [number, number];

export function summarize(values: readonly number[], range: Range = [-Infinity, Infinity]): Summary {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: null, n, ci95: null, ciUninformative: false };
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = (tQuantile975(n - 1) * std) / Math.sqrt(n);
  return { mean, std, n, ci95: [Math.max(range[0], mean - half), Math.min(range[1], mean + half)], ciUninformative: n < INFORMATIVE_N };
}
