import type { TopLevelSpec } from 'vega-lite';
import { sweepCurve, type Db, type Filter } from '@prunelab/store';
import { runCurves, STRATEGY_FIELDS, type CurvePoint, type Metric, type StrategyField } from './curve.js';
import { summarize } from './stats.js';

export const PLOT_AXES = ['sparsity', 'compression', 'flops'] as const;
export type PlotAxis = (typeof PLOT_AXES)[number];

/** One plotted point: a strategy at one target, averaged over its runs, with the ±1 std band. */
export interface PlotDatum {
  readonly strategy: string;
  readonly target: number;
  readonly x: number;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

const xOf: Record<PlotAxis, (p: CurvePoint) => number> = {
  sparsity: (p) => p.sparsity,
  compression: (p) => p.compression,
  flops: (p) => p.macs,
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
 * the band. Runs are grouped by target rather than by achieved x, because
 * seeds of one target can land on slightly different sparsities.
 */
export function plotData(db: Db, sweep: string, options: PlotOptions = {}): PlotDatum[] {
  const metric = options.metric ?? 'accuracy';
  const x = xOf[options.x ?? 'sparsity'];
  const curves = runCurves(sweepCurve(db, sweep, options.where ?? []), metric);
  const vary = options.by ?? STRATEGY_FIELDS.filter((f) => new Set(curves.map((c) => c.labels[f])).size > 1);
  const by: readonly StrategyField[] = vary.length > 0 ? vary : ['scorer'];
  const groups = new Map<string, Map<number, CurvePoint[]>>();
  for (const c of curves) {
    const name = by.map((f) => c.labels[f]).join(' / ');
    const byTarget = groups.get(name) ?? new Map<number, CurvePoint[]>();
    for (const p of c.points) byTarget.set(p.target, [...(byTarget.get(p.target) ?? []), p]);
    groups.set(name, byTarget);
  }
  const data: PlotDatum[] = [];
  for (const [strategy, byTarget] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    for (const [target, points] of [...byTarget].sort(([a], [b]) => a - b)) {
      const y = summarize(points.map((p) => p.value));
      data.push({ strategy, target, x: summarize(points.map(x)).mean, mean: y.mean, lo: y.mean - y.std, hi: y.mean + y.std, n: y.n });
    }
  }
  return data;
}

const axisTitle: Record<PlotAxis, string> = {
  sparsity: 'sparsity (fraction of prunable weights that are zero)',
  compression: 'compression (total / nonzero parameters, log scale)',
  flops: 'effective multiply-adds per example (MACs)',
};

const metricTitle: Record<Metric, string> = { accuracy: 'test accuracy', robust_accuracy: 'robust test accuracy', loss: 'test loss' };

/**
 * A Vega-Lite spec: one line per strategy through the mean over seeds, a
 * shaded band of ±1 std around it. Compression spans orders of magnitude, so
 * that axis is logarithmic.
 */
export function plotSpec(data: readonly PlotDatum[], options: { x?: PlotAxis; metric?: Metric; title?: string } = {}): TopLevelSpec {
  const axis = options.x ?? 'sparsity';
  const metric = options.metric ?? 'accuracy';
  const yFormat = metric === 'loss' ? '.3f' : '.0%';
  const xScale = axis === 'compression' ? { type: 'log' as const } : { zero: axis !== 'flops' };
  const tooltip = [
    { field: 'strategy', type: 'nominal' as const },
    { field: 'target', type: 'quantitative' as const },
    { field: 'mean', type: 'quantitative' as const, format: '.4f' },
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
          y: { field: 'lo', type: 'quantitative', title: `${metricTitle[metric]} (mean ± std over seeds)`, scale: { zero: false }, axis: { format: yFormat } },
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
