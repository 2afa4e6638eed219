import type { CompareTable, Cell, ExtraColumn } from './compare.js';
import { renderCsv, renderMarkdown, renderText, type Format, type Value } from './listing.js';
import type { Summary } from './stats.js';
import { formatWhere } from './where.js';

const pct = (x: number) => `${Number((x * 100).toFixed(2))}%`;

/** The column key of a sparsity in CSV headers: s0.9 → `s0.9` (the fraction, as --at takes it). */
export const sparsityKey = (s: number): string => `s${s}`;

/** Marks an interval from two runs (see Summary.ciUninformative). */
export const UNINFORMATIVE_MARK = '†';

// Achieved sparsities closer to their column than the table's 0.01% rounding are not worth a note.
const SHOWN_SPARSITY = 5e-5;

type Kind = 'metric' | 'sparsity' | 'ratio';
const EXTRAS: readonly ExtraColumn[] = ['withinTolerance', 'auc', 'compression'];
const extraKind: Record<ExtraColumn, Kind> = { withinTolerance: 'sparsity', auc: 'metric', compression: 'ratio' };

function extraLabels(t: CompareTable): Record<ExtraColumn, string> {
  return {
    withinTolerance: `max s within ${Number((t.tolerance * 100).toFixed(3))}pt (%)`,
    auc: 'AUC',
    compression: 'compression',
  };
}

/** Percent for CSV: full precision, less the float noise of the scaling (0.95 * 100 = 94.99999999999999). */
const toPct = (x: number): number => Number((x * 100).toPrecision(12));

/** Accuracies and sparsities are printed in percent; a loss and a compression ratio as they are. */
const inPercent = (metric: string, kind: Kind): boolean => kind === 'sparsity' || (kind === 'metric' && metric !== 'loss');

function valueText(metric: string, kind: Kind): (x: number) => string {
  if (kind === 'ratio') return (x) => `${x.toFixed(1)}x`;
  return inPercent(metric, kind) ? (x) => (x * 100).toFixed(kind === 'sparsity' ? 1 : 2) : (x) => x.toFixed(3);
}

/** Examples in a short form: 48000 → 48k, 1250000 → 1.25M. */
function examplesText(x: number): string {
  if (x >= 1e6) return `${Number((x / 1e6).toPrecision(3))}M`;
  if (x >= 1e3) return `${Number((x / 1e3).toPrecision(3))}k`;
  return `${Math.round(x)}`;
}

// Rows whose mean training is within this fraction of the least are "the common budget".
const SAME_TRAINING = 0.005;

/** How much more a row trained than the least-trained row, or null when it is within SAME_TRAINING of it. */
function trainingRatio(t: CompareTable, r: CompareTable['rows'][number]): number | null {
  if (!r.training || t.leastTraining === null || t.leastTraining <= 0) return null;
  const ratio = r.training.mean / t.leastTraining;
  return ratio > 1 + SAME_TRAINING ? ratio : null;
}

function trainingCell(t: CompareTable, r: CompareTable['rows'][number]): HumanCell {
  if (!r.training) return { main: 'not recorded', n: '', ci: '', at: '', best: false };
  const ratio = trainingRatio(t, r);
  return { main: `${examplesText(r.training.mean)}${ratio !== null ? ` (${ratio.toFixed(2)}x) !` : ''}`, n: '', ci: '', at: '', best: false };
}

/** A summary split for printing: the value (± std) and the detail (n, interval) that the table puts on a second line. */
interface SummaryParts {
  readonly main: string;
  readonly n: string;
  readonly ci: string;
}

function summaryParts(s: Summary | null, f: (x: number) => string): SummaryParts {
  if (!s) return { main: '-', n: '', ci: '' };
  // One run: no spread and no interval to show.
  if (s.std === null || s.ci95 === null) return { main: f(s.mean), n: `n=${s.n}`, ci: '' };
  return { main: `${f(s.mean)} ± ${f(s.std)}`, n: `n=${s.n}`, ci: `[${f(s.ci95[0])}, ${f(s.ci95[1])}]${s.ciUninformative ? UNINFORMATIVE_MARK : ''}` };
}

/**
 * Per column, the achieved sparsity to print in its header (when every cell
 * of the column stands at one sparsity that differs from the column's), or
 * null; cells then carry their own only where the header does not.
 */
function columnAchieved(t: CompareTable): Array<number | null> {
  return t.columns.map((s, j) => {
    const achieved = t.rows.flatMap((r) => (r.cells[j] ? [r.cells[j].achieved] : []));
    if (achieved.length === 0) return null;
    const first = achieved[0]!;
    const same = achieved.every((a) => Math.abs(a - first) <= SHOWN_SPARSITY);
    return same && Math.abs(first - s) > SHOWN_SPARSITY ? first : null;
  });
}

const cellAt = (c: Cell | null, s: number, header: number | null): string =>
  c && header === null && Math.abs(c.achieved - s) > SHOWN_SPARSITY ? `at ${pct(c.achieved)}` : '';

