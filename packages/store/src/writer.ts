import type { RunLabelColumns } from './queries.js';
import type { Db } from './open.js';
import type { RunStatus } from './schema.js';

/** A run as the runner registers it, before it executes. */
export interface RunRecord extends Readonly<RunLabelColumns> {
  readonly id: string;
  readonly sweep: string;
  readonly config: unknown;
  readonly seed: number;
  readonly axes: Record<string, unknown>;
  readonly datasetIdentity: unknown;
  readonly budget: unknown;
  readonly denseKey: string;
}

export interface PointRecord {
  readonly step: number;
  readonly phase: 'dense' | 'pruned' | 'finetuned';
  readonly onCurve: boolean;
  readonly targetSparsity: number;
  readonly sparsity: number;
  readonly nonzeroPrunable: number;
  readonly prunableParams: number;
  readonly totalParams: number;
  readonly nonzeroParams: number;
  readonly accuracy: number;
  readonly loss: number;
  readonly robustAccuracy?: number | undefined;
  readonly macsDense: number;
  readonly macsEffective: number;
  readonly perLayer: Record<string, number>;
  readonly wallMs: number;
}

export interface DenseModelRecord {
  readonly key: string;
  readonly dataset: string;
  readonly model: string;
  readonly seed: number;
  readonly config: unknown;
  readonly file: string;
  readonly accuracy: number;
  readonly loss: number;
  readonly steps: number;
  readonly wallMs: number;
  readonly backend: string;
}

const now = (): string => new Date().toISOString();

/**
 * All writes to the results database. Only the main thread holds a Writer:
 * workers send messages, the main thread applies them in short transactions.
 */
export class Writer {
  private readonly stmts;

  constructor(readonly db: Db) {
    this.stmts = {
      upsertSweep: db.prepare(
        `INSERT INTO sweeps (name, file, yaml, created_at, updated_at, git_commit) VALUES (@name, @file, @yaml, @now, @now, @gitCommit)
         ON CONFLICT(name) DO UPDATE SET file = excluded.file, yaml = excluded.yaml, updated_at = excluded.updated_at, git_commit = excluded.git_commit`,
      ),
      insertRun: db.prepare(
        `INSERT INTO runs (id, sweep, config_json, seed, dataset, model, scorer, structure, scope, schedule, axes_json, dataset_json, budget_json, dense_key)
         VALUES (@id, @sweep, @config, @seed, @dataset, @model, @scorer, @structure, @scope, @schedule, @axes, @datasetIdentity, @budget, @denseKey)
         ON CONFLICT(id) DO UPDATE SET scorer = excluded.scorer, schedule = excluded.schedule, structure = excluded.structure,
           scope = excluded.scope, model = excluded.model, dataset = excluded.dataset`,
      ),
      linkRun: db.prepare(`INSERT INTO sweep_runs (sweep, run_id) VALUES (?, ?) ON CONFLICT DO NOTHING`),
      unlinkOthers: db.prepare(`DELETE FROM sweep_runs WHERE sweep = ? AND run_id NOT IN (SELECT value FROM json_each(?))`),
      status: db.prepare(`SELECT id, status FROM runs WHERE id = ?`),
      start: db.prepare(
        `UPDATE runs SET status = 'running', backend = @backend, lane = @lane, env_json = @env, started_at = @now, ended_at = NULL,
         error = NULL, error_stack = NULL, attempts = attempts + 1 WHERE id = @id`,
      ),
      clearPoints: db.prepare(`DELETE FROM points WHERE run_id = ?`),
      addPoint: db.prepare(
        `INSERT INTO points (run_id, step, phase, on_curve, target_sparsity, sparsity, nonzero_params, prunable_params, total_params, nonzero_total,
           accuracy, loss, robust_accuracy, macs_dense, macs_effective, per_layer_json, wall_ms)
         VALUES (@runId, @step, @phase, @onCurve, @targetSparsity, @sparsity, @nonzeroPrunable, @prunableParams, @totalParams, @nonzeroParams,
           @accuracy, @loss, @robustAccuracy, @macsDense, @macsEffective, @perLayer, @wallMs)
         ON CONFLICT(run_id, step) DO UPDATE SET phase = excluded.phase, accuracy = excluded.accuracy, loss = excluded.loss`,
      ),
      finish: db.prepare(`UPDATE runs SET status = @status, ended_at = @now, error = @error, error_stack = @stack, score_ms = COALESCE(@scoreMs, score_ms) WHERE id = @id`),
      interruptRunning: db.prepare(`UPDATE runs SET status = 'interrupted', ended_at = @now WHERE status = 'running' AND id = @id`),
      addDense: db.prepare(
        `INSERT INTO dense_models (key, dataset, model, seed, config_json, file, accuracy, loss, steps, wall_ms, backend, created_at)
         VALUES (@key, @dataset, @model, @seed, @config, @file, @accuracy, @loss, @steps, @wallMs, @backend, @now)
         ON CONFLICT(key) DO UPDATE SET file = excluded.file, accuracy = excluded.accuracy, loss = excluded.loss, steps = excluded.steps,
           wall_ms = excluded.wall_ms, backend = excluded.backend, created_at = excluded.created_at`,
      ),
    };
  }

