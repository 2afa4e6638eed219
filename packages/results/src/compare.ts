import type { Db } from '@prunelab/store';
import { curvePoints, type CurveRow } from '@prunelab/store';
import { summarize, type Summary } from './stats.js';

export type Metric = 'accuracy' | 'loss' | 'robust_accuracy';
export type StrategyField = 'scorer' | 'structure' | 'scope' | 'schedule' | 'model' | 'dataset';

export interface CompareRow {
  readonly strategy: string;
  readonly key: Readonly<Record<string, string>>;
  /** One cell per column; null where the strategy has no point at that target. */
  readonly cells: ReadonlyArray<Summary | null>;
  /** Index of the columns where this row is the best. */
  readonly best: readonly number[];
}

export interface CompareTable {
  readonly sweep: string;
  readonly metric: Metric;
  readonly by: readonly StrategyField[];
  /** Target sparsities, ascending. */
  readonly columns: readonly number[];
  readonly dense: Summary | null;
  readonly rows: readonly CompareRow[];
}

const DEFAULT_BY: readonly StrategyField[] = ['scorer', 'structure', 'scope', 'schedule', 'model', 'dataset'];

/**
 * Strategies as rows, target sparsities as columns, mean over seeds in each
 * cell. Only the fields that vary within the sweep name a strategy, so the
 * quickstart's rows are just "magnitude" and "random".
 */
export function compare(db: Db, sweep: string, options: { metric?: Metric; by?: readonly StrategyField[] } = {}): CompareTable {
  const metric = options.metric ?? 'accuracy';
  const rows = curvePoints(db, sweep);
  const by = options.by ?? DEFAULT_BY.filter((f) => new Set(rows.map((r) => r[f])).size > 1);
  const effectiveBy = by.length > 0 ? by : (['scorer'] as const);
  const value = (r: CurveRow): number | null => (metric === 'robust_accuracy' ? r.robust_accuracy : r[metric]);

  const denseVals = new Map<string, number>();
  const groups = new Map<string, { key: Record<string, string>; byTarget: Map<number, number[]> }>();
  for (const r of rows) {
    const v = value(r);
    if (v === null) continue;
    if (r.phase === 'dense') {
      // Every run repeats its dense point; count each dense model (seed) once.
      denseVals.set(`${r.dataset}|${r.model}|${r.seed}`, v);
      continue;
    }
    const key = Object.fromEntries(effectiveBy.map((f) => [f, r[f]]));
    const name = effectiveBy.map((f) => r[f]).join(' / ');
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { key, byTarget: new Map() }));
    const list = g.byTarget.get(r.target_sparsity) ?? [];
    list.push(v);
    g.byTarget.set(r.target_sparsity, list);
  }
  const columns = [...new Set([...groups.values()].flatMap((g) => [...g.byTarget.keys()]))].sort((a, b) => a - b);
  const higherIsBetter = metric !== 'loss';
  const table = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([strategy, g]) => ({
      strategy,
      key: g.key,
      cells: columns.map((c) => {
        const vs = g.byTarget.get(c);
        return vs ? summarize(vs) : null;
      }),
    }));
  const bestPerColumn = columns.map((_, j) => {
    const means = table.map((r) => r.cells[j]?.mean ?? Number.NaN).filter((m) => !Number.isNaN(m));
    return means.length ? (higherIsBetter ? Math.max(...means) : Math.min(...means)) : Number.NaN;
  });
  return {
    sweep,
    metric,
    by: effectiveBy,
    columns,
    dense: denseVals.size > 0 ? summarize([...denseVals.values()]) : null,
    rows: table.map((r) => ({ ...r, best: columns.flatMap((_, j) => (r.cells[j] && r.cells[j]!.mean === bestPerColumn[j] ? [j] : [])) })),
  };
}
