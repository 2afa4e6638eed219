import type { CurvePointRow } from '@prunelab/store';

export type Metric = 'accuracy' | 'loss' | 'robust_accuracy';
export const METRICS: readonly Metric[] = ['accuracy', 'robust_accuracy', 'loss'];

/** Fields that can name a strategy (a row of the comparison). */
export type StrategyField = 'scorer' | 'structure' | 'scope' | 'schedule' | 'model' | 'dataset';
export const STRATEGY_FIELDS: readonly StrategyField[] = ['scorer', 'structure', 'scope', 'schedule', 'model', 'dataset'];

export const higherIsBetter = (metric: Metric): boolean => metric !== 'loss';

/**
 * One evaluated operating point of a run as results read it (the dense model
 * at 0, then each target): a CurvePointRow of the store with the value of the
 * metric being compared. Fields are named after the columns they come from
 * (`perLayer` is per_layer_json, parsed).
 */
export interface RunCurvePoint {
  readonly targetSparsity: number;
  readonly sparsity: number;
  /** The compared metric's value (accuracy, robust_accuracy or loss). */
  readonly value: number;
  readonly accuracy: number;
  readonly compression: number;
  readonly macsEffective: number;
  readonly perLayer: Readonly<Record<string, number>>;
}

/** One run's curve, points sorted by achieved sparsity. */
export interface RunCurve {
  readonly runId: string;
  readonly seed: number;
  readonly labels: Readonly<Record<StrategyField, string>>;
  readonly dense: RunCurvePoint | undefined;
  readonly points: readonly RunCurvePoint[];
  /** Examples the run trained on after dense training, all phases; undefined when not recorded (runs from before it was). */
  readonly trainExamples: number | undefined;
}

const metricValue = (r: CurvePointRow, metric: Metric): number | null => (metric === 'robust_accuracy' ? r.robust_accuracy : r[metric]);

/** Groups the store's curve rows into one curve per run; points without a value of the metric are left out. */
export function runCurves(rows: readonly CurvePointRow[], metric: Metric): RunCurve[] {
  const byRun = new Map<string, CurvePointRow[]>();
  for (const r of rows) {
    const list = byRun.get(r.run_id) ?? [];
    list.push(r);
    byRun.set(r.run_id, list);
  }
  const curves: RunCurve[] = [];
  for (const [runId, list] of byRun) {
    const first = list[0]!;
    const points = list.flatMap((r): RunCurvePoint[] => {
      const value = metricValue(r, metric);
      if (value === null) return [];
      return [
        {
          targetSparsity: r.target_sparsity,
          sparsity: r.sparsity,
          value,
          accuracy: r.accuracy,
          compression: r.compression,
          macsEffective: r.macs_effective,
          perLayer: JSON.parse(r.per_layer_json) as Record<string, number>,
        },
      ];
    });
    points.sort((a, b) => a.sparsity - b.sparsity || a.targetSparsity - b.targetSparsity);
    const denseIndex = list.findIndex((r) => r.phase === 'dense');
    const denseRow = denseIndex >= 0 ? list[denseIndex] : undefined;
    curves.push({
      runId,
      seed: first.seed,
      labels: { scorer: first.scorer, structure: first.structure, scope: first.scope, schedule: first.schedule, model: first.model, dataset: first.dataset },
      dense: denseRow ? points.find((p) => p.targetSparsity === 0 && p.sparsity === denseRow.sparsity) : undefined,
      points,
      trainExamples: first.train_examples ?? undefined,
    });
  }
  return curves.sort((a, b) => a.runId.localeCompare(b.runId));
}

// Achieved sparsities are ratios of integers; anything closer than this is the same operating point.
const SAME_SPARSITY = 1e-9;

/**
 * How finely a set of runs can place its sparsity, read from their points:
 * the largest gap between a point's achieved sparsity and its target.
 * Unstructured pruning lands within one weight of a target (gap ~1/N); unit
 * and block structures round a target to whole units or blocks (0.9 becomes
 * 115/128 = 0.8984375 for a 128-unit layer, a gap of 0.0016), so a point that
 * close to a sparsity is the nearest the structure can get to it. Never
 * below SAME_SPARSITY.
 */