  upsertSweep(s: { name: string; file: string | null; yaml: string; gitCommit: string | null }): void {
    this.stmts.upsertSweep.run({ ...s, now: now() });
  }

  /** Registers runs as pending (existing ids keep their status) and links them to the sweep. */
  registerRuns(sweep: string, runs: readonly RunRecord[]): void {
    this.db.transaction(() => {
      for (const r of runs) {
        this.stmts.insertRun.run({
          ...r,
          config: JSON.stringify(r.config),
          axes: JSON.stringify(r.axes),
          datasetIdentity: JSON.stringify(r.datasetIdentity),
          budget: JSON.stringify(r.budget),
        });
        this.stmts.linkRun.run(sweep, r.id);
      }
    })();
  }

  /**
   * After a sweep file was edited: runs its current version no longer
   * generates leave the sweep (they stay in the database, and in any other
   * sweep that has them), so compare and report show only the current sweep.
   */
  unlinkOtherRuns(sweep: string, ids: readonly string[]): number {
    return this.stmts.unlinkOthers.run(sweep, JSON.stringify(ids)).changes;
  }

  statuses(ids: readonly string[]): Map<string, RunStatus> {
    const out = new Map<string, RunStatus>();
    for (const id of ids) {
      const row = this.stmts.status.get(id) as { id: string; status: RunStatus } | undefined;
      if (row) out.set(id, row.status);
    }
    return out;
  }

  /** Marks a run as running and drops points from an earlier attempt, so points are never duplicated. */
  startRun(id: string, info: { backend: string; lane: string; env: unknown }): void {
    this.db.transaction(() => {
      this.stmts.clearPoints.run(id);
      this.stmts.start.run({ id, backend: info.backend, lane: info.lane, env: JSON.stringify(info.env), now: now() });
    })();
  }

  addPoint(runId: string, p: PointRecord): void {
    this.stmts.addPoint.run({
      runId,
      step: p.step,
      phase: p.phase,
      onCurve: p.onCurve ? 1 : 0,
      targetSparsity: p.targetSparsity,
      sparsity: p.sparsity,
      nonzeroPrunable: p.nonzeroPrunable,
      prunableParams: p.prunableParams,
      totalParams: p.totalParams,
      nonzeroParams: p.nonzeroParams,
      accuracy: p.accuracy,
      loss: p.loss,
      robustAccuracy: p.robustAccuracy ?? null,
      macsDense: p.macsDense,
      macsEffective: p.macsEffective,
      perLayer: JSON.stringify(p.perLayer),
      wallMs: p.wallMs,
    });
  }

  finishRun(id: string, outcome: { status: Exclude<RunStatus, 'pending' | 'running'>; error?: string; stack?: string; scoreMs?: number }): void {
    this.stmts.finish.run({ id, status: outcome.status, error: outcome.error ?? null, stack: outcome.stack ?? null, scoreMs: outcome.scoreMs ?? null, now: now() });
  }

  /**
   * After a crash: the given runs still marked `running` become `interrupted`.
   * Only this invocation's runs (its shard) are touched, so two processes
   * sharing one database never interrupt each other's work.
   */
  interruptRunning(ids: readonly string[]): number {
    const at = now();
    return this.db.transaction(() => ids.reduce((n, id) => n + this.stmts.interruptRunning.run({ id, now: at }).changes, 0))();
  }

  recordDense(d: DenseModelRecord): void {
    this.stmts.addDense.run({ ...d, config: JSON.stringify(d.config), now: now() });
  }
}
