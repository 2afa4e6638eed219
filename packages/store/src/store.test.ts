import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from './schema.js';
import { openDatabase, schemaVersion, type Db } from './open.js';
import { Writer } from './writer.js';
import { runStatusCounts } from './reader.js';
import { newOwner } from './ownership.js';
import { pointRecord as point, runRecord as run, tempDbFile as file } from './test-utils/records.js';

/** The documented view, as a user's query reads it. */
const curvePoints = (db: Db, sweep: string) =>
  db.prepare(`SELECT phase, accuracy, compression FROM curve_points WHERE sweep = ? ORDER BY run_id, target_sparsity, step`).all(sweep) as Array<{
    phase: string;
    accuracy: number;
    compression: number;
  }>;

const claim = (w: Writer, id: string, owner = newOwner()) => {
  const c = w.claimRun(id, { owner, leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
  if (!c.claimed) throw new Error(`could not claim ${id}: ${c.status}`);
  return c.attempt;
};

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
    for (const c of [
      'sweep',
      'run_id',
      'dataset',
      'model',
      'scorer',
      'structure',
      'scope',
      'schedule',
      'seed',
      'step',
      'phase',
      'target_sparsity',
      'sparsity',
      'accuracy',
      'loss',
    ]) {
      expect(cols).toContain(c);
    }
    db.close();
  });

  it('keeps the status of known runs, restarts clear old points, and only finished curve points are shown', () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: 'name: s', gitCommit: null });
    w.registerRuns('s', [run('a'), run('b', 'random')]);
    const a = claim(w, 'a');
    a.started({ backend: 'cpu', lane: 'cpu', env: {} });
    a.addPoint(point(0, 'dense', 0, 0.98));
    a.addPoint(point(1, 'pruned', 0.9, 0.5));
    a.addPoint(point(2, 'finetuned', 0.9, 0.97));
    expect(curvePoints(db, 's')).toHaveLength(0); // still running
    expect(a.finish({ status: 'done' })).toBe('finished');
    expect(curvePoints(db, 's').map((p) => [p.phase, p.accuracy])).toEqual([
      ['dense', 0.98],
      ['finetuned', 0.97],
    ]);
    // Registering again does not reset a finished run.
    w.registerRuns('s', [run('a')]);
    expect(runStatusCounts(db, 's')).toEqual({ done: 1, pending: 1 });
    // A new attempt at an interrupted run drops its earlier points.
    const b = claim(w, 'b');
    b.addPoint(point(0, 'dense', 0, 0.98));
    expect(b.finish({ status: 'interrupted', error: 'stopped' })).toBe('finished');
    claim(w, 'b');
    expect(db.prepare(`SELECT COUNT(*) AS n FROM points WHERE run_id = 'b'`).get()).toEqual({ n: 0 });
    db.close();
  });

  it('compression counts non-prunable parameters', () => {
    const db = openDatabase(file());
    const w = new Writer(db);
    w.upsertSweep({ name: 's', file: null, yaml: '', gitCommit: null });
    w.registerRuns('s', [run('a')]);
    const a = claim(w, 'a');
    a.addPoint(point(2, 'finetuned', 0.9, 0.9));
    a.finish({ status: 'done' });
    expect(curvePoints(db, 's')[0]!.compression).toBeCloseTo(110 / 20, 12);
    db.close();
  });
});