export function sparsityGranularity(curves: readonly RunCurve[]): number {
  let gap = SAME_SPARSITY;
  for (const c of curves) for (const p of c.points) gap = Math.max(gap, Math.abs(p.sparsity - p.targetSparsity));
  return gap;
}

/** A run's value at one column: the value, whether it was interpolated, and the sparsity it stands for. */
export interface ValueAt {
  readonly value: number;
  readonly interpolated: boolean;
  /** The achieved sparsity of the point used, or the column's sparsity when interpolated. */
  readonly sparsity: number;
}

/**
 * The run's value at sparsity `s`, in this order:
 * 1. the point evaluated for target `s`, whatever sparsity it achieved (a
 *    unit-pruned run asked for 0.9 stands in the 0.9 column at 0.8984375);
 * 2. the evaluated point nearest `s` when it is within `granularity` (see
 *    sparsityGranularity): `--at 0.8984` finds that same point;
 * 3. linear interpolation in achieved sparsity between the neighbouring
 *    evaluated points (the dense point at 0 included), marked interpolated.
 * Never extrapolates: past the run's highest achieved sparsity the answer is undefined.
 */
export function valueAt(points: readonly RunCurvePoint[], s: number, granularity = SAME_SPARSITY): ValueAt | undefined {
  const atTarget = points.find((p) => Math.abs(p.targetSparsity - s) <= SAME_SPARSITY);
  if (atTarget) return { value: atTarget.value, interpolated: false, sparsity: atTarget.sparsity };
  let near: RunCurvePoint | undefined;
  for (const p of points) {
    if (Math.abs(p.sparsity - s) <= granularity + SAME_SPARSITY && (!near || Math.abs(p.sparsity - s) < Math.abs(near.sparsity - s))) near = p;
  }
  if (near) return { value: near.value, interpolated: false, sparsity: near.sparsity };
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    if (a.sparsity < s && s < b.sparsity) {
      const t = (s - a.sparsity) / (b.sparsity - a.sparsity);
      return { value: a.value + t * (b.value - a.value), interpolated: true, sparsity: s };
    }
  }
  return undefined;
}

/**
 * Area under the curve by the trapezoid rule from sparsity 0 to the run's
 * highest achieved sparsity, divided by that sparsity: the average value over
 * the range the run covers, in the metric's own units, so runs that stop at
 * different sparsities stay on one scale. Undefined without a point at 0 or
 * with no pruned point.
 */
export function normalizedAuc(points: readonly RunCurvePoint[]): number | undefined {
  if (points.length < 2 || points[0]!.sparsity > SAME_SPARSITY) return undefined;
  let area = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    area += ((b.sparsity - a.sparsity) * (a.value + b.value)) / 2;
  }
  const range = points[points.length - 1]!.sparsity - points[0]!.sparsity;
  return range > 0 ? area / range : undefined;
}

/**
 * The highest evaluated sparsity whose accuracy (`pick`: accuracy or robust
 * accuracy) is at least the run's dense value minus `tolerance` (a fraction:
 * 0.01 is one percentage point). Only evaluated points count: between two
 * points nothing was measured. 0 when even the first pruned point misses.
 */
export function maxSparsityWithin(curve: RunCurve, tolerance: number, pick: (p: RunCurvePoint) => number): number | undefined {
  if (!curve.dense) return undefined;
  // The epsilon keeps a point exactly one point below dense (0.96 vs 0.97) inside despite float rounding.
  const limit = pick(curve.dense) - tolerance - 1e-12;
  let best = 0;
  for (const p of curve.points) if (pick(p) >= limit && p.sparsity > best) best = p.sparsity;
  return best;
}

/** The run's point at its highest target: where compression is reported. */
export function lastPoint(curve: RunCurve): RunCurvePoint | undefined {
  let last: RunCurvePoint | undefined;
  for (const p of curve.points) if (!last || p.targetSparsity > last.targetSparsity || (p.targetSparsity === last.targetSparsity && p.sparsity > last.sparsity)) last = p;
  return last;
}
