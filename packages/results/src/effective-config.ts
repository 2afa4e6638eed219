import { runConfigs, runSummaries, type Db, type RunConfigRow } from '@prunelab/store';

/** One run's effective configuration, as results and reports show it. */
interface RunConfigView {
  /** The --set list that added the run to the sweep; empty when the sweep file generates it. */
  readonly overrides: readonly string[];
  /** The run's value at each of `EffectiveConfigs.paths`, as text. */
  readonly values: Readonly<Record<string, string>>;
}

export interface EffectiveConfigs {
  /**
   * Config paths whose value differs between the sweep's runs and that no
   * axis accounts for: a value changed by --set (dataset.trainSize=3000 next
   * to the file's 20000), or one an earlier version of the file set.
   */
  readonly paths: readonly string[];
  readonly runs: ReadonlyMap<string, RunConfigView>;
}

/** The leaves of a config, by dotted path; arrays are leaves (sparsities, hidden sizes). */
function leaves(value: unknown, prefix: string, out: Map<string, string>): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
    return;
  }
  out.set(prefix, typeof value === 'string' ? value : JSON.stringify(value));
}

/** An axis `prune.scope` accounts for the leaf `prune.scope` and those under it (`scorer` for `scorer.name`, ...). */
const coveredBy = (path: string, axes: readonly string[]) => axes.some((a) => path === a || path.startsWith(`${a}.`) || path.startsWith(`${a}[`));

/**
 * The configuration the runs really used (their stored config_json), reduced
 * to what tells them apart beyond their axes, with the overrides that added
 * each run: so a run added by `--set dataset.trainSize=3000` reads as
 * trainSize 3000, marked as overridden, and not as the sweep file says.
 */
export function effectiveConfigs(rows: readonly RunConfigRow[], axes: readonly string[]): EffectiveConfigs {
  const flat = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const m = new Map<string, string>();
    let config: unknown;
    try {
      config = JSON.parse(r.config_json);
    } catch {
      config = {};
    }
    leaves(config, '', m);
    flat.set(r.run_id, m);
  }
  const all = [...new Set([...flat.values()].flatMap((m) => [...m.keys()]))].sort();
  const paths = all.filter((p) => !coveredBy(p, axes) && new Set([...flat.values()].map((m) => m.get(p) ?? '(unset)')).size > 1);
  const runs = new Map<string, RunConfigView>();
  for (const r of rows) {
    const m = flat.get(r.run_id)!;
    runs.set(r.run_id, {
      overrides: r.overrides_json === null ? [] : (JSON.parse(r.overrides_json) as string[]),
      values: Object.fromEntries(paths.map((p) => [p, m.get(p) ?? '(unset)'])),
    });
  }
  return { paths, runs };
}

/** The runs grouped by what `effectiveConfigs` tells apart: one row per distinct (overrides, values), for the report. */
export function configGroups(c: EffectiveConfigs): Array<{ runs: number; overrides: readonly string[]; values: Readonly<Record<string, string>> }> {
  const groups = new Map<string, { runs: number; overrides: readonly string[]; values: Readonly<Record<string, string>> }>();
  for (const v of c.runs.values()) {
    const key = JSON.stringify([v.overrides, v.values]);
    const g = groups.get(key);
    if (g) g.runs++;
    else groups.set(key, { runs: 1, overrides: v.overrides, values: v.values });
  }
  return [...groups.values()];
}

/** The sweep's axis names: every key any of its runs' axes set (seed included). */
export function sweepAxes(db: Db, sweep: string): string[] {
  return [...new Set(runSummaries(db, sweep).flatMap((r) => Object.keys(JSON.parse(r.axes_json) as Record<string, unknown>)))];
}

/** `effectiveConfigs` over every run of a sweep, against every axis of the sweep. */
export function sweepEffectiveConfigs(db: Db, sweep: string): EffectiveConfigs {
  return effectiveConfigs(runConfigs(db, sweep), sweepAxes(db, sweep));
}
