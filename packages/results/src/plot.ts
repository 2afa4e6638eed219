import type { TopLevelSpec } from 'vega-lite';
import { sweepCurve, type Db, type Filter } from '@prunelab/store';
import { runCurves, STRATEGY_FIELDS, type RunCurvePoint, type Metric, type StrategyField } from './curve.js';
import { summarize } from './stats.js';
import { resolveWhere } from './where.js';

export const PLOT_AXES = ['sparsity', 'compression', 'flops'] as const;
export type PlotAxis = (typeof PLOT_AXES)[number];

/** One plotted point: a strategy at one target, averaged over its runs, with the ±1 std band (null for a single run). */
export interface PlotDatum {
  readonly strategy: string;
  readonly target: number;
  readonly x: number;
  readonly mean: number;
  readonly lo: number | null;
  readonly hi: number | null;
  readonly n: number;
}

const xOf: Record<PlotAxis, (p: RunCurvePoint) => number> = {
  sparsity: (p) => p.sparsity,
  compression: (p) => p.compression,
  flops: (p) => p.macsEffective,
};

export interface PlotOptions {
  readonly x?: PlotAxis;
  readonly metric?: Metric;
  readonly where?: Filter;
  readonly by?: readonly StrategyField[];
}

/**
 * The plotted data: per strategy and target (the dense point at 0 included),
 * the mean over runs of the achieved x and of the metric, and mean ± std as
 * the band where there are two runs or more (one run has no spread, and a
 * band of width 0 would claim one). Runs are grouped by target rather than
 * by achieved x, because seeds of one target can land on slightly different
 * sparsities.
 */
export function plotData(db: Db, sweep: string, options: PlotOptions = {}): PlotDatum[] {
  const metric = options.metric ?? 'accuracy';
  const x = xOf[options.x ?? 'sparsity'];
  const curves = runCurves(sweepCurve(db, sweep, resolveWhere(db, sweep, options.where ?? [])), metric);
  const vary = options.by ?? STRATEGY_FIELDS.filter((f) => new Set(curves.map((c) => c.labels[f])).size > 1);
  const by: readonly StrategyField[] = vary.length > 0 ? vary : ['scorer'];
  const groups = new Map<string, Map<number, RunCurvePoint[]>>();
  for (const c of curves) {
    const name = by.map((f) => c.labels[f]).join(' / ');
    const byTarget = groups.get(name) ?? new Map<number, RunCurvePoint[]>();
    for (const p of c.points) byTarget.set(p.targetSparsity, [...(byTarget.get(p.targetSparsity) ?? []), p]);
    groups.set(name, byTarget);
  }
  const data: PlotDatum[] = [];
  for (const [strategy, byTarget] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [target, points] of [...byTarget].sort(([a], [b]) => a - b)) {
      const y = summarize(points.map((p) => p.value));
      const band = y.std === null ? { lo: null, hi: null } : { lo: y.mean - y.std, hi: y.mean + y.std };
      data.push({ strategy, target, x: summarize(points.map(x)).mean, mean: y.mean, ...band, n: y.n });
    }
  }
  return data;
}

const axisTitle: Record<PlotAxis, string> = {
  sparsity: 'sparsity (% of prunable weights that are zero)',
  compression: 'compression (total / nonzero parameters, log scale)',
  flops: 'effective multiply-adds per example (MACs)',
};

const metricTitle: Record<Metric, string> = { accuracy: 'test accuracy (%)', robust_accuracy: 'robust test accuracy (%)', loss: 'test loss' };

/**
 * What the plot's line and band are, from the data: "mean of 3 runs, band ±1
 * std", "mean of 2–3 runs, band ±1 std (none where n = 1)", or "1 run per
 * point, no band". Every plot carries it, so a band is never read as an interval.
 */
export function bandDescription(data: readonly PlotDatum[]): string {
  const ns = data.map((d) => d.n);
  if (ns.length === 0) return 'no data';
  const lo = Math.min(...ns);
  const hi = Math.max(...ns);
  if (hi === 1) return '1 run per point, no band';
  const runs = lo === hi ? `${hi}` : `${lo}–${hi}`;
  return `mean of ${runs} runs, band ±1 std${lo === 1 ? ' (none where n = 1)' : ''}`;
}

/**
 * A Vega-Lite spec: one line per strategy through the mean over seeds, a
 * shaded band of ±1 std around it where a point has two runs or more, and the
 * y axis saying which (bandDescription). Compression spans orders of
 * magnitude, so that axis is logarithmic. Values stay fractions; the axes
 * and tooltips print them in percent.
 */
export function plotSpec(data: readonly PlotDatum[], options: { x?: PlotAxis; metric?: Metric; title?: string } = {}): TopLevelSpec {
  const axis = options.x ?? 'sparsity';
  const metric = options.metric ?? 'accuracy';
  const yFormat = metric === 'loss' ? '.3f' : '.0%';
  const xScale = axis === 'compression' ? { type: 'log' as const } : { zero: axis !== 'flops' };
  const tooltip = [
    { field: 'strategy', type: 'nominal' as const },
    { field: 'target', type: 'quantitative' as const, title: 'target (%)', format: '.2%' },
    { field: 'mean', type: 'quantitative' as const, title: metric === 'loss' ? 'mean' : 'mean (%)', format: metric === 'loss' ? '.4f' : '.2%' },
    { field: 'n', type: 'quantitative' as const },
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    ...(options.title !== undefined && { title: options.title }),
    width: 560,
    height: 340,
    background: 'white',
    data: { values: data.map((d) => ({ ...d })) },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axisTitle[axis], scale: xScale, ...(axis === 'sparsity' && { axis: { format: '.0%' } }) },
      color: { field: 'strategy', type: 'nominal', title: 'strategy', legend: { symbolOpacity: 1 } },
    },
    layer: [
      {
        mark: { type: 'area', opacity: 0.18 },
        encoding: {
          y: { field: 'lo', type: 'quantitative', title: `${metricTitle[metric]}: ${bandDescription(data)}`, scale: { zero: false }, axis: { format: yFormat } },
          y2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { y: { field: 'mean', type: 'quantitative' } },
      },
      {
        mark: { type: 'point', filled: true, size: 30 },
        encoding: { y: { field: 'mean', type: 'quantitative' }, tooltip },
      },
    ],
  };
}