/** One printed cell: its parts, the achieved sparsity where the header does not give it, and whether it is the column's best. */
export interface HumanCell extends SummaryParts {
  readonly at: string;
  readonly best: boolean;
}

/** The comparison as printed cells, shared by the terminal, markdown and HTML forms. */
export function humanRows(t: CompareTable): { header: string[]; rows: HumanCell[][]; strategies: string[] } {
  const labels = extraLabels(t);
  const metricText = valueText(t.metric, 'metric');
  const achieved = columnAchieved(t);
  const header = [
    'strategy',
    'dense',
    ...t.columns.map((c, j) => {
      const a = achieved[j] ?? null;
      return `s=${pct(c)}${a !== null ? ` (achieved ${pct(a)})` : ''}`;
    }),
    ...EXTRAS.map((e) => labels[e]),
    'training (examples)',
  ];
  const rows = t.rows.map((r) => [
    { ...summaryParts(r.dense, metricText), at: '', best: false },
    ...r.cells.map((c, j) => {
      const parts = summaryParts(c, metricText);
      return { ...parts, main: `${parts.main}${c?.interpolated ? ' ~' : ''}`, at: cellAt(c, t.columns[j]!, achieved[j] ?? null), best: r.best.includes(j) };
    }),
    ...EXTRAS.map((e) => ({ ...summaryParts(r[e], valueText(t.metric, extraKind[e])), at: '', best: r.bestExtras.includes(e) })),
    trainingCell(t, r),
  ]);
  return { header, rows, strategies: t.rows.map((r) => r.strategy) };
}

function title(t: CompareTable): string {
  const unit = t.metric === 'loss' ? 'test loss' : `test ${t.metric} (%)`;
  const where = t.filter.length > 0 ? `, where ${formatWhere(t.filter)}` : '';
  return `${t.sweep}: ${unit} by ${t.by.join(' / ')}${where}; mean ± std (n runs) [95% CI]`;
}

const summaries = (t: CompareTable): Summary[] =>
  [t.dense, ...t.rows.flatMap((r) => [r.dense, ...r.cells, ...EXTRAS.map((e) => r[e])])].filter((s): s is Summary => s !== null);

/** The notes under a comparison, shared by the terminal, markdown and HTML forms. */
export function compareNotes(t: CompareTable, bestMark: string): string[] {
  const all = summaries(t);
  // Granularity only matters for columns that are not targets (--at).
  const granular = t.columns.some((c) => !t.targets.includes(c)) ? t.rows.filter((r) => r.granularity > SHOWN_SPARSITY) : [];
  return [
    `${bestMark} marks the best value in each column.`,
    'Columns are targets: each run contributes its point for that target, at the sparsity it achieved. Unit and block structures round a target to whole units or blocks; "achieved" in a header, or "at" in a cell, is that sparsity (mean over the runs) where it differs from the column.',
    ...(granular.length > 0
      ? [`A point within a row's granularity of an --at sparsity counts as evaluated there (granularity: the largest gap between a point's target and achieved sparsity; ${granular.map((r) => `${r.strategy} ${Number((r.granularity * 100).toFixed(3))}pt`).join(', ')}).`]
      : []),
    ...(t.rows.some((r) => r.cells.some((c) => c === null)) ? ['- no run reached this sparsity: values are interpolated between evaluated points, never extrapolated past a run\'s highest achieved sparsity.'] : []),
    ...(t.interpolated ? ['~ interpolated: at least one run was not evaluated at this sparsity; its value is linear in sparsity between its neighbouring evaluated points (dense at 0 included), then averaged over runs.'] : []),
    ...(all.some((s) => s.n === 1) ? ['n=1: a single run, so no spread and no interval.'] : []),
    ...(all.some((s) => s.ciUninformative)
      ? [`${UNINFORMATIVE_MARK} n=2: the 95% interval is mean ± t(0.975, 1) · std / √2 with t(0.975, 1) = 12.71, about ±9 std, and often the whole range once clipped; it says almost nothing. Run 3 or more seeds for a usable interval.`]
      : []),
    `Accuracy and sparsity in %, sparsity of prunable weights. max sparsity within ${Number((t.tolerance * 100).toFixed(3))}pt: highest evaluated sparsity with ${t.toleranceMetric} >= dense - ${Number((t.tolerance * 100).toFixed(3))} points, per run.`,
    'AUC: trapezoid area under each run\'s curve from 0 to its highest achieved sparsity, divided by that sparsity (the average over the range).',
    '[95% CI]: Student-t interval over the runs, clipped to the range the metric can take.',
    'Compression: total / nonzero parameters (non-prunable included) at each run\'s highest target.',
    'Training: examples each run trained on after its dense model (fine-tuning, and any training its schedule adds: ADMM, rewound or re-initialised training, mask derivation), mean over runs.' +
      (t.rows.some((r) => trainingRatio(t, r) !== null)
        ? ' (k.kkx) ! marks a row that trained k.kk times as much as the least-trained row: it got more training than the common budget, so its accuracy is not a like-for-like comparison.'
        : ''),
    ...(t.configPaths.length > 0
      ? [`Rows are also split by ${t.configPaths.join(', ')}: runs with the same strategy labels but a different value there (e.g. added with --set) are never averaged together.`]
      : []),
  ];
}

