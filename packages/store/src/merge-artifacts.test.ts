import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readArtifactFile } from './artifact-files.js';
import { runArtifacts } from './artifacts.js';
import { mergeDatabases } from './merge.js';
import { openDatabase } from './open.js';
import { newOwner } from './ownership.js';
import { Writer } from './writer.js';
import { pointRecord as point, runRecord as run } from './test-utils/records.js';

/**
 * A shard's results folder where run `id` of sweep `s` is done (or left
 * interrupted) with a kept model at its last point, whose bytes are `weights`.
 */
function shard(root: string, name: string, id: string, weights: string, status: 'done' | 'interrupted' = 'done'): string {
  const file = join(root, name, 'prunelab.sqlite');
  const db = openDatabase(file);
  const w = new Writer(db);
  w.upsertSweep({ name: 's', file: null, yaml: 'name: s', gitCommit: null });
  w.registerRuns('s', [run(id)]);
  const c = w.claimRun(id, { owner: newOwner(), leaseMs: 60_000, retryFailed: false, lane: 'cpu' });
  if (!c.claimed) throw new Error('not claimed');
  c.attempt.addPoint(point(0, 'dense', 0, 0.98));
  c.attempt.addPoint(point(1, 'finetuned', 0.9, 0.97));
  c.attempt.addArtifact({ step: 1, targetSparsity: 0.9, data: new Uint8Array(Buffer.from(weights)) });
  expect(c.attempt.finish(status === 'done' ? { status: 'done' } : { status: 'interrupted', error: 'stopped' })).toBe('finished');
  db.close();
  return file;
}

const artifactsOf = (file: string, id: string) => {
  const db = openDatabase(file, { readonly: true });
  try {
    return { rows: runArtifacts(db, id), fk: db.pragma('foreign_key_check') };
  } finally {
    db.close();
  }
};

describe('merge keeps the artifacts of the runs it brings in', () => {
  it('copies rows and files into the target folder, once, and a merge again adds nothing', () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-artifacts-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    const a = shard(root, 'one', 'a', 'weights of a');
    const b = shard(root, 'two', 'b', 'weights of b');
    const r = mergeDatabases(target, [a, b]);
    expect(r).toMatchObject({ runsAdded: 2, artifactsAdded: 2, artifactFilesMissing: 0 });
    for (const [id, bytes] of [
      ['a', 'weights of a'],
      ['b', 'weights of b'],
    ] as const) {
      const { rows, fk } = artifactsOf(target, id);
      expect(rows).toHaveLength(1);
      expect(fk).toEqual([]);
      // Read from the target's own folder, the shards' gone.
      expect(readArtifactFile(target, rows[0]!, id).toString()).toBe(bytes);
    }
    rmSync(join(root, 'one', 'artifacts'), { recursive: true });
    expect(mergeDatabases(target, [a, b])).toMatchObject({ artifactsAdded: 0, artifactFilesMissing: 0 });
  });

  it("a run upgraded to its finished copy takes that copy's artifacts; a file missing in the source is counted, its row left out", () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-artifacts-'));
    const target = join(root, 'all', 'prunelab.sqlite');
    mergeDatabases(target, [shard(root, 'old', 'a', 'old weights', 'interrupted')]);
    expect(artifactsOf(target, 'a').rows).toHaveLength(1);
    const r = mergeDatabases(target, [shard(root, 'new', 'a', 'new weights')]);
    expect(r).toMatchObject({ runsReplaced: 1, artifactsAdded: 1 });
    const { rows, fk } = artifactsOf(target, 'a');
    expect(rows).toHaveLength(1);
    expect(fk).toEqual([]);
    expect(readArtifactFile(target, rows[0]!, 'a').toString()).toBe('new weights');
    const lost = shard(root, 'lost', 'c', 'never copied');
    rmSync(join(root, 'lost', 'artifacts'), { recursive: true });
    expect(mergeDatabases(target, [lost])).toMatchObject({ runsAdded: 1, artifactsAdded: 0, artifactFilesMissing: 1 });
    expect(artifactsOf(target, 'c').rows).toEqual([]);
  });

  it("refuses a source whose artifact row names a path other than its sha256's, before the target exists", () => {
    const root = mkdtempSync(join(tmpdir(), 'prunelab-merge-artifacts-'));
    const source = shard(root, 'evil', 'a', 'x');
    const db = openDatabase(source);
    db.prepare(`UPDATE artifacts SET path = '../../escape.bin'`).run();
    db.close();
    const target = join(root, 'all', 'prunelab.sqlite');
    expect(() => mergeDatabases(target, [source])).toThrow(/invalid artifact path/);
    expect(existsSync(target)).toBe(false);
  });
});
