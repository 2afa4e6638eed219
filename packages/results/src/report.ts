import { runConfigs, runSummaries, sweepRecord, listSweeps, type Db, type Filter, type RunSummaryRow } from '@prunelab/store';
import { compare, type CompareTable } from './compare.js';
import { compareNotes, humanRows, type HumanCell } from './compare-format.js';
import { configGroups, effectiveConfigs, sweepAxes, type EffectiveConfigs } from './effective-config.js';
import type { Metric } from './curve.js';
import { layerHeatmapHtml, layerSparsity } from './heatmap.js';
import { esc, htmlTable } from './html.js';
import { bandDescription, PLOT_AXES, plotData, plotSpec } from './plot.js';
import { renderSvg } from './render.js';
import { requireSweep } from './runs.js';
import { formatWhere, resolveWhere } from './where.js';

export interface ReportOptions {
  readonly where?: Filter;
  readonly tolerance?: number;
  /** Fixed in tests so the page is reproducible. */
  readonly generatedAt?: string;
}

// Inline only: the page must render with no network at all.
const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1f24}
h1{font-size:1.6rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:13px}caption{text-align:left;font-weight:600;padding:.3rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right;vertical-align:top}th:first-child,td:first-child{text-align:left}
thead th{background:#f6f8fa}td.best{font-weight:700;background:#e6ffec}
pre{background:#f6f8fa;padding:.8rem;overflow:auto;font-size:12px;white-space:pre-wrap}
.plots{display:flex;flex-wrap:wrap;gap:1rem}figure{margin:0}figcaption{font-size:12px;color:#57606a}
.note{color:#57606a;font-size:12px}.heatmaps{display:flex;flex-wrap:wrap;gap:1.5rem}
`;

function cellHtml(c: HumanCell): string {
  const detail = [c.n && `(${c.n})`, c.ci, c.at].filter(Boolean).join(' ');
  const main = esc(c.main).replace(/ ~$/, ' <span title="interpolated">~</span>');
  const html = `${main}${detail ? ` <span class="note">${esc(detail)}</span>` : ''}`;
  return c.best ? `<strong>${html}</strong>` : html;
}

/** The comparison as an HTML table: the same cells and notes as the terminal and markdown forms. */
function compareHtml(t: CompareTable): string {
  const { header, rows, strategies } = humanRows(t);
  const unit = t.metric === 'loss' ? 'test loss' : `test ${t.metric} (%)`;
  return [
    htmlTable(header, rows.map((r, i) => [esc(strategies[i]), ...r.map(cellHtml)]), {
      className: 'compare',
      caption: `${unit} by ${t.by.join(' / ')}: mean ± std (n runs) [95% CI]`,
      rowAttrs: t.rows.map((r) => [['data-strategy', r.strategy]]),
    }),
    `<p class="note">${compareNotes(t, 'Bold').map(esc).join('<br>\n')}</p>`,
  ].join('\n');
}

/** Flattens env_json into dotted keys: {backend: {name}} → backend.name. */
function flatten(value: unknown, prefix = ''): Array<[string, string]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)]];
}

function environmentHtml(runs: readonly RunSummaryRow[]): string {
  const envs = new Map<string, number>();
  for (const r of runs) if (r.env_json) envs.set(r.env_json, (envs.get(r.env_json) ?? 0) + 1);
  if (envs.size === 0) return '<p>No run recorded its environment yet.</p>';
  return [...envs]
    .map(([json, n], i) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        parsed = json;
      }
      return htmlTable(['key', 'value'], flatten(parsed).map(([k, v]) => [esc(k), esc(v)]), { className: 'env', caption: `environment ${i + 1} (${n} run(s))` });
    })
    .join('\n');
}

/** A run's values where the runs differ beyond their axes, and the --set list that added it (the effective configuration). */
function configCell(configs: EffectiveConfigs, runId: string): string {
  const c = configs.runs.get(runId);
  if (!c) return '';
  const values = configs.paths.map((p) => `${p}=${c.values[p]}`).join(', ');
  const marked = c.overrides.length > 0 ? ` <span class="note overridden">overridden: --set ${esc(c.overrides.join(' --set '))}</span>` : '';
  return `${esc(values)}${marked}`;
}

function runsHtml(runs: readonly RunSummaryRow[], failedOnly: boolean, configs: EffectiveConfigs): string {
  const list = failedOnly ? runs.filter((r) => r.status === 'failed' || r.status === 'interrupted') : runs;
  if (list.length === 0) return failedOnly ? '<p class="none">No failed or interrupted runs.</p>' : '<p>No runs.</p>';
  const showConfig = !failedOnly && (configs.paths.length > 0 || [...configs.runs.values()].some((c) => c.overrides.length > 0));
  const header = failedOnly
    ? ['run', 'axes', 'status', 'attempts', 'reason']
    : ['run', 'axes', ...(showConfig ? ['configuration beyond the axes'] : []), 'status', 'backend', 'started', 'wall (s)', 'points', 'final accuracy (%)'];
  const rows = list.map((r) =>
    failedOnly
      ? [esc(r.run_id), esc(r.axes_json), esc(r.status), esc(r.attempts), `<pre>${esc(r.error ?? '(no message)')}</pre>`]
      : [
          esc(r.run_id),
          esc(r.axes_json),
          ...(showConfig ? [configCell(configs, r.run_id)] : []),
          esc(r.status),
          esc(r.backend ?? ''),
          esc(r.started_at ?? ''),
          esc(r.wall_s?.toFixed(1) ?? ''),
          esc(r.n_points),
          esc(r.final_accuracy === null ? '' : (r.final_accuracy * 100).toFixed(2)),
        ],
  );
  return htmlTable(header, rows, { className: failedOnly ? 'failed' : 'runs' });
}

/**
 * What the runs used, beside the file's YAML: the configuration is stored per
 * run, so runs added with --set (or by an earlier version of the file) show
 * their own values, marked, instead of the file's.
 */
function effectiveConfigHtml(configs: EffectiveConfigs): string {
  const groups = configGroups(configs);
  const overridden = groups.some((g) => g.overrides.length > 0);
  if (configs.paths.length === 0 && !overridden) return '<p class="note">Every run used this configuration, with its axes\' values.</p>';
  const header = ['runs', 'added by', ...configs.paths];
  const rows = groups.map((g) => [
    esc(g.runs),
    g.overrides.length > 0 ? `<span class="overridden">--set ${esc(g.overrides.join(' --set '))}</span>` : 'the sweep file',
    ...configs.paths.map((p) => esc(g.values[p] ?? '')),
  ]);
  return htmlTable(header, rows, { className: 'effective-config', caption: 'Configuration the runs used, where it differs beyond their axes (runs added by --set are marked)' });
}

/**
 * The sweep as one self-contained HTML page: compare tables, plots (inline
 * SVG), per-layer sparsity heatmaps, the sweep's YAML, the environment, and
 * the failed runs with their reasons. No scripts, and a Content-Security-Policy
 * that forbids loading anything, so the page works offline and an injected
 * string could not run even if it escaped escaping.
 */
export async function buildReport(db: Db, sweep: string, options: ReportOptions = {}): Promise<string> {
  requireSweep(db, sweep);
  const where = options.where ?? [];
  const record = sweepRecord(db, sweep)!;
  const counts = listSweeps(db).find((s) => s.name === sweep);
  const runs = runSummaries(db, sweep, resolveWhere(db, sweep, where));
  const axes = sweepAxes(db, sweep);
  const listed = new Set(runs.map((r) => r.run_id));
  const configs = effectiveConfigs(runConfigs(db, sweep).filter((r) => listed.has(r.run_id)), axes);
  const accuracy = compare(db, sweep, { metric: 'accuracy', where, ...(options.tolerance !== undefined && { tolerance: options.tolerance }) });
  const hasRobust = accuracy.rows.length > 0 && compare(db, sweep, { metric: 'robust_accuracy', where }).rows.some((r) => r.cells.some((c) => c !== null));
  const metrics: Metric[] = hasRobust ? ['accuracy', 'robust_accuracy', 'loss'] : ['accuracy', 'loss'];
  const tables = metrics.map((m) => (m === 'accuracy' ? accuracy : compare(db, sweep, { metric: m, where, ...(options.tolerance !== undefined && { tolerance: options.tolerance }) })));

  const plots: string[] = [];
  if (accuracy.rows.length > 0) {
    for (const metric of hasRobust ? (['accuracy', 'robust_accuracy'] as const) : (['accuracy'] as const)) {
      for (const x of PLOT_AXES) {
        const data = plotData(db, sweep, { x, metric, where });
        const svg = await renderSvg(plotSpec(data, { x, metric }));
        plots.push(`<figure class="plot" data-x="${esc(x)}" data-metric="${esc(metric)}">${svg}<figcaption>${esc(metric)} vs ${esc(x)}: ${esc(bandDescription(data))}</figcaption></figure>`);
      }
    }
  }
  const generated = options.generatedAt ?? new Date().toISOString();
  const summaryLine = counts
    ? `${counts.runs} runs: ${counts.done} done, ${counts.failed} failed, ${counts.interrupted} interrupted, ${counts.running} running, ${counts.pending} pending`
    : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prunelab report: ${esc(sweep)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>prunelab report: ${esc(sweep)}</h1>
<p class="meta">${esc(summaryLine)}. File ${esc(record.file ?? '(none)')}, git ${esc(record.git_commit ?? 'unknown')}, updated ${esc(record.updated_at)}; generated ${esc(generated)}${where.length > 0 ? `; only runs where ${esc(formatWhere(where))}` : ''}.</p>
<section id="compare"><h2>Comparison</h2>
${accuracy.rows.length > 0 ? tables.map(compareHtml).join('\n') : '<p>No finished runs yet.</p>'}
</section>
<section id="plots"><h2>Curves</h2>
<div class="plots">${plots.join('\n')}</div>
</section>
<section id="layers"><h2>Sparsity per layer</h2>
<div class="heatmaps">${layerHeatmapHtml(layerSparsity(db, sweep, { where }))}</div>
</section>
<section id="failed"><h2>Failed and interrupted runs</h2>
${runsHtml(runs, true, configs)}
</section>
<section id="runs"><h2>Runs</h2>
${runsHtml(runs, false, configs)}
</section>
<section id="environment"><h2>Environment</h2>
${environmentHtml(runs)}
</section>
<section id="config"><h2>Sweep configuration</h2>
<pre class="yaml">${esc(record.yaml)}</pre>
${effectiveConfigHtml(configs)}
</section>
</body>
</html>
`;
}
