import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeDatabases } from './merge.js';
import { openDatabase } from './open.js';
import { newOwner } from './ownership.js';
import { denseModelFile, denseRewindFile, resultPaths } from './paths.js';
import { Writer } from './writer.js';
import { pointRecord as point, runRecord as run } from './test-utils/records.js';

type Status = 'pending' | 'running' | 'interrupted' | 'failed' | 'done';

/** A shard's results folder holding run `a` of sweep `s` left in `status` (with some of its points unless pending), and dense model `d` with its file. */
function shard(root: string, name: string, status: Status, accuracy = 0.97): string {
  const folder = join(root, name);
  const file = join(folder, 'prunelab.sqlite');
  const db = openDatabase(file);
  const w = new Writer(db);
  w.upsertSweep({ name: 's', file: null, yaml: 'name: s', gitCommit: null });
  w.registerRuns('s', [run('a')]);
  const paths = resultPaths(folder);
  mkdirSync(paths.denseCache, { recursive: true });
  writeFileSync(denseModelFile(paths, 'd'), `weights from ${name}`);
  writeFileSync(denseRewindFile(paths, 'd', 5), `step 5 from ${name}`);
  w.recordDense({
    key: 'd',
    dataset: 'mnist',
    model: 'mlp',
    seed: 0,
    config: {},
    file: denseModelFile(paths, 'd'),
    accuracy: 0.98,
    loss: 0.1,
    steps: 10,
    wallMs: 1,
    backend: 'cpu',
  });
  if (status !== 'pending') attempt(w, status, accuracy);
  db.close();
  return file;
}

function attempt(w: Writer, status: Exclude<Status, 'pending'>, accuracy: number): void {
  const c = w.claimRun('a', { owner: newOwner(), leaseMs: 60_000, retryFailed: true, lane: 'cpu' });
  if (!c.claimed) throw new Error(`could not claim a: ${c.status}`);
  c.attempt.started({ backend: 'cpu', lane: 'cpu', env: {} });
  c.attempt.addPoint(point(0, 'dense', 0, 0.98));
  if (status === 'running') return;
  if (status !== 'done') {
    c.attempt.finish({ status, error: status === 'failed' ? 'boom' : 'stopped' });
    return;
  }
  c.attempt.addPoint(point(1, 'pruned', 0.9, 0.5));
  c.attempt.addPoint(point(2, 'finetuned', 0.9, accuracy));
  expect(c.attempt.finish({ status: 'done', expectedPoints: 3 })).toBe('finished');
}

const state = (file: string) => {
  const db = openDatabase(file, { readonly: true });
  try {
    return {
      run: db.prepare(`SELECT id, status, error FROM runs`).all(),
      points: db.prepare(`SELECT run_id, step, phase, accuracy FROM points ORDER BY step`).all(),
      links: db.prepare(`SELECT sweep, run_id FROM sweep_runs`).all(),
      dense: db.prepare(`SELECT key, file FROM dense_models`).all() as Array<{ key: string; file: string }>,
      foreignKeys: db.pragma('foreign_key_check'),
    };
  } finally {
    db.close();
  }
};

