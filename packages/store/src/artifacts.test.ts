import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPrunelabError } from '@prunelab/core';
import { readArtifactFile, writeArtifactFile } from './artifact-files.js';
import { runArtifacts } from './artifacts.js';
import { openDatabase } from './open.js';
import { newOwner } from './ownership.js';
import { Writer } from './writer.js';
import { pointRecord as point, runRecord as run, tempDbFile } from './test-utils/records.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

function setup() {
  const file = tempDbFile();
  const db = openDatabase(file);
  const w = new Writer(db);
  w.upsertSweep({ name: 's', file: null, yaml: 'name: s', gitCommit: null });
  w.registerRuns('s', [run('a')]);
  const claim = (owner = newOwner(), retryFailed = false) => {
    const c = w.claimRun('a', { owner, leaseMs: 60_000, retryFailed, lane: 'cpu', now: Date.now() });
    if (!c.claimed) throw new Error(`not claimed: ${c.status}`);
    return c.attempt;
  };
  return { file, db, w, claim };
}

const count = (db: ReturnType<typeof openDatabase>) => (db.prepare(`SELECT COUNT(*) AS n FROM artifacts`).get() as { n: number }).n;

describe('artifacts', () => {
  it('are stored by the run owner after their point, content-addressed, and read back checked', () => {
    const { file, db, claim } = setup();
    const a = claim();
    a.addPoint(point(0, 'dense', 0, 0.98));
    a.addPoint(point(1, 'finetuned', 0.9, 0.97));
    expect(a.addArtifact({ step: 1, targetSparsity: 0.9, data: bytes('weights at 0.9') })).toBe(true);
    expect(a.finish({ status: 'done', expectedPoints: 2, expectedArtifacts: 1 })).toBe('finished');
    const [row] = runArtifacts(db, 'a');
    expect(row).toMatchObject({ run_id: 'a', step: 1, target_sparsity: 0.9, phase: 'finetuned', bytes: 14 });
    expect(row!.path).toBe(`artifacts/${row!.sha256.slice(0, 2)}/${row!.sha256}.bin`);
    expect(readArtifactFile(file, row!, 'run a').toString()).toBe('weights at 0.9');
    db.close();
  });

  it('a run is done only with every artifact it sent stored; a lost owner writes no file and no row', () => {
    const { db, claim } = setup();
    const first = claim();
    first.addPoint(point(0, 'dense', 0, 0.98));
    // Another process took the run over (the first one's lease ran out): the first writes nothing any more.
    const second = claim(newOwner(), true);
    expect(first.addArtifact({ step: 0, targetSparsity: 0, data: bytes('from the lost owner') })).toBe(false);
    const root = dirname(db.name);
    expect(existsSync(join(root, 'artifacts'))).toBe(false);
    second.addPoint(point(0, 'dense', 0, 0.98));
    // One artifact announced, none stored: not done.
    expect(second.finish({ status: 'done', expectedPoints: 1, expectedArtifacts: 1 })).toBe('incomplete');
    expect(db.prepare(`SELECT status, error FROM runs`).get()).toEqual({
      status: 'interrupted',
      error: 'only 0 of its 1 artifacts were stored, so it was not marked done',
    });
    db.close();
  });

  it('a new attempt drops the rows of the one before (the files stay, shared by content)', () => {
    const { db, claim, w } = setup();
    const a = claim();
    a.addPoint(point(0, 'dense', 0, 0.98));
    a.addArtifact({ step: 0, targetSparsity: 0, data: bytes('dense') });
    a.finish({ status: 'failed', error: 'boom' });
    expect(count(db)).toBe(1);
    const again = w.claimRun('a', { owner: newOwner(), leaseMs: 60_000, retryFailed: true, lane: 'cpu' });
    expect(again.claimed).toBe(true);
    expect(count(db)).toBe(0);
    expect(readdirSync(join(dirname(db.name), 'artifacts')).length).toBe(1);
    db.close();
  });

  it('refuses an artifact without its point (the foreign key)', () => {
    const { db, claim } = setup();
    const a = claim();
    expect(() => a.addArtifact({ step: 3, targetSparsity: 0.5, data: bytes('no point') })).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('the same bytes are one file; a changed or missing file is an error naming it', () => {
    const { file, db } = setup();
    const root = dirname(file);
    const x = writeArtifactFile(root, bytes('same'));
    const y = writeArtifactFile(root, bytes('same'));
    expect(y).toEqual(x);
    expect(readdirSync(join(root, 'artifacts', x.sha256.slice(0, 2)))).toEqual([`${x.sha256}.bin`]);
    writeFileSync(join(root, x.path), 'sane');
    const read = () => readArtifactFile(file, x, 'run a at 0.9');
    expect(read).toThrow(/the stored model of run a at 0\.9 was changed after it was written \(its sha256 no longer matches\)/);
    // Writing the same content again repairs it.
    writeArtifactFile(root, bytes('same'));
    expect(readFileSync(join(root, x.path), 'utf8')).toBe('same');
    const missing = { ...x, sha256: 'f'.repeat(64), path: `artifacts/ff/${'f'.repeat(64)}.bin` };
    let caught: unknown;
    try {
      readArtifactFile(file, missing, 'run a at 0.5');
    } catch (e) {
      caught = e;
    }
    expect(isPrunelabError(caught) && caught.isUserError && caught.message).toMatch(/the stored model of run a at 0\.5 is missing: .*artifacts\/ff\//);
    expect(() => readArtifactFile(file, { ...x, path: '../../etc/passwd' }, 'a')).toThrow(/not a file under artifacts\//);
    db.close();
  });
});
