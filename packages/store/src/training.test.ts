import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './schema.js';
import { openDatabase } from './open.js';
import { Writer } from './writer.js';
import { newOwner } from './ownership.js';
import { runSummaries, sweepCurve } from './queries.js';
import { pointRecord as point, runRecord as run, tempDbFile as file } from './test-utils/records.js';

/** The migration that added runs.training_json: everything before it is the schema a database had without it. */
const TRAINING_MIGRATION = MIGRATIONS.findIndex((m) => m.includes('ADD COLUMN training_json'));

const columns = (db: Database.Database, view: string): string[] =>
  (db.prepare(`PRAGMA table_info(${view})`).all() as Array<{ name: string }>).map((c) => c.name);

describe('the training each run got after dense training', () => {
  it("is stored by the run's owner and shown as totals in run_summary and curve_points", () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
    w.registerRuns('s', [run('a')]);
    const c = w.claimRun('a', { owner: newOwner(), leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
    if (!c.claimed) throw new Error('not claimed');
    c.attempt.addPoint(point(0, 'dense', 0, 0.98));
    c.attempt.addPoint(point(2, 'finetuned', 0.9, 0.97));
    const training = { admm: { steps: 500, examples: 30_000 }, finetune: { steps: 500, examples: 30_000 } };
    // Someone else's attempt writes nothing.
    expect(w.recordTraining({ runId: 'a', owner: 'elsewhere:1:x' }, { finetune: { steps: 1, examples: 1 } })).toBe(false);
    expect(w.recordTraining(c.attempt, training)).toBe(true);
    expect(c.attempt.finish({ status: 'done' })).toBe('finished');
    const [summary] = runSummaries(db, 's');
    expect(summary).toMatchObject({ train_steps: 1000, train_examples: 60_000 });
    expect(JSON.parse(summary!.training_json!)).toEqual(training);
    const curve = sweepCurve(db, 's');
    expect(curve).toHaveLength(2);
    for (const p of curve) expect(p).toMatchObject({ train_steps: 1000, train_examples: 60_000 });
    const view = db.prepare(`SELECT train_steps, train_examples FROM curve_points`).all();
    expect(view).toEqual([
      { train_steps: 1000, train_examples: 60_000 },
      { train_steps: 1000, train_examples: 60_000 },
    ]);
    db.close();
  });

  it('a new attempt starts without the training record of an earlier one', () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
    w.registerRuns('s', [run('a')]);
    const first = w.claimRun('a', { owner: newOwner(), leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
    if (!first.claimed) throw new Error('not claimed');
    expect(w.recordTraining(first.attempt, { finetune: { steps: 7, examples: 420 } })).toBe(true);
    first.attempt.finish({ status: 'failed', error: 'boom' });
    const retry = w.claimRun('a', { owner: newOwner(), leaseMs: 60_000, retryFailed: true, lane: 'cpu' });
    if (!retry.claimed) throw new Error('not claimed again');
    expect(runSummaries(db, 's')[0]).toMatchObject({ train_steps: null, train_examples: null, training_json: null });
    db.close();
  });

  it('an older database migrates: every view keeps its columns in place, the totals come last, old runs have none', () => {
    expect(TRAINING_MIGRATION).toBeGreaterThan(0);
    const f = file();
    const old = new Database(f);
    for (const m of MIGRATIONS.slice(0, TRAINING_MIGRATION)) old.exec(m);
    old.pragma(`user_version = ${TRAINING_MIGRATION}`);
    old.exec(`INSERT INTO sweeps VALUES ('s', NULL, '', 'now', 'now', NULL);
      INSERT INTO runs (id, sweep, config_json, seed, dataset, model, scorer, structure, scope, schedule, axes_json, dataset_json, budget_json, status)
        VALUES ('old', 's', '{}', 0, 'mnist', 'mlp', 'magnitude', 'unstructured', 'global', 'one-shot', '{}', '{}', '{}', 'done');
      INSERT INTO sweep_runs (sweep, run_id) VALUES ('s', 'old');
      INSERT INTO points (run_id, step, phase, on_curve, target_sparsity, sparsity, nonzero_params, prunable_params, total_params, nonzero_total,
        accuracy, loss, macs_dense, macs_effective, per_layer_json, wall_ms) VALUES ('old', 2, 'finetuned', 1, 0.9, 0.9, 10, 100, 110, 20, 0.97, 0.1, 1, 1, '{}', 1);`);
    const before = Object.fromEntries(['all_points', 'curve_points', 'run_summary'].map((v) => [v, columns(old, v)]));
    old.close();
    const db = openDatabase(f);
    expect(columns(db, 'all_points')).toEqual([...before['all_points']!, 'train_steps', 'train_examples']);
    expect(columns(db, 'curve_points')).toEqual([...before['curve_points']!, 'train_steps', 'train_examples']);
    expect(columns(db, 'run_summary')).toEqual([...before['run_summary']!, 'train_steps', 'train_examples', 'training_json']);
    expect(db.prepare(`SELECT run_id, accuracy, train_steps FROM curve_points`).all()).toEqual([{ run_id: 'old', accuracy: 0.97, train_steps: null }]);
    expect(runSummaries(db, 's')[0]).toMatchObject({ run_id: 'old', train_steps: null, training_json: null });
    db.close();
  });
});
