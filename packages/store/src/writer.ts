import type { RunLabelColumns } from './queries.js';
import type { Db } from './open.js';
import type { RunStatus } from './schema.js';
import { AttemptStatements, claimRun, type Claim, type ClaimOptions } from './attempt.js';
import { ownerIsGone } from './ownership.js';

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
 * The training a run did after dense training, per phase (finetune,
 * rewind-train, reinit-train, gradual, admm, mask-derivation): what
 * runs.training_json stores, with its totals in train_steps and train_examples.
 */
export type TrainingRecord = Readonly<Record<string, { readonly steps: number; readonly examples: number }>>;

/** A run's status and holder, as the end of a sweep reports it. */
export interface RunState {
  readonly status: RunStatus;
  readonly owner: string | null;
  readonly leaseUntil: number | null;
}

/** The runs a plain run of the sweep file took out of the sweep, by how they had entered it. */
export interface Unlinked {
  /** Runs an earlier version of the file generated. */
  readonly fromFile: number;
  /** Runs an earlier command added with --set, by its --set list. */
  readonly fromOverrides: ReadonlyArray<{ readonly overrides: readonly string[]; readonly runs: number }>;
}

/**
 * All writes to the results database. Only the main thread holds a Writer:
 * workers send messages, the main thread applies them in short transactions.
 */
export class Writer {
  private readonly stmts;
  private readonly attempts: AttemptStatements;