describe('mergeDatabases', () => {
  it.each(['pending', 'running', 'interrupted', 'failed'] as const)('upgrades a %s run to the done copy of another shard, with its points', (status) => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    // The target first gets the unfinished copy (as a first merge, before a resubmitted shard finished it)...
    mergeDatabases(target, [shard(root, 'old', status)]);
    expect(state(target).run).toEqual([expect.objectContaining({ status })]);
    // ...then the finished one: the run row is replaced while sweep_runs still points at it.
    const r = mergeDatabases(target, [shard(root, 'new', 'done')]);
    expect(r).toMatchObject({ runsAdded: 0, runsReplaced: 1, conflicts: [] });
    const s = state(target);
    expect(s.run).toEqual([{ id: 'a', status: 'done', error: null }]);
    expect(s.points).toEqual([
      { run_id: 'a', step: 0, phase: 'dense', accuracy: 0.98 },
      { run_id: 'a', step: 1, phase: 'pruned', accuracy: 0.5 },
      { run_id: 'a', step: 2, phase: 'finetuned', accuracy: 0.97 },
    ]);
    expect(s.links).toEqual([{ sweep: 's', run_id: 'a' }]);
    expect(s.foreignKeys).toEqual([]);
  });

  it('never downgrades a done run, and merging again changes nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    const done = shard(root, 'done', 'done');
    mergeDatabases(target, [done]);
    const before = state(target);
    for (const status of ['running', 'interrupted', 'failed'] as const) {
      expect(mergeDatabases(target, [shard(root, status, status), done])).toMatchObject({ runsAdded: 0, runsReplaced: 0, conflicts: [] });
    }
    expect(state(target)).toEqual(before);
  });

  it('reports two done copies with different points as a conflict and keeps the target', () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    mergeDatabases(target, [shard(root, 'one', 'done', 0.97)]);
    const r = mergeDatabases(target, [shard(root, 'two', 'done', 0.91)]);
    expect(r.conflicts).toEqual([expect.objectContaining({ runId: 'a', reason: expect.stringMatching(/different points/) })]);
    expect(state(target).points).toContainEqual({ run_id: 'a', step: 2, phase: 'finetuned', accuracy: 0.97 });
  });

  it("copies each dense model and its rewind snapshots into the target's results folder, and points its row there", () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    const source = shard(root, 'shard-1', 'done');
    const r = mergeDatabases(target, [source]);
    expect(r.denseModels).toBe(1);
    const paths = resultPaths(dirname(target));
    expect(state(target).dense).toEqual([{ key: 'd', file: denseModelFile(paths, 'd') }]);
    expect(readFileSync(denseModelFile(paths, 'd'), 'utf8')).toBe('weights from shard-1');
    expect(readFileSync(denseRewindFile(paths, 'd', 5), 'utf8')).toBe('step 5 from shard-1');
    // A second shard with the same model changes neither the row nor the file.
    mergeDatabases(target, [shard(root, 'shard-2', 'done')]);
    expect(state(target).dense).toEqual([{ key: 'd', file: denseModelFile(paths, 'd') }]);
    expect(readFileSync(denseModelFile(paths, 'd'), 'utf8')).toBe('weights from shard-1');
  });

  it("finds a moved shard's dense model beside its database, and points a row whose file is gone where the runner would retrain it", () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const source = shard(root, 'shard-1', 'done');
    // The row names the shard's old absolute path; the folder was renamed since.
    const db = openDatabase(source);
    db.prepare(`UPDATE dense_models SET file = ?`).run(join(root, 'moved-away', 'cache', 'dense', 'd.bin'));
    db.close();
    const target = join(root, 'all', 'prunelab.sqlite');
    mergeDatabases(target, [source]);
    const paths = resultPaths(dirname(target));
    expect(state(target).dense).toEqual([{ key: 'd', file: denseModelFile(paths, 'd') }]);
    expect(existsSync(denseModelFile(paths, 'd'))).toBe(true);

    // Gone altogether: the row still comes (its accuracy is the run's dense record), naming where the runner retrains it.
    const other = shard(root, 'shard-2', 'done');
    rmSync(join(root, 'shard-2', 'cache'), { recursive: true });
    const lost = join(root, 'lost', 'prunelab.sqlite');
    expect(mergeDatabases(lost, [other])).toMatchObject({ denseModels: 1, denseFilesMissing: 1 });
    expect(state(lost).dense).toEqual([{ key: 'd', file: denseModelFile(resultPaths(dirname(lost)), 'd') }]);
  });

  it('refuses a source whose dense model key would be a path, before creating the target', () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-'));
    const source = shard(root, 'shard-1', 'done');
    const db = openDatabase(source);
    db.prepare(`UPDATE dense_models SET key = '../../escaped'`).run();
    db.close();
    const target = join(root, 'all', 'prunelab.sqlite');
    expect(() => mergeDatabases(target, [source])).toThrow(/invalid dense model key/);
    expect(existsSync(target)).toBe(false);
  });
});
