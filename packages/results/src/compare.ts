import { PrunelabError, unknownNameError } from '@prunelab/core';
import { sweepCurve, type Db, type Filter } from '@prunelab/store';
import { higherIsBetter, lastPoint, maxSparsityWithin, normalizedAuc, runCurves, sparsityGranularity, STRATEGY_FIELDS, valueAt, type Metric, type RunCurve, type StrategyField } from './curve.js';
import { summarize, type Range, type Summary } from './stats.js';
import { sweepEffectiveConfigs } from './effective-config.js';
import { resolveWhere } from './where.js';

/** A cell: the summary over seeds, whether any run's value in it was interpolated, and the sparsity it stands for. */
export interface Cell extends Summary {
  readonly interpolated: boolean;
  /**
   * Mean over the cell's runs of the sparsity each value stands for: the
   * achieved sparsity of the point used, or the column's own when
   * interpolated. A unit-pruned 0.9 column reads 0.8984375 here.
   */
  readonly achieved: number;
}

export type ExtraColumn = 'withinTolerance' | 'auc' | 'compression';
export const EXTRA_COLUMNS: readonly ExtraColumn[] = ['withinTolerance', 'auc', 'compression'];

export interface CompareRow {
  readonly strategy: string;
  readonly key: Readonly<Record<string, string>>;
  /**
   * The row's value at each of the table's `configPaths`: what tells its runs
   * apart from other rows with the same strategy labels (a `--set` override).
   */
  readonly config: Readonly<Record<string, string>>;
  /** Finished runs in this row (seeds, and any other axis not in `by`). */
  readonly runs: number;
  /** The metric of the rows' dense models, at sparsity 0. */
  readonly dense: Summary | null;
  /** One cell per column; null where no run reaches that sparsity. */
  readonly cells: ReadonlyArray<Cell | null>;
  /** Indexes of the columns where this row is the best. */
  readonly best: readonly number[];
  /** Highest evaluated sparsity within `tolerance` of dense accuracy, per run, summarised over runs. */
  readonly withinTolerance: Summary | null;
  /** Normalised area under the metric–sparsity curve (see normalizedAuc), summarised over runs. */
  readonly auc: Summary | null;
  /** Total over nonzero parameters at each run's highest target, summarised over runs. */
  readonly compression: Summary | null;
  /**
   * Examples trained on after dense training (fine-tuning, ADMM, rewound or
   * re-initialised training, mask derivation), summarised over runs; null when
   * no run recorded it. Schedules that train beyond the common budget show here.
   */
  readonly training: Summary | null;
  /** The extra columns where this row is the best. */
  readonly bestExtras: readonly ExtraColumn[];
  /** How close to a column an evaluated point must be to count as evaluated there (see sparsityGranularity). */
  readonly granularity: number;
}

export interface CompareTable {
  readonly sweep: string;
  readonly metric: Metric;
  readonly by: readonly StrategyField[];
  /** Sparsities compared, ascending: the sweep's targets, or --at. A run's point for a target stands in that target's column. */
  readonly columns: readonly number[];
  /** The targets the sweep's finished runs were evaluated at, ascending. */
  readonly targets: readonly number[];
  /** Tolerance of the within-tolerance column, as a fraction (0.01 = 1 point). */
  readonly tolerance: number;
  /** Which metric the within-tolerance column measures. */
  readonly toleranceMetric: 'accuracy' | 'robust_accuracy';
  readonly filter: Filter;
  /**
   * Config paths whose values differ between runs with the same strategy
   * labels and that no axis of the sweep accounts for (a run added by
   * `--set dataset.trainSize=3000`): rows are split by them, so runs that
   * trained differently are never averaged together.
   */
  readonly configPaths: readonly string[];
  /** The least mean training of any row (examples), the reference for "more training". */
  readonly leastTraining: number | null;
  /** The metric of all dense models (each run's dense point), at sparsity 0. */
  readonly dense: Summary | null;
  /** True when any cell holds an interpolated value. */
  readonly interpolated: boolean;
  readonly rows: readonly CompareRow[];
}

export interface CompareOptions {
  readonly metric?: Metric;
  /** Sparsities to compare at; default: every target of the sweep. */
  readonly at?: readonly number[];
  /** Fields that name a strategy; default: the fields that vary within the sweep. */
  readonly by?: readonly StrategyField[];
  readonly where?: Filter;
  /** Fraction; default 0.01 (one percentage point). */
  readonly tolerance?: number;
}

const summaryOf = (values: ReadonlyArray<number | undefined>, range: Range): Summary | null => {
  const vs = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return vs.length > 0 ? summarize(vs, range) : null;
};

const FRACTION: Range = [0, 1];
/** Accuracies are fractions; a loss is non-negative. */
const rangeOf = (metric: Metric): Range => (metric === 'loss' ? [0, Infinity] : FRACTION);

/** The index set of rows whose mean is the best of the column; ties are all best. */
function bestOf(means: ReadonlyArray<number | undefined>, higher: boolean): Set<number> {
  const present = means.filter((m): m is number => m !== undefined);
  if (present.length === 0) return new Set();
  const target = higher ? Math.max(...present) : Math.min(...present);
  return new Set(means.flatMap((m, i) => (m !== undefined && Math.abs(m - target) <= 1e-12 ? [i] : [])));
}

export function checkStrategyFields(by: readonly string[]): StrategyField[] {
  for (const f of by) if (!(STRATEGY_FIELDS as readonly string[]).includes(f)) throw unknownNameError('--by field', f, STRATEGY_FIELDS, { path: '--by' });
  return [...new Set(by)] as StrategyField[];
}