  constructor(readonly db: Db) {
    this.attempts = new AttemptStatements(db);
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
      // A link made by a command without --set marks the run as the file's own (NULL), even if --set had added it
      // first; a link made with --set never overwrites the file's mark.
      linkRun: db.prepare(
        `INSERT INTO sweep_runs (sweep, run_id, overrides_json) VALUES (@sweep, @id, @overrides)
         ON CONFLICT DO UPDATE SET overrides_json = CASE WHEN excluded.overrides_json IS NULL THEN NULL ELSE overrides_json END`,
      ),
      unlinkOthers: db.prepare(`DELETE FROM sweep_runs WHERE sweep = ? AND run_id NOT IN (SELECT value FROM json_each(?)) RETURNING overrides_json`),
      status: db.prepare(`SELECT id, status FROM runs WHERE id = ?`),
      state: db.prepare(`SELECT status, owner, lease_until AS leaseUntil FROM runs WHERE id = ?`),
      renew: db.prepare(`UPDATE runs SET lease_until = @until WHERE owner = @owner AND status = 'running'`),
      release: db.prepare(
        `UPDATE runs SET status = 'interrupted', lease_until = NULL, ended_at = @now, error = @error
         WHERE id = @id AND status = 'running' AND owner IS @owner`,
      ),
      addDense: db.prepare(
        `INSERT INTO dense_models (key, dataset, model, seed, config_json, file, accuracy, loss, steps, wall_ms, backend, created_at)
         VALUES (@key, @dataset, @model, @seed, @config, @file, @accuracy, @loss, @steps, @wallMs, @backend, @now)
         ON CONFLICT(key) DO UPDATE SET file = excluded.file, accuracy = excluded.accuracy, loss = excluded.loss, steps = excluded.steps,
           wall_ms = excluded.wall_ms, backend = excluded.backend, created_at = excluded.created_at`,
      ),
      // Like every write of a run, only its owner's attempt may record its training.
      training: db.prepare(
        `UPDATE runs SET training_json = @training, train_steps = @steps, train_examples = @examples
         WHERE id = @id AND owner = @owner AND status = 'running'`,
      ),
    };
  }

  upsertSweep(s: { name: string; file: string | null; yaml: string; gitCommit: string | null }): void {
    this.stmts.upsertSweep.run({ ...s, now: now() });
  }

  /**
   * Registers runs as pending (existing ids keep their status) and links them
   * to the sweep, with the --set list of the command that adds them (none:
   * the sweep file itself generates them).
   */
  registerRuns(sweep: string, runs: readonly RunRecord[], overrides: readonly string[] = []): void {
    const link = overrides.length > 0 ? JSON.stringify(overrides) : null;
    this.db.transaction(() => {
      for (const r of runs) {
        this.stmts.insertRun.run({
          ...r,
          config: JSON.stringify(r.config),
          axes: JSON.stringify(r.axes),
          datasetIdentity: JSON.stringify(r.datasetIdentity),
          budget: JSON.stringify(r.budget),
        });
        this.stmts.linkRun.run({ sweep, id: r.id, overrides: link });
      }
    })();
  }

  /**
   * A plain run of the sweep file (no --set, no shard) makes the sweep what
   * the file generates: other runs leave the sweep (they stay in the
   * database, and in any other sweep that has them), and the caller says so.
   * Commands with --set only ever add runs.
   */
  unlinkOtherRuns(sweep: string, ids: readonly string[]): Unlinked {
    const rows = this.stmts.unlinkOthers.all(sweep, JSON.stringify(ids)) as Array<{ overrides_json: string | null }>;
    const byList = new Map<string, number>();
    for (const r of rows) if (r.overrides_json !== null) byList.set(r.overrides_json, (byList.get(r.overrides_json) ?? 0) + 1);
    return {
      fromFile: rows.filter((r) => r.overrides_json === null).length,
      fromOverrides: [...byList].map(([json, runs]) => ({ overrides: JSON.parse(json) as string[], runs })),
    };
  }

  statuses(ids: readonly string[]): Map<string, RunStatus> {
    const out = new Map<string, RunStatus>();
    for (const id of ids) {
      const row = this.stmts.status.get(id) as { id: string; status: RunStatus } | undefined;
      if (row) out.set(id, row.status);
    }
    return out;
  }

  /** Each run's status and holder; runs not in the database are left out. */
  states(ids: readonly string[]): Map<string, RunState> {
    const out = new Map<string, RunState>();
    for (const id of ids) {
      const row = this.stmts.state.get(id) as RunState | undefined;
      if (row) out.set(id, row);
    }
    return out;
  }

  /**
   * Takes a run for one attempt of this process, dropping an earlier attempt's
   * points; refused while the run is done, failed (unless retrying) or held
   * by a live owner. Only the returned attempt may write the run.
   */
  claimRun(id: string, options: ClaimOptions): Claim {
    return claimRun(this.attempts, id, options);
  }

  /** Extends the lease of every run `owner` holds (the heartbeat of a live process). */
  renewLeases(owner: string, leaseMs: number, at = Date.now()): number {
    return this.stmts.renew.run({ owner, until: at + leaseMs }).changes;
  }

  /**
   * Runs among `ids` left `running` by a process that is gone (see
   * ownerIsGone) become `interrupted`, so the database says what happened;
   * runs of a live owner, here or elsewhere, are not touched.
   */
  releaseAbandoned(ids: readonly string[], me: string, at = Date.now()): number {
    return this.db
      .transaction(() => {
        let n = 0;
        for (const [id, s] of this.states(ids)) {
          if (s.status !== 'running' || !ownerIsGone(s.owner, s.leaseUntil, at, me)) continue;
          n += this.stmts.release.run({
            id,
            owner: s.owner,
            now: new Date(at).toISOString(),
            error: `its process (${s.owner ?? 'unknown'}) ended without finishing it`,
          }).changes;
        }
        return n;
      })
      .immediate();
  }

  recordDense(d: DenseModelRecord): void {
    this.stmts.addDense.run({ ...d, config: JSON.stringify(d.config), now: now() });
  }

  /**
   * Stores the training a run's attempt did, before it finishes the run. False:
   * the attempt no longer owns the run, nothing was written.
   */
  recordTraining(attempt: { readonly runId: string; readonly owner: string }, training: TrainingRecord): boolean {
    let steps = 0;
    let examples = 0;
    for (const t of Object.values(training)) {
      steps += t.steps;
      examples += t.examples;
    }
    const r = this.stmts.training.run({ id: attempt.runId, owner: attempt.owner, training: JSON.stringify(training), steps, examples });
    return r.changes === 1;
  }
}
