import { sweepCurve, type Db, type Filter } from '@prunelab/store';
import { runCurves, STRATEGY_FIELDS, type StrategyField } from './curve.js';
import { esc } from './html.js';
import { resolveWhere } from './where.js';

/** Mean per-layer sparsity of one strategy: layers × targets. */
export interface LayerSparsity {
  readonly strategy: string;
  readonly layers: readonly string[];
  readonly targets: readonly number[];
  /** values[layer][target]; null where no run has that layer at that target. */
  readonly values: ReadonlyArray<ReadonlyArray<number | null>>;
}

/** Per strategy, the per-layer sparsity at each target (points.per_layer_json), averaged over runs. */
export function layerSparsity(db: Db, sweep: string, options: { where?: Filter; by?: readonly StrategyField[] } = {}): LayerSparsity[] {
  const curves = runCurves(sweepCurve(db, sweep, resolveWhere(db, sweep, options.where ?? [])), 'accuracy');
  const vary = options.by ?? STRATEGY_FIELDS.filter((f) => new Set(curves.map((c) => c.labels[f])).size > 1);
  const by: readonly StrategyField[] = vary.length > 0 ? vary : ['scorer'];
  const groups = new Map<string, Map<string, Map<number, number[]>>>();
  for (const c of curves) {
    const name = by.map((f) => c.labels[f]).join(' / ');
    const layers = groups.get(name) ?? new Map<string, Map<number, number[]>>();
    for (const p of c.points) {
      for (const [layer, s] of Object.entries(p.perLayer)) {
        const byTarget = layers.get(layer) ?? new Map<number, number[]>();
        byTarget.set(p.targetSparsity, [...(byTarget.get(p.targetSparsity) ?? []), s]);
        layers.set(layer, byTarget);
      }
    }
    groups.set(name, layers);
  }
  return [...groups]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([strategy, layers]) => {
      // Layer names keep the model's order (insertion order of per_layer_json).
      const names = [...layers.keys()];
      const targets = [...new Set([...layers.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
      return {
        strategy,
        layers: names,
        targets,
        values: names.map((l) => targets.map((t) => {
          const vs = layers.get(l)?.get(t);
          return vs && vs.length > 0 ? vs.reduce((a, b) => a + b, 0) / vs.length : null;
        })),
      };
    });
}

/** White at 0 to dark blue at 1; text turns white on dark cells. */
function cellStyle(s: number): string {
  const t = Math.min(1, Math.max(0, s));
  const r = Math.round(255 - t * (255 - 8));
  const g = Math.round(255 - t * (255 - 48));
  const b = Math.round(255 - t * (255 - 107));
  return `background:rgb(${r},${g},${b});color:${t > 0.55 ? '#fff' : '#000'}`;
}

/** One HTML table per strategy, cells coloured by sparsity: a heatmap without a plotting round trip. */
export function layerHeatmapHtml(maps: readonly LayerSparsity[]): string {
  return maps
    .map((m) => {
      const head = `<tr><th>layer \\ target</th>${m.targets.map((t) => `<th>${esc(`${Number((t * 100).toFixed(2))}%`)}</th>`).join('')}</tr>`;
      const rows = m.layers
        .map((l, i) => `<tr><th>${esc(l)}</th>${m.targets.map((_, j) => {
          const v = m.values[i]?.[j] ?? null;
          return v === null ? '<td>-</td>' : `<td style="${cellStyle(v)}">${esc((v * 100).toFixed(1))}</td>`;
        }).join('')}</tr>`)
        .join('\n');
      return `<table class="heatmap" data-strategy="${esc(m.strategy)}"><caption>${esc(m.strategy)}: sparsity per layer (%), mean over seeds</caption><thead>${head}</thead><tbody>\n${rows}\n</tbody></table>`;
    })
    .join('\n');
}
