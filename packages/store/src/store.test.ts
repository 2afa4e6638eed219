import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './schema.js';
import { openDatabase, schemaVersion } from './open.js';
import { Writer, type PointRecord, type RunRecord } from './writer.js';
import { curvePoints, runStatusCounts } from './reader.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'prunelab-store-')), 'db.sqlite');

const run = (id: string, scorer = 'magnitude'): RunRecord => ({
  id,
  sweep: 's',
  config: { scorer },
  seed: 0,
  dataset: 'mnist',
  model: 'mlp',
  scorer,
  structure: 'unstructured',
  scope: 'global',
  schedule: 'one-shot',
  axes: { scorer },
  datasetIdentity: { checksum: 'x' },
  budget: { epochs: 1 },
  denseKey: 'd',
});

const point = (step: number, phase: PointRecord['phase'], target: number, accuracy: number): PointRecord => ({
  step,
  phase,
  onCurve: phase !== 'pruned',
  targetSparsity: target,
  sparsity: target,
  nonzeroPrunable: Math.round(100 * (1 - target)),
  prunableParams: 100,
  totalParams: 110,
  nonzeroParams: 10 + Math.round(100 * (1 - target)),
  accuracy,
  loss: 1 - accuracy,
  macsDense: 100,
  macsEffective: 100 * (1 - target),
  perLayer: { dense1: target },
  wallMs: 1,
});

describe('store', () => {
  it('migrates a new database to the latest version, and reopening is a no-op', () => {
    const f = file();
    const db = openDatabase(f);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    db.close();
    const again = openDatabase(f);
    expect(schemaVersion(again)).toBe(MIGRATIONS.length);
    expect(again.pragma('journal_mode', { simple: true })).toBe('wal');
    again.close();
  });

  it('curve_points has the documented columns', () => {
    const db = openDatabase(file());
    const cols = (db.prepare(`PRAGMA table_info(curve_points)`).all() as Array<{ name: string }>).map((c) => c.name);
    for (const c of ['sweep', 'run_id', 'dataset', 'model', 'scorer', 'structure', 'scope', 'schedule', 'seed', 'step', 'phase', 'target_sparsity', 'sparsity', 'accuracy', 'loss']) {
      expect(cols).toContain(c);
    }
    db.close();
  });

  it('keeps the status of known runs, restarts clear old points, and only finished curve points are shown', () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: 'name: s', gitCommit: null });
    w.registerRuns('s', [run('a'), run('b', 'random')]);
    w.startRun('a', { backend: 'cpu', lane: 'cpu', env: {} });
    w.addPoint('a', point(0, 'dense', 0, 0.98));
    w.addPoint('a', point(1, 'pruned', 0.9, 0.5));
    w.addPoint('a', point(2, 'finetuned', 0.9, 0.97));
    expect(curvePoints(db, 's')).toHaveLength(0); // still running
    w.finishRun('a', { status: 'done' });
    expect(curvePoints(db, 's').map((p) => [p.phase, p.accuracy])).toEqual([
      ['dense', 0.98],
      ['finetuned', 0.97],
    ]);
    // Registering again does not reset a finished run.
    w.registerRuns('s', [run('a')]);
    expect(runStatusCounts(db, 's')).toEqual({ done: 1, pending: 1 });
    // A restart of an interrupted run drops its earlier points.
    w.startRun('b', { backend: 'cpu', lane: 'cpu', env: {} });
    w.addPoint('b', point(0, 'dense', 0, 0.98));
    expect(w.interruptRunning(['a', 'b'])).toBe(1);
    w.startRun('b', { backend: 'cpu', lane: 'cpu', env: {} });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM points WHERE run_id = 'b'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('compression counts non-prunable parameters', () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
    w.registerRuns('s', [run('a')]);
    w.startRun('a', { backend: 'cpu', lane: 'cpu', env: {} });
    w.addPoint('a', point(2, 'finetuned', 0.9, 0.9));
    w.finishRun('a', { status: 'done' });
    expect(curvePoints(db, 's')[0]!.compression).toBeCloseTo(110 / 20, 12);
    db.close();
  });
});
