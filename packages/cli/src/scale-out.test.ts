import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '@prunelab/store';
import { builtBin, SMALL_SWEEP, waitForPoints } from './test-utils/built-cli.js';

// Shards, merging, concurrent writers and kill -9, through the built CLI.
const bin = builtBin;

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-scale-'));
  const file = join(dir, 'scale.yaml');
  writeFileSync(file, SMALL_SWEEP);
  return { dir, file };
}

function run(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prunelab ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function snapshot(db: string) {
  const d = openDatabase(db, { readonly: true });
  const runs = d.prepare(`SELECT id, status FROM runs ORDER BY id`).all();
  const points = d.prepare(`SELECT run_id, step, phase, sparsity, accuracy, loss FROM points ORDER BY run_id, step`).all();
  const integrity = d.pragma('integrity_check', { simple: true });
  d.close();
  return { runs, points, integrity };
}

describe('scale-out', () => {
  it('shards 1/3, 2/3 and 3/3, merged, equal an unsharded run; merging twice changes nothing', () => {
    const { dir, file } = setup();
    // --dry-run first: every run to do, a calibrated estimate, and nothing written.
    const plan = run(['run', file, '--dry-run', '-j', '2', '--results', join(dir, 'all')]);
    expect(plan).toMatch(/6 runs, 0 already done, 6 to run/);
    expect(plan).toMatch(/3 dense model\(s\) to train, 0 cached/);
    expect(plan).toMatch(/estimated time: ~\d+(\.\d)? (s|min) on 2 worker\(s\)/);
    expect(plan).toMatch(/calibrated on \w+: mlp batch 50 adam: [\d,]+ examples\/s/);
    expect(existsSync(join(dir, 'all'))).toBe(false);
    run(['run', file, '-j', '2', '--no-gpu', '--results', join(dir, 'all')]);
    expect(run(['run', file, '--dry-run', '--results', join(dir, 'all')])).toMatch(/6 runs, 6 already done, 0 to run\n$/);
    for (const i of [1, 2, 3]) run(['run', file, '-j', '1', '--no-gpu', '--shard', `${i}/3`, '--results', join(dir, `s${i}`)]);
    const shards = [1, 2, 3].map((i) => join(dir, `s${i}`, 'prunelab.sqlite'));
    const merged = join(dir, 'merged.sqlite');
    run(['merge', ...shards, '--into', merged]);
    const a = snapshot(join(dir, 'all', 'prunelab.sqlite'));
    const b = snapshot(merged);
    expect(b.runs).toHaveLength(6);
    expect(b.runs).toEqual(a.runs);
    expect(b.points).toEqual(a.points); // same backend, same seeds: bit-identical curves
    const again = run(['merge', ...shards, '--into', merged]);
    expect(again).toMatch(/0 run\(s\) added, 0 replaced/);
    expect(snapshot(merged)).toEqual(b);
  });

  it('two processes writing different shards to one database lose nothing and never hit "database is locked"', async () => {
    const { dir, file } = setup();
    const results = join(dir, 'shared');
    const launch = (shard: string) =>
      new Promise<{ code: number | null; stderr: string }>((done) => {
        const p = spawn(process.execPath, [bin, 'run', file, '-j', '1', '--no-gpu', '--shard', shard, '--results', results]);
        let stderr = '';
        p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        p.on('close', (code) => done({ code, stderr }));
      });
    const [x, y] = await Promise.all([launch('1/2'), launch('2/2')]);
    expect(x.stderr + y.stderr).not.toMatch(/database is locked|SQLITE_BUSY/);
    expect([x.code, y.code]).toEqual([0, 0]);
    const s = snapshot(join(results, 'prunelab.sqlite'));
    expect(s.runs).toEqual(expect.arrayContaining([expect.objectContaining({ status: 'done' })]));
    expect(s.runs.filter((r) => (r as { status: string }).status === 'done')).toHaveLength(6);
    expect(s.points).toHaveLength(6 * 7);
    expect(s.integrity).toBe('ok');
  });

  it('after kill -9 mid-sweep, the next run completes every run exactly once', async () => {
    const { dir, file } = setup();
    const results = join(dir, 'killed');
    const db = join(results, 'prunelab.sqlite');
    const p = spawn(process.execPath, [bin, 'run', file, '-j', '2', '--no-gpu', '--results', results], { stdio: 'ignore' });
    // Wait until some points have been written, then kill without warning.
    await waitForPoints(db, 3);
    p.kill('SIGKILL');
    await new Promise((r) => p.on('close', r));
    const out = run(['run', file, '-j', '2', '--no-gpu', '--results', results]);
    expect(out).toMatch(/0 failed, 0 interrupted/);
    const s = snapshot(db);
    expect(s.integrity).toBe('ok');
    expect(s.runs).toHaveLength(6);
    expect(s.runs.every((r) => (r as { status: string }).status === 'done')).toBe(true);
    expect(s.points).toHaveLength(6 * 7); // 1 dense + 3 x (pruned, finetuned) per run, never duplicated
  });

  it('the first Ctrl-C stops cleanly: in-flight runs become interrupted, then a rerun finishes them', async () => {
    const { dir, file } = setup();
    const results = join(dir, 'sigint');
    const db = join(results, 'prunelab.sqlite');
    const p = spawn(process.execPath, [bin, 'run', file, '-j', '2', '--no-gpu', '--results', results], { stdio: 'ignore' });
    await waitForPoints(db, 1);
    p.kill('SIGINT');
    const code = await new Promise((r) => p.on('close', r));
    expect(code).toBe(130);
    const s = snapshot(db);
    expect(s.integrity).toBe('ok');
    const statuses = s.runs.map((r) => (r as { status: string }).status);
    expect(statuses).toContain('interrupted');
    expect(statuses).not.toContain('running');
    run(['run', file, '-j', '2', '--no-gpu', '--results', results]);
    expect(snapshot(db).runs.every((r) => (r as { status: string }).status === 'done')).toBe(true);
  });
});
