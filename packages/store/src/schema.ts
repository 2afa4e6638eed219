/**
 * The schema, as forward-only migrations. `PRAGMA user_version` holds the
 * number of migrations applied; opening a database applies the missing ones
 * in one transaction. Never edit a released migration: append a new one.
 */
export const TABLES = {
  sweeps: 'sweeps',
  runs: 'runs',
  sweepRuns: 'sweep_runs',
  points: 'points',
  denseModels: 'dense_models',
  artifacts: 'artifacts',
} as const;

export const VIEWS = {
  curvePoints: 'curve_points',
  allPoints: 'all_points',
  runSummary: 'run_summary',
} as const;

export const RUN_STATUSES = ['pending', 'running', 'done', 'failed', 'interrupted'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE sweeps (
    name        TEXT PRIMARY KEY,
    file        TEXT,
    yaml        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    git_commit  TEXT
  );

  CREATE TABLE runs (
    id            TEXT PRIMARY KEY,             -- content hash of the canonical config
    sweep         TEXT NOT NULL,                -- the sweep that first created it
    config_json   TEXT NOT NULL,                -- the full config, defaults filled in
    seed          INTEGER NOT NULL,
    dataset       TEXT NOT NULL,
    model         TEXT NOT NULL,
    scorer        TEXT NOT NULL,
    structure     TEXT NOT NULL,
    scope         TEXT NOT NULL,
    schedule      TEXT NOT NULL,
    axes_json     TEXT NOT NULL,                -- the sweep axes' values for this run
    dataset_json  TEXT NOT NULL,                -- dataset identity: name, sizes, checksum
    budget_json   TEXT NOT NULL,                -- the fine-tuning budget (epochs, steps, lr)
    dense_key     TEXT,
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'done', 'failed', 'interrupted')),
    backend       TEXT,
    lane          TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    ended_at      TEXT,
    score_ms      REAL,
    error         TEXT,
    error_stack   TEXT,
    env_json      TEXT
  );
  CREATE INDEX runs_sweep ON runs(sweep);

  CREATE TABLE sweep_runs (
    sweep   TEXT NOT NULL REFERENCES sweeps(name),
    run_id  TEXT NOT NULL REFERENCES runs(id),
    PRIMARY KEY (sweep, run_id)
  );

  CREATE TABLE points (
    run_id           TEXT NOT NULL REFERENCES runs(id),
    step             INTEGER NOT NULL,
    phase            TEXT NOT NULL CHECK (phase IN ('dense', 'pruned', 'finetuned')),
    on_curve         INTEGER NOT NULL,            -- 1 for the point that stands for its target on the curve
    target_sparsity  REAL NOT NULL,
    sparsity         REAL NOT NULL,               -- achieved, over prunable weights
    nonzero_params   INTEGER NOT NULL,            -- nonzero prunable weights
    prunable_params  INTEGER NOT NULL,
    total_params     INTEGER NOT NULL,            -- all parameters, biases included
    nonzero_total    INTEGER NOT NULL,            -- all nonzero parameters (for compression)
    accuracy         REAL NOT NULL,
    loss             REAL NOT NULL,
    robust_accuracy  REAL,
    macs_dense       REAL NOT NULL,
    macs_effective   REAL NOT NULL,
    per_layer_json   TEXT NOT NULL,
    wall_ms          REAL NOT NULL,
    PRIMARY KEY (run_id, step)
  );

  CREATE TABLE dense_models (
    key          TEXT PRIMARY KEY,
    dataset      TEXT NOT NULL,
    model        TEXT NOT NULL,
    seed         INTEGER NOT NULL,
    config_json  TEXT NOT NULL,
    file         TEXT NOT NULL,
    accuracy     REAL NOT NULL,
    loss         REAL NOT NULL,
    steps        INTEGER NOT NULL,
    wall_ms      REAL NOT NULL,
    backend      TEXT NOT NULL,
    created_at   TEXT NOT NULL
  );

  -- Every point of every run, whatever its status.
  CREATE VIEW all_points AS
  SELECT sr.sweep, r.id AS run_id, r.status, r.dataset, r.model, r.scorer, r.structure, r.scope, r.schedule, r.seed,
         p.step, p.phase, p.on_curve, p.target_sparsity, p.sparsity, p.accuracy, p.loss, p.robust_accuracy,
         p.nonzero_params, p.prunable_params, p.total_params, p.nonzero_total,
         CAST(p.total_params AS REAL) / p.nonzero_total AS compression,
         p.macs_dense, p.macs_effective, p.per_layer_json, p.wall_ms, r.backend
  FROM points p
  JOIN runs r ON r.id = p.run_id
  JOIN sweep_runs sr ON sr.run_id = r.id;

  -- The documented way to query results: the curves of finished runs, one point
  -- per target (the fine-tuned one) plus the dense model at sparsity 0.
  CREATE VIEW curve_points AS
  SELECT sweep, run_id, dataset, model, scorer, structure, scope, schedule, seed, step, phase,
         target_sparsity, sparsity, accuracy, loss, robust_accuracy, nonzero_params, prunable_params,
         total_params, nonzero_total, compression, macs_dense, macs_effective, wall_ms, backend
  FROM all_points
  WHERE status = 'done' AND on_curve = 1;
  `,
  // 2: run_summary, one row per (sweep, run): what `prunelab results runs` shows
  // and what docs/querying.md builds on. A view, so old databases gain it by
  // migrating and nothing has to be backfilled.
  `
  CREATE VIEW run_summary AS
  SELECT sr.sweep, r.id AS run_id, r.dataset, r.model, r.scorer, r.structure, r.scope, r.schedule, r.seed,
         r.status, r.backend, r.lane, r.attempts, r.started_at, r.ended_at,
         (julianday(r.ended_at) - julianday(r.started_at)) * 86400.0 AS wall_s,
         r.score_ms,
         -- The run's own dense point; the dense model's record if the run never reached it.
         COALESCE((SELECT p.accuracy FROM points p WHERE p.run_id = r.id AND p.phase = 'dense' ORDER BY p.step LIMIT 1), dm.accuracy) AS dense_accuracy,
         COALESCE(c.n_points, 0) AS n_points,
         c.max_target,
         c.max_sparsity,
         c.best_accuracy,
         -- The operating point at the highest target: the end of the curve.
         (SELECT p.accuracy FROM points p WHERE p.run_id = r.id AND p.on_curve = 1 AND p.phase <> 'dense'
          ORDER BY p.target_sparsity DESC, p.step DESC LIMIT 1) AS final_accuracy,
         (SELECT CAST(p.total_params AS REAL) / p.nonzero_total FROM points p WHERE p.run_id = r.id AND p.on_curve = 1 AND p.phase <> 'dense'
          ORDER BY p.target_sparsity DESC, p.step DESC LIMIT 1) AS final_compression,
         r.error, r.axes_json, r.env_json
  FROM runs r
  JOIN sweep_runs sr ON sr.run_id = r.id
  LEFT JOIN dense_models dm ON dm.key = r.dense_key
  LEFT JOIN (
    SELECT run_id, COUNT(*) AS n_points, MAX(target_sparsity) AS max_target, MAX(sparsity) AS max_sparsity, MAX(accuracy) AS best_accuracy
    FROM points WHERE on_curve = 1 AND phase <> 'dense' GROUP BY run_id
  ) c ON c.run_id = r.id;
  `,
  // 3: one owner per run, and the overrides a run was added with. Two
  // `prunelab run` processes on one folder once let one clear and finish the
  // other's run, leaving it `done` with part of its points. Now a run is held
  // by one attempt (owner = host:pid:token) with a lease its process renews;
  // only the owner writes its points or finishes it, and a run whose owner is
  // gone (lease expired, or a dead pid on this host) is taken over.
  // sweep_runs.overrides_json: the --set list of the command that added the
  // run to the sweep (NULL when the sweep file itself generates it), so that
  // results and reports mark overridden runs.
  `
  ALTER TABLE runs ADD COLUMN owner TEXT;
  ALTER TABLE runs ADD COLUMN lease_until INTEGER;  -- epoch ms; NULL once the run is no longer in flight
  ALTER TABLE sweep_runs ADD COLUMN overrides_json TEXT;
  CREATE INDEX runs_owner ON runs(owner) WHERE lease_until IS NOT NULL;
  `,
  // 4: the training each run got after dense training, so a reader can see which
  // strategies trained more than the common budget (ADMM's extra phase with
  // budget: extra, the lottery-ticket control's mask derivation). training_json
  // is {phase: {steps, examples}} (phases: finetune, rewind-train, reinit-train,
  // gradual, admm, mask-derivation); train_steps and train_examples are its
  // totals. NULL for runs finished before this migration: their training was
  // not recorded. The three views are recreated with the totals added at the
  // end, every earlier column kept in its place.
  `
  ALTER TABLE runs ADD COLUMN training_json TEXT;
  ALTER TABLE runs ADD COLUMN train_steps INTEGER;
  ALTER TABLE runs ADD COLUMN train_examples INTEGER;

  DROP VIEW curve_points;
  DROP VIEW all_points;
  DROP VIEW run_summary;

  CREATE VIEW all_points AS
  SELECT sr.sweep, r.id AS run_id, r.status, r.dataset, r.model, r.scorer, r.structure, r.scope, r.schedule, r.seed,
         p.step, p.phase, p.on_curve, p.target_sparsity, p.sparsity, p.accuracy, p.loss, p.robust_accuracy,
         p.nonzero_params, p.prunable_params, p.total_params, p.nonzero_total,
         CAST(p.total_params AS REAL) / p.nonzero_total AS compression,
         p.macs_dense, p.macs_effective, p.per_layer_json, p.wall_ms, r.backend,
         r.train_steps, r.train_examples
  FROM points p
  JOIN runs r ON r.id = p.run_id
  JOIN sweep_runs sr ON sr.run_id = r.id;

  CREATE VIEW curve_points AS
  SELECT sweep, run_id, dataset, model, scorer, structure, scope, schedule, seed, step, phase,
         target_sparsity, sparsity, accuracy, loss, robust_accuracy, nonzero_params, prunable_params,
         total_params, nonzero_total, compression, macs_dense, macs_effective, wall_ms, backend,
         train_steps, train_examples
  FROM all_points
  WHERE status = 'done' AND on_curve = 1;

  CREATE VIEW run_summary AS
  SELECT sr.sweep, r.id AS run_id, r.dataset, r.model, r.scorer, r.structure, r.scope, r.schedule, r.seed,
         r.status, r.backend, r.lane, r.attempts, r.started_at, r.ended_at,
         (julianday(r.ended_at) - julianday(r.started_at)) * 86400.0 AS wall_s,
         r.score_ms,
         COALESCE((SELECT p.accuracy FROM points p WHERE p.run_id = r.id AND p.phase = 'dense' ORDER BY p.step LIMIT 1), dm.accuracy) AS dense_accuracy,
         COALESCE(c.n_points, 0) AS n_points,
         c.max_target,
         c.max_sparsity,
         c.best_accuracy,
         (SELECT p.accuracy FROM points p WHERE p.run_id = r.id AND p.on_curve = 1 AND p.phase <> 'dense'
          ORDER BY p.target_sparsity DESC, p.step DESC LIMIT 1) AS final_accuracy,
         (SELECT CAST(p.total_params AS REAL) / p.nonzero_total FROM points p WHERE p.run_id = r.id AND p.on_curve = 1 AND p.phase <> 'dense'
          ORDER BY p.target_sparsity DESC, p.step DESC LIMIT 1) AS final_compression,
         r.error, r.axes_json, r.env_json,
         r.train_steps, r.train_examples, r.training_json
  FROM runs r
  JOIN sweep_runs sr ON sr.run_id = r.id
  LEFT JOIN dense_models dm ON dm.key = r.dense_key
  LEFT JOIN (
    SELECT run_id, COUNT(*) AS n_points, MAX(target_sparsity) AS max_target, MAX(sparsity) AS max_sparsity, MAX(accuracy) AS best_accuracy
    FROM points WHERE on_curve = 1 AND phase <> 'dense' GROUP BY run_id
  ) c ON c.run_id = r.id;
  `,
  // 5: artifacts (issue 18), the weights of a run's points: what an export
  // writes out as a deployable model. One file per (run, step), content-
  // addressed (artifacts/<first two hex digits>/<sha256>.bin under the folder
  // of this database, `path` relative to it), written by the main thread for
  // the run's owner, like its points (attempt.ts). A sweep's `artifacts:`
  // key says which points keep one: `final` (the default) the last point of
  // each target, `all` every evaluated point, `none` none. Join it to the
  // views on (run_id, step).
  `
  CREATE TABLE artifacts (
    run_id           TEXT NOT NULL,
    step             INTEGER NOT NULL,
    target_sparsity  REAL NOT NULL,
    path             TEXT NOT NULL,
    bytes            INTEGER NOT NULL,
    sha256           TEXT NOT NULL,
    PRIMARY KEY (run_id, step),
    FOREIGN KEY (run_id, step) REFERENCES points(run_id, step)
  );
  CREATE INDEX artifacts_sha256 ON artifacts(sha256);
  `,
];