/** `_pct` on CSV headers whose values are in percent. */
const unitSuffix = (metric: string, kind: Kind): string => (inPercent(metric, kind) ? '_pct' : '');

/**
 * The wide, flat form of the table: one row per strategy, every statistic its
 * own column. Used by CSV. Accuracies and sparsities are in percent, and
 * their headers end in `_pct`; std and the interval are empty for n = 1, and
 * `_ci_uninformative` is true for n = 2.
 */
export function compareColumns(t: CompareTable): { columns: string[]; rows: Array<Array<Value>> } {
  const stats = (prefix: string, kind: Kind) => {
    const u = unitSuffix(t.metric, kind);
    return [`${prefix}_mean${u}`, `${prefix}_std${u}`, `${prefix}_n`, `${prefix}_ci_low${u}`, `${prefix}_ci_high${u}`, `${prefix}_ci_uninformative`];
  };
  const extraPrefix: Record<ExtraColumn, string> = { withinTolerance: 'within_tolerance_sparsity', auc: 'auc', compression: 'compression' };
  const columns = [
    'strategy',
    ...t.by,
    'runs',
    ...stats('dense', 'metric'),
    ...t.columns.flatMap((c) => [...stats(sparsityKey(c), 'metric'), `${sparsityKey(c)}_achieved_pct`, `${sparsityKey(c)}_interpolated`, `${sparsityKey(c)}_best`]),
    ...EXTRAS.flatMap((e) => [...stats(extraPrefix[e], extraKind[e]), `${extraPrefix[e]}_best`]),
    'training_examples_mean',
    'training_ratio_to_least',
    ...t.configPaths.map((p) => `config.${p}`),
  ];
  const vals = (s: Summary | null, kind: Kind): Value[] => {
    if (!s) return [null, null, null, null, null, null];
    const scale = (x: number) => (inPercent(t.metric, kind) ? toPct(x) : x);
    return [scale(s.mean), s.std === null ? null : scale(s.std), s.n, s.ci95 ? scale(s.ci95[0]) : null, s.ci95 ? scale(s.ci95[1]) : null, s.ciUninformative];
  };
  const rows = t.rows.map((r) => [
    r.strategy,
    ...t.by.map((f) => r.key[f] ?? null),
    r.runs,
    ...vals(r.dense, 'metric'),
    ...r.cells.flatMap((c, j) => [...vals(c, 'metric'), c ? toPct(c.achieved) : null, c ? c.interpolated : null, r.best.includes(j)]),
    ...EXTRAS.flatMap((e) => [...vals(r[e], extraKind[e]), r.bestExtras.includes(e)]),
    r.training ? r.training.mean : null,
    r.training && t.leastTraining ? r.training.mean / t.leastTraining : null,
    ...t.configPaths.map((p) => r.config[p] ?? null),
  ]);
  return { columns, rows };
}

/** What the JSON form says about its numbers: it is the CompareTable itself, in the library's units. */
const JSON_UNITS = 'fractions, like the SQL views: accuracy, sparsity, achieved and tolerance 0..1 (0.9 = 90%); loss as is; compression a ratio; std and ci95 null for n = 1';

/** Writes a comparison in one of the formats. JSON is the CompareTable itself, with a note on its units. */
export function formatCompare(t: CompareTable, format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify({ units: JSON_UNITS, ...t }, null, 2);
    case 'csv': {
      const { columns, rows } = compareColumns(t);
      return renderCsv(columns, rows);
    }
    case 'markdown': {
      const { header, rows, strategies } = humanRows(t);
      const text = (c: HumanCell) => {
        const s = [c.main, c.n && `(${c.n})`, c.ci, c.at].filter(Boolean).join(' ');
        return c.best ? `**${s}**` : s;
      };
      return [`**${title(t)}**`, '', renderMarkdown(header, rows.map((r, i) => [strategies[i]!, ...r.map(text)])), '', ...compareNotes(t, '**Bold**')].join('\n');
    }
    case 'table': {
      // Two lines per strategy keep a terminal-width table: mean ± std on the first, n, the CI and the achieved sparsity below.
      const { header, rows, strategies } = humanRows(t);
      const split = rows.flatMap((r, i) => [
        [strategies[i]!, ...r.map((c) => (c.best ? `${c.main} *` : c.main))],
        ['', ...r.map((c) => [c.n, c.ci, c.at].filter(Boolean).join(' '))],
      ]);
      return [title(t), renderText(header, split), ...compareNotes(t, '*')].join('\n');
    }
  }
}

/** The terminal table (kept for `prunelab run`'s closing summary). */
export function formatCompareTable(t: CompareTable): string {
  return formatCompare(t, 'table');
}
