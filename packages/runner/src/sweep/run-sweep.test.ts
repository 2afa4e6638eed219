import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { countDenseModels, openDatabase, resultPaths } from '@prunelab/store';
import { runSweep, type SweepSummary } from './run-sweep.js';
import { createCpuLane } from '../lanes/cpu-lane.js';
import type { Lane } from '../lanes/types.js';
import { tempDir, writeSweep, TINY_SWEEP } from '../test-utils/fixtures.js';

// One tiny sweep: 3 scorers x 5 sparsities x 2 seeds = 6 runs (one chain per
// scorer and seed), which must train exactly 2 dense models.
const SWEEP = TINY_SWEEP.replace('prune: { sparsities: [0.5, 0.9] }', 'prune: { sparsities: [0.5, 0.7, 0.8, 0.9, 0.95] }').replace(
  'grid:\n  scorer: [magnitude, random]\n',
  'grid:\n  scorer: [magnitude, random, taylor]\n',
);

describe('runSweep end to end (2 worker threads)', () => {
  const dir = tempDir();
  const results = join(dir, 'results');
  const file = writeSweep(dir, SWEEP);
  let lane: Lane;
  let first: SweepSummary;

  beforeAll(async () => {
    lane = createCpuLane(2);
    first = await runSweep({ file, results, lanes: [lane] });
  });
  afterAll(() => lane.close());

  it('runs every run and trains each dense model exactly once', () => {
    expect(first.failed).toEqual([]);
    expect(first.done).toBe(6);
    expect(first.denseTrained).toBe(2);
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    expect(countDenseModels(db)).toBe(2);
    const statuses = db.prepare(`SELECT status, COUNT(*) AS n FROM runs GROUP BY status`).all();
    expect(statuses).toEqual([{ status: 'done', n: 6 }]);
    db.close();
  });

  it('streams one curve point per target plus the dense point, with achieved sparsity equal to the target', () => {
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const rows = db
      .prepare(`SELECT run_id, scope, phase, target_sparsity, sparsity, prunable_params FROM curve_points WHERE sweep = 'tiny' ORDER BY run_id, step`)
      .all() as Array<{ run_id: string; scope: string; phase: string; target_sparsity: number; sparsity: number; prunable_params: number }>;
    expect(rows).toHaveLength(6 * 6);
    for (const r of rows) {
      // Exact budget: kept = round((1 - s) * N) over all N prunable weights (global scope).
      expect(r.scope).toBe('global');
      expect(Math.abs(r.sparsity - r.target_sparsity)).toBeLessThanOrEqual(0.5 / r.prunable_params + 1e-12);
    }
    expect(rows.filter((r) => r.phase === 'dense').every((r) => r.sparsity === 0)).toBe(true);
    db.close();
  });

  it('resumes: a rerun skips finished runs and duplicates no point', async () => {
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    const before = (db.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n;
    const again = await runSweep({ file, results, lanes: [lane] });
    expect(again).toMatchObject({ total: 6, skipped: 6, done: 0, denseTrained: 0 });
    expect((db.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n).toBe(before);
    db.close();
  });

  it('reruns interrupted runs and replaces their points', async () => {
    const db = openDatabase(resultPaths(results).database);
    const victim = (db.prepare(`SELECT id FROM runs LIMIT 1`).get() as { id: string }).id;
    const count = () => (db.prepare(`SELECT COUNT(*) AS n FROM points WHERE run_id = ?`).get(victim) as { n: number }).n;
    const n = count();
    db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(victim);
    const again = await runSweep({ file, results, lanes: [lane] });
    expect(again).toMatchObject({ skipped: 5, done: 1, denseTrained: 0 });
    expect(count()).toBe(n);
    db.close();
  });

  it('editing the sweep drops runs it no longer generates from the sweep, not from the database', async () => {
    const edited = writeSweep(dir, SWEEP.replace('[magnitude, random, taylor]', '[magnitude, random]'));
    const s = await runSweep({ file: edited, results, lanes: [lane] });
    expect(s).toMatchObject({ total: 4, skipped: 4, done: 0 });
    const db = openDatabase(resultPaths(results).database, { readonly: true });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM sweep_runs WHERE sweep = 'tiny'`).get()).toEqual({ n: 4 });
    expect(db.prepare(`SELECT COUNT(*) AS n FROM runs`).get()).toEqual({ n: 6 });
    db.close();
  });

  it('another sweep with the same dense configs reuses the cached dense models', async () => {
    const other = writeSweep(dir, SWEEP.replace('name: tiny', 'name: tiny2').replace('[0.5, 0.7, 0.8, 0.9, 0.95]', '[0.6]'), 'other.yaml');
    const s = await runSweep({ file: other, results, lanes: [lane] });
    expect(s.done).toBe(6);
    expect(s.denseTrained).toBe(0);
  });
});

describe('bad input writes nothing', () => {
  it('an unknown scorer fails before the database is created', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const file = writeSweep(dir, TINY_SWEEP.replace('[magnitude, random]', '[magnitude, nope]'));
    const err = await runSweep({ file, results }).catch((e: unknown) => e);
    expect(isPrunelabError(err) && err.code).toBe('E_UNKNOWN_NAME');
    expect(existsSync(results)).toBe(false);
  });

  it('an oversized dataset subset fails before the database is created', async () => {
    const dir = tempDir();
    const results = join(dir, 'results');
    const file = writeSweep(dir, TINY_SWEEP.replace('name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 600', 'name: mnist, trainSize: 999999'));
    const err = await runSweep({ file, results }).catch((e: unknown) => e);
    expect(isPrunelabError(err) && err.isUserError).toBe(true);
    expect(existsSync(results)).toBe(false);
  });
});
