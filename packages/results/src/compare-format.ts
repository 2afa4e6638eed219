import type { CompareTable, Cell, ExtraColumn } from './compare.js';
import { renderCsv, renderMarkdown, renderText, type Format, type Value } from './listing.js';
import type { Summary } from './stats.js';
import { formatWhere } from './where.js';

const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** The column key of a sparsity in CSV headers: s0.9 → `s0.9`. */
export const sparsityKey = (s: number): string => `s${s}`;

function extraLabels(t: CompareTable): Record<ExtraColumn, string> {
  return {
    withinTolerance: `max s within ${Number((t.tolerance * 100).toFixed(3))}pt`,
    auc: 'AUC',
    compression: 'compression',
  };
}

function valueText(metric: string, kind: 'metric' | 'sparsity' | 'ratio'): (x: number) => string {
  if (kind === 'sparsity') return (x) => (x * 100).toFixed(1);
  if (kind === 'ratio') return (x) => `${x.toFixed(1)}x`;
  return metric === 'loss' ? (x) => x.toFixed(3) : (x) => (x * 100).toFixed(2);
}

function summaryText(s: Summary | null, f: (x: number) => string): string {
  if (!s) return '-';
  return `${f(s.mean)} ± ${f(s.std)} (n=${s.n}) [${f(s.ci95[0])}, ${f(s.ci95[1])}]`;
}

const extraKind: Record<ExtraColumn, 'metric' | 'sparsity' | 'ratio'> = { withinTolerance: 'sparsity', auc: 'metric', compression: 'ratio' };

function humanRows(t: CompareTable, mark: (text: string, best: boolean) => string): { header: string[]; rows: string[][] } {
  const labels = extraLabels(t);
  const metricText = valueText(t.metric, 'metric');
  const header = ['strategy', 'dense', ...t.columns.map((c) => `s=${pct(c)}`), ...(['withinTolerance', 'auc', 'compression'] as const).map((e) => labels[e])];
  const rows = t.rows.map((r) => [
    r.strategy,
    summaryText(r.dense, metricText),
    ...r.cells.map((c: Cell | null, j) => mark(`${summaryText(c, metricText)}${c?.interpolated ? ' ~' : ''}`, r.best.includes(j))),
    ...(['withinTolerance', 'auc', 'compression'] as const).map((e) => mark(summaryText(r[e], valueText(t.metric, extraKind[e])), r.bestExtras.includes(e))),
  ]);
  return { header, rows };
}

function title(t: CompareTable): string {
  const unit = t.metric === 'loss' ? 'test loss' : `test ${t.metric} (%)`;
  const where = t.filter.length > 0 ? `, where ${formatWhere(t.filter)}` : '';
  return `${t.sweep}: ${unit} by ${t.by.join(' / ')}${where}; mean ± std (n seeds) [95% CI]`;
}

function notes(t: CompareTable, bestMark: string): string[] {
  return [
    `${bestMark} marks the best value in each column.`,
    ...(t.rows.some((r) => r.cells.some((c) => c === null)) ? ['- no run reached this sparsity: values are interpolated between evaluated points, never extrapolated past a run\'s highest achieved sparsity.'] : []),
    ...(t.interpolated ? ['~ interpolated: at least one run was not evaluated at exactly this sparsity; its value is linear in sparsity between its neighbouring evaluated points (dense at 0 included), then averaged over seeds.'] : []),
    `Sparsity in % of prunable weights. max sparsity within ${Number((t.tolerance * 100).toFixed(3))}pt: highest evaluated sparsity with ${t.toleranceMetric} >= dense - ${Number((t.tolerance * 100).toFixed(3))} points, per run.`,
    'AUC: trapezoid area under each run\'s curve from 0 to its highest achieved sparsity, divided by that sparsity (the average over the range).',
    '[95% CI]: Student-t interval over the runs, clipped to the range the metric can take.',
    'Compression: total / nonzero parameters (non-prunable included) at each run\'s highest target.',
  ];
}

/** The wide, flat form of the table: one row per strategy, every statistic its own column. Used by CSV. */
export function compareColumns(t: CompareTable): { columns: string[]; rows: Array<Array<Value>> } {
  const stats = (prefix: string) => [`${prefix}_mean`, `${prefix}_std`, `${prefix}_n`, `${prefix}_ci_low`, `${prefix}_ci_high`];
  const columns = [
    'strategy',
    ...t.by,
    'runs',
    ...stats('dense'),
    ...t.columns.flatMap((c) => [...stats(sparsityKey(c)), `${sparsityKey(c)}_interpolated`, `${sparsityKey(c)}_best`]),
    ...(['within_tolerance_sparsity', 'auc', 'compression'] as const).flatMap((p) => [...stats(p), `${p}_best`]),
  ];
  const vals = (s: Summary | null): Value[] => (s ? [s.mean, s.std, s.n, s.ci95[0], s.ci95[1]] : [null, null, null, null, null]);
  const rows = t.rows.map((r) => [
    r.strategy,
    ...t.by.map((f) => r.key[f] ?? null),
    r.runs,
    ...vals(r.dense),
    ...r.cells.flatMap((c, j) => [...vals(c), c ? c.interpolated : null, r.best.includes(j)]),
    ...(['withinTolerance', 'auc', 'compression'] as const).flatMap((e) => [...vals(r[e]), r.bestExtras.includes(e)]),
  ]);
  return { columns, rows };
}

/** Writes a comparison in one of the formats. JSON is the CompareTable itself. */
export function formatCompare(t: CompareTable, format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(t, null, 2);
    case 'csv': {
      const { columns, rows } = compareColumns(t);
      return renderCsv(columns, rows);
    }
    case 'markdown': {
      const { header, rows } = humanRows(t, (text, best) => (best ? `**${text}**` : text));
      return [`**${title(t)}**`, '', renderMarkdown(header, rows), '', ...notes(t, '**Bold**')].join('\n');
    }
    case 'table': {
      // Two lines per strategy keep a terminal-width table: mean ± std on the first, n and the CI below.
      const { header, rows } = humanRows(t, (text, best) => (best ? `${text} *` : text));
      const split = rows.flatMap((r) => {
        const parts = r.map((c) => / \(n=/.exec(c));
        return [
          r.map((c, j) => (parts[j] ? c.slice(0, parts[j].index) + c.slice(c.indexOf(']', parts[j].index) + 1) : c)),
          r.map((c, j) => (parts[j] ? c.slice(parts[j].index + 1, c.indexOf(']', parts[j].index) + 1).replace(/^\(n=(\d+)\)/, 'n=$1') : '')),
        ];
      });
      return [title(t), renderText(header, split), ...notes(t, '*')].join('\n');
    }
  }
}

/** The terminal table (kept for `prunelab run`'s closing summary). */
export function formatCompareTable(t: CompareTable): string {
  return formatCompare(t, 'table');
}
