import type { CompareTable } from './compare.js';
import type { Summary } from './stats.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function cellText(s: Summary | null, metric: string): string {
  if (!s) return '-';
  const f = metric === 'loss' ? (x: number) => x.toFixed(3) : (x: number) => (x * 100).toFixed(2);
  return s.n > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean);
}

/** A plain-text table for the terminal: strategies as rows, target sparsities as columns, best marked with '*'. */
export function formatCompareTable(t: CompareTable): string {
  const unit = t.metric === 'loss' ? 'loss' : `${t.metric} (%)`;
  const seeds = Math.max(0, ...t.rows.flatMap((r) => r.cells.map((c) => c?.n ?? 0)));
  const header = ['strategy', ...t.columns.map((c) => `s=${pct(c)}`)];
  const body = t.rows.map((r) => [r.strategy, ...r.cells.map((c, j) => `${cellText(c, t.metric)}${r.best.includes(j) ? '*' : ''}`)]);
  if (t.dense) body.unshift(['dense (s=0)', ...t.columns.map(() => cellText(t.dense, t.metric))]);
  const rows = [header, ...body];
  const widths = header.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) => r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ');
  return [
    `${t.sweep}: test ${unit}, mean ± std over ${seeds} seed${seeds === 1 ? '' : 's'}; * marks the best per column`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map(line),
  ].join('\n');
}