/**
 * Strategies as rows, sparsities as columns. Each cell is computed per run
 * first (the run's point for that target; else its point within the row's
 * granularity of that sparsity; else interpolated along its own curve, see
 * valueAt) and then summarised over the runs of the row: mean, sample std, n
 * and a Student-t 95% interval.
 */
export function compare(db: Db, sweep: string, options: CompareOptions = {}): CompareTable {
  const metric = options.metric ?? 'accuracy';
  const tolerance = options.tolerance ?? 0.01;
  const filter = options.where ?? [];
  if (!(tolerance >= 0)) throw new PrunelabError('E_CONFIG_INVALID', 'the tolerance must be a non-negative number', { path: '--tolerance', value: tolerance });
  for (const s of options.at ?? []) {
    if (!(s >= 0 && s < 1)) throw new PrunelabError('E_CONFIG_INVALID', 'sparsities must be in [0, 1)', { path: '--at', value: s, fix: 'Give fractions, e.g. --at 0.5,0.9,0.95' });
  }
  const rows = sweepCurve(db, sweep, resolveWhere(db, sweep, filter));
  const curves = runCurves(rows, metric);
  const by = options.by ? checkStrategyFields(options.by) : STRATEGY_FIELDS.filter((f) => new Set(curves.map((c) => c.labels[f])).size > 1);
  const effectiveBy: readonly StrategyField[] = by.length > 0 ? by : ['scorer'];
  const targets = [...new Set(rows.filter((r) => r.phase !== 'dense').map((r) => r.target_sparsity))].sort((a, b) => a - b);
  const columns = options.at ? [...new Set(options.at)].sort((a, b) => a - b) : targets;
  const toleranceMetric = metric === 'robust_accuracy' ? 'robust_accuracy' : 'accuracy';
  // For loss the within-tolerance column still speaks of accuracy, as its name says.
  const pick = metric === 'loss' ? (p: { accuracy: number }) => p.accuracy : (p: { value: number }) => p.value;

  const configs = sweepEffectiveConfigs(db, sweep);
  const configPaths = configs.paths.filter((p) => p !== 'seed');
  const groups = new Map<string, { key: Record<string, string>; config: Record<string, string>; curves: RunCurve[] }>();
  for (const c of curves) {
    const values = configs.runs.get(c.runId)?.values ?? {};
    const config = Object.fromEntries(configPaths.map((p) => [p, values[p] ?? '(unset)']));
    const suffix = configPaths.length > 0 ? ` [${configPaths.map((p) => `${p}=${config[p]}`).join(', ')}]` : '';
    const name = effectiveBy.map((f) => c.labels[f]).join(' / ') + suffix;
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { key: Object.fromEntries(effectiveBy.map((f) => [f, c.labels[f]])), config, curves: [] }));
    g.curves.push(c);
  }

  const base = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([strategy, g]) => {
      const granularity = sparsityGranularity(g.curves);
      const cells = columns.map((s): Cell | null => {
        const at = g.curves.map((c) => valueAt(c.points, s, granularity)).filter((v) => v !== undefined);
        if (at.length === 0) return null;
        return {
          ...summarize(at.map((v) => v.value), rangeOf(metric)),
          interpolated: at.some((v) => v.interpolated),
          achieved: at.reduce((a, v) => a + v.sparsity, 0) / at.length,
        };
      });
      return {
        strategy,
        key: g.key,
        config: g.config,
        runs: g.curves.length,
        dense: summaryOf(
          g.curves.map((c) => c.dense?.value),
          rangeOf(metric),
        ),
        cells,
        granularity,
        withinTolerance: summaryOf(
          g.curves.map((c) => maxSparsityWithin(c, tolerance, pick)),
          FRACTION,
        ),
        auc: summaryOf(
          g.curves.map((c) => normalizedAuc(c.points)),
          rangeOf(metric),
        ),
        compression: summaryOf(
          g.curves.map((c) => lastPoint(c)?.compression),
          [1, Infinity],
        ),
        training: summaryOf(
          g.curves.map((c) => c.trainExamples),
          [0, Infinity],
        ),
      };
    });

  const higher = higherIsBetter(metric);
  const bestCells = columns.map((_, j) => bestOf(base.map((r) => r.cells[j]?.mean), higher));
  const bestExtra: Record<ExtraColumn, Set<number>> = {
    withinTolerance: bestOf(base.map((r) => r.withinTolerance?.mean), true),
    auc: bestOf(base.map((r) => r.auc?.mean), higher),
    compression: bestOf(base.map((r) => r.compression?.mean), true),
  };
  return {
    sweep,
    metric,
    by: effectiveBy,
    columns,
    targets,
    tolerance,
    toleranceMetric,
    filter,
    configPaths,
    leastTraining: base.reduce<number | null>((m, r) => (r.training && (m === null || r.training.mean < m) ? r.training.mean : m), null),
    // Runs of several scorers share one dense model per seed: count each dense model once.
    dense: summaryOf([...new Map(curves.map((c) => [`${c.labels.dataset}|${c.labels.model}|${c.seed}`, c.dense?.value])).values()], rangeOf(metric)),
    interpolated: base.some((r) => r.cells.some((c) => c?.interpolated === true)),
    rows: base.map((r, i) => ({
      ...r,
      best: columns.flatMap((_, j) => (bestCells[j]!.has(i) ? [j] : [])),
      bestExtras: EXTRA_COLUMNS.filter((e) => bestExtra[e].has(i)),
    })),
  };
}
