import { existsSync } from 'node:fs';
import { PrunelabError } from '@prunelab/core';
import { openDatabase, schemaVersion, type Db } from './open.js';
import { MIGRATIONS } from './schema.js';

/**
 * Read queries for the results layer (compare, plot, report, export). The SQL
 * lives here so that callers never build statements: filters arrive as
 * field/value pairs, the field is checked against a fixed list of column names
 * and every value is bound as a parameter.
 */

/** The columns a `--where` filter may name; each exists in both `all_points` and `run_summary`. */
export const FILTER_FIELDS = ['dataset', 'model', 'scorer', 'structure', 'scope', 'schedule', 'seed', 'status', 'backend', 'run_id'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

/** One clause per field; several values of one field mean any of them (SQL IN). Clauses are ANDed. */
export interface FilterClause {
  readonly field: FilterField;
  readonly values: readonly string[];
}
export type Filter = readonly FilterClause[];

export function isFilterField(name: string): name is FilterField {
  return (FILTER_FIELDS as readonly string[]).includes(name);
}

/** ` AND col IN (?, ...)` per clause, with its parameters. Only whitelisted names reach the SQL text. */
function filterSql(filter: Filter): { sql: string; params: Array<string | number> } {
  const parts: string[] = [];
  const params: Array<string | number> = [];
  for (const clause of filter) {
    if (!isFilterField(clause.field)) throw new PrunelabError('E_INTERNAL', `not a filter field: ${String(clause.field)}`);
    if (clause.values.length === 0) continue;
    parts.push(` AND ${clause.field} IN (${clause.values.map(() => '?').join(', ')})`);
    // seed is an integer column: bind numbers so the comparison does not depend on view column affinity.
    for (const v of clause.values) params.push(clause.field === 'seed' && /^-?\d+$/.test(v) ? Number(v) : v);
  }
  return { sql: parts.join(''), params };
}

/**
 * Opens a results database for reading. Readonly connections cannot migrate,
 * so a database written by an older prunelab is first upgraded once (the
 * migrations after the first only add views) and then reopened readonly.
 */
export function openResultsDatabase(file: string): Db {
  if (!existsSync(file)) {
    throw new PrunelabError('E_FILE_NOT_FOUND', 'no results database', {
      file,
      fix: 'Run a sweep first (prunelab run experiments/quickstart.yaml), or pass --db FILE',
    });
  }
  // The read-only open checks that this is a prunelab database before anything may migrate (write to) it.
  const probe = openDatabase(file, { readonly: true });
  const behind = (() => {
    try {
      return schemaVersion(probe) < MIGRATIONS.length;
    } finally {
      probe.close();
    }
  })();
  if (behind) openDatabase(file).close();
  return openDatabase(file, { readonly: true });
}

export interface SweepListRow {
  name: string;
  file: string | null;
  created_at: string;
  updated_at: string;
  git_commit: string | null;
  runs: number;
  pending: number;
  running: number;
  done: number;
  failed: number;
  interrupted: number;
}

/** Every sweep with its run counts by status. */
export function listSweeps(db: Db): SweepListRow[] {
  return db
    .prepare(
      `SELECT s.name, s.file, s.created_at, s.updated_at, s.git_commit,
              COUNT(r.id) AS runs,
              COALESCE(SUM(r.status = 'pending'), 0) AS pending,
              COALESCE(SUM(r.status = 'running'), 0) AS running,
              COALESCE(SUM(r.status = 'done'), 0) AS done,
              COALESCE(SUM(r.status = 'failed'), 0) AS failed,
              COALESCE(SUM(r.status = 'interrupted'), 0) AS interrupted
       FROM sweeps s
       LEFT JOIN sweep_runs sr ON sr.sweep = s.name
       LEFT JOIN runs r ON r.id = sr.run_id
       GROUP BY s.name
       ORDER BY s.updated_at DESC, s.name`,
    )
    .all() as SweepListRow[];
}

export interface SweepRecordRow {
  name: string;
  file: string | null;
  yaml: string;
  created_at: string;
  updated_at: string;
  git_commit: string | null;
}

/** The short strategy labels a run is stored with (the runs table's label columns). */
export interface RunLabelColumns {
  dataset: string;
  model: string;
  scorer: string;
  structure: string;
  scope: string;
  schedule: string;
}

/** The label columns every run-level view carries (runs' columns). */
export interface LabelColumns extends RunLabelColumns {
  seed: number;
}

export function sweepRecord(db: Db, name: string): SweepRecordRow | undefined {
  return db.prepare(`SELECT name, file, yaml, created_at, updated_at, git_commit FROM sweeps WHERE name = ?`).get(name) as SweepRecordRow | undefined;
}

export interface RunSummaryRow extends LabelColumns {
  sweep: string;
  run_id: string;
  status: string;
  backend: string | null;
  lane: string | null;
  attempts: number;
  started_at: string | null;
  ended_at: string | null;
  wall_s: number | null;
  score_ms: number | null;
  dense_accuracy: number | null;
  n_points: number;
  max_target: number | null;
  max_sparsity: number | null;
  best_accuracy: number | null;
  final_accuracy: number | null;
  final_compression: number | null;
  error: string | null;
  axes_json: string;
  env_json: string | null;
  /** Training after dense training, all phases: optimizer steps and examples (NULL: not recorded, e.g. runs from before it was). */
  train_steps: number | null;
  train_examples: number | null;
  /** The same per phase, as JSON: {"finetune": {"steps": ..., "examples": ...}, ...}. */
  training_json: string | null;
}

/** The sweep's runs from the `run_summary` view, whatever their status. */
export function runSummaries(db: Db, sweep: string, filter: Filter = []): RunSummaryRow[] {
  const f = filterSql(filter);
  return db
    .prepare(`SELECT * FROM run_summary WHERE sweep = ?${f.sql} ORDER BY dataset, model, scorer, structure, scope, schedule, seed, run_id`)
    .all(sweep, ...f.params) as RunSummaryRow[];
}

export interface RunConfigRow {
  run_id: string;
  /** The full config the run used, defaults filled in, --set overrides applied. */
  config_json: string;
  /** The --set list of the command that added the run to this sweep (JSON array); null when the sweep file generates it. */
  overrides_json: string | null;
}

/** Each run of a sweep with the configuration it used and the overrides that added it: what runs and reports show as the effective configuration. */
export function runConfigs(db: Db, sweep: string): RunConfigRow[] {
  return db
    .prepare(`SELECT r.id AS run_id, r.config_json, sr.overrides_json FROM runs r JOIN sweep_runs sr ON sr.run_id = r.id WHERE sr.sweep = ? ORDER BY r.id`)
    .all(sweep) as RunConfigRow[];
}

/** One point as the store hands it to results: a row of all_points, its columns as SQL names them. */
export interface CurvePointRow extends LabelColumns {
  run_id: string;
  step: number;
  phase: 'dense' | 'pruned' | 'finetuned';
  target_sparsity: number;
  sparsity: number;
  accuracy: number;
  loss: number;
  robust_accuracy: number | null;
  nonzero_params: number;
  prunable_params: number;
  total_params: number;
  nonzero_total: number;
  compression: number;
  macs_dense: number;
  macs_effective: number;
  per_layer_json: string;
  backend: string | null;
  /** The run's training after dense training, all phases (NULL: not recorded). */
  train_steps: number | null;
  train_examples: number | null;
}

/**
 * The curve points of a sweep's finished runs: the same rows as the
 * `curve_points` view (done runs, on-curve points), plus the per-layer
 * sparsities that the view leaves out. Ordered by run, then sparsity.
 */
export function sweepCurve(db: Db, sweep: string, filter: Filter = []): CurvePointRow[] {
  const f = filterSql(filter);
  return db
    .prepare(
      `SELECT run_id, dataset, model, scorer, structure, scope, schedule, seed, step, phase, target_sparsity, sparsity, accuracy, loss,
              robust_accuracy, nonzero_params, prunable_params, total_params, nonzero_total, compression, macs_dense, macs_effective,
              per_layer_json, backend, train_steps, train_examples
       FROM all_points
       WHERE sweep = ? AND status = 'done' AND on_curve = 1${f.sql}
       ORDER BY run_id, sparsity, step`,
    )
    .all(sweep, ...f.params) as CurvePointRow[];
}
