import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '@prunelab/store';
import { builtBin } from './test-utils/built-cli.js';

// Two copies of one sweep on one results folder, one killed with kill -9, through the built CLI.
const bin = builtBin;

/** 2 scorers x 3 seeds = 6 runs of 7 points each: the dense point, then (pruned, fine-tuned) at three targets. */
const SWEEP = `name: twice
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 600, valSize: 0, testSize: 300 }
model: { name: mlp, hidden: [16] }
train: { epochs: 2, batchSize: 50, lr: 0.01 }
finetune: { epochs: 1, batchSize: 50, lr: 0.001 }
prune: { sparsities: [0.5, 0.8, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1, 2]
`;
const RUNS = 6;
const POINTS = 7;

/** mulberry32: the kill moments come from a fixed seed, so every trial is the same trial on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countPoints(db: string): number {
  try {
    const d = openDatabase(db, { readonly: true });
    try {
      return (d.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n;
    } finally {
      d.close();
    }
  } catch {
    return 0; // not created (or not migrated) yet
  }
}

function launch(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [bin, ...args]);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  return { child, done: new Promise((r) => child.on('close', (code) => r({ code, output }))) };
}

interface RunRow {
  id: string;
  status: string;
  points: number;
  steps: number;
}

function runs(db: string): { rows: RunRow[]; integrity: unknown; total: number } {
  const d = openDatabase(db, { readonly: true });
  try {
    const rows = d
      .prepare(
        `SELECT id, status, (SELECT COUNT(*) FROM points p WHERE p.run_id = r.id) AS points, (SELECT COUNT(DISTINCT step) FROM points p WHERE p.run_id = r.id) AS steps
         FROM runs r ORDER BY id`,
      )
      .all() as RunRow[];
    const total = (d.prepare(`SELECT COUNT(*) AS n FROM points`).get() as { n: number }).n;
    return { rows, integrity: d.pragma('integrity_check', { simple: true }), total };
  } finally {
    d.close();
  }
}

describe('two copies of one sweep, one killed with kill -9 at a seeded moment', () => {
  const next = prng(13);
  const trials = Array.from({ length: 4 }, (_, i) => ({
    trial: i + 1,
    victim: next() < 0.5 ? 'A' : 'B',
    /** Kill once this many points are stored, then after this many ms more. */
    atPoints: 1 + Math.floor(next() * (RUNS * POINTS - 8)),
    extraMs: Math.floor(next() * 300),
    /** The second copy starts this much later. */
    staggerMs: Math.floor(next() * 1500),
  }));

  it.each(trials)(
    'trial $trial: kill copy $victim at $atPoints points + $extraMs ms (second copy $staggerMs ms late)',
    async ({ victim, atPoints, extraMs, staggerMs }) => {
      const dir = mkdtempSync(join(tmpdir(), 'prunelab-twice-'));
      const file = join(dir, 'twice.yaml');
      writeFileSync(file, SWEEP);
      const results = join(dir, 'results');
      const db = join(results, 'prunelab.sqlite');
      const args = ['run', file, '-j', '1', '--no-gpu', '--results', results];

      const a = launch(args);
      await sleep(staggerMs);
      const b = launch(args);
      const deadline = Date.now() + 60_000;
      while (countPoints(db) < atPoints && Date.now() < deadline) await sleep(50);
      await sleep(extraMs);
      (victim === 'A' ? a : b).child.kill('SIGKILL');
      const [ra, rb] = await Promise.all([a.done, b.done]);
      const survivor = victim === 'A' ? rb : ra;
      expect(survivor.output).not.toMatch(/database is locked|SQLITE_BUSY|internal error/);
      // The survivor finishes what it can; what it leaves (runs the dead copy held) it counts, and does not call done.
      expect([0, 75], survivor.output).toContain(survivor.code);
      if (survivor.code === 75) expect(survivor.output).toMatch(/not done/);

      // Whenever the kill came: every run marked done has its full curve, once.
      const mid = runs(db);
      expect(mid.integrity).toBe('ok');
      for (const r of mid.rows) if (r.status === 'done') expect(r).toMatchObject({ points: POINTS, steps: POINTS });

      // One more run, at once, with a lease of an hour: the dead copy's runs are taken over (its pid is gone), not waited for.
      const last = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, PRUNELAB_LEASE_S: '3600' } });
      expect(last.status, last.stderr).toBe(0);
      expect(last.stdout).toMatch(/, 0 failed, 0 interrupted;/);
      const end = runs(db);
      expect(end.integrity).toBe('ok');
      expect(end.rows).toHaveLength(RUNS);
      for (const r of end.rows) expect(r).toMatchObject({ status: 'done', points: POINTS, steps: POINTS });
      expect(end.total).toBe(RUNS * POINTS);
    },
  );
});

describe('exit status and summary count every run of the sweep that is not done', () => {
  it('a rerun that leaves a run failed in an earlier invocation exits 1, counts it, and says how to rerun it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prunelab-exit-'));
    const file = join(dir, 'diverge.yaml');
    // zip pairs a divergent fine-tuning rate with one scorer: that run fails, the other is done.
    const yaml = SWEEP.replace('name: twice', 'name: diverge')
      .replace('seeds: [0, 1, 2]', 'seeds: [0]')
      .replace('grid:\n  scorer: [magnitude, random]\n', 'zip:\n  scorer: [magnitude, random]\n  finetune.lr: [1.0e+30, 0.001]\n');
    writeFileSync(file, yaml);
    const args = ['run', file, '-j', '1', '--no-gpu', '--results', join(dir, 'results')];
    const first = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(first.status, first.stderr).toBe(1);
    expect(first.stdout).toMatch(/1 run\(s\) done, 0 skipped \(already done\), 1 failed, 0 interrupted;/);
    const again = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stdout).toMatch(/0 run\(s\) done, 1 skipped \(already done\), 1 failed \(1 in an earlier invocation\), 0 interrupted;/);
    expect(again.stdout).toMatch(/1 of the sweep's 2 run\(s\) are not done:/);
    expect(again.stdout).toContain(`then: prunelab ${args.join(' ')} --retry-failed`);
  });
});
