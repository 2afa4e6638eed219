import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSweep } from '@prunelab/runner';
import { openDatabase } from '@prunelab/store';
import { builtBin, prunelab, runStatuses, SMALL_SWEEP, waitForPoints } from '../test-utils/built-cli.js';

// `prunelab run` through the built CLI, as a batch system drives it: stopped by SIGTERM, and run by shards.
function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-run-'));
  const file = join(dir, 'scale.yaml');
  writeFileSync(file, SMALL_SWEEP);
  return { dir, file };
}

describe('prunelab run', () => {
  it('SIGTERM (scancel, a time limit) stops cleanly like Ctrl-C, even sent twice: in-flight runs become interrupted, exit 143, a rerun finishes them', async () => {
    const { dir, file } = setup();
    const results = join(dir, 'sigterm');
    const db = join(results, 'prunelab.sqlite');
    const p = spawn(process.execPath, [builtBin, 'run', file, '-j', '2', '--no-gpu', '--results', results], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((r) => p.on('close', r));
    await waitForPoints(db, 1);
    // Slurm signals every process of the job, and the job script forwards its own: node gets two.
    p.kill('SIGTERM');
    p.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(stderr).toMatch(/stopping: in-flight runs will be marked interrupted/);
    const statuses = runStatuses(db).map((r) => r.status);
    expect(statuses).toContain('interrupted');
    expect(statuses).not.toContain('running');
    const d = openDatabase(db, { readonly: true });
    expect(d.pragma('integrity_check', { simple: true })).toBe('ok');
    d.close();
    expect(prunelab(['run', file, '-j', '2', '--no-gpu', '--results', results]).status).toBe(0);
    expect(runStatuses(db).every((r) => r.status === 'done')).toBe(true);
  });

  it("a shard's exit status counts its own runs that are not done, whoever left them so, and nothing of the other shards", async () => {
    const { dir, file } = setup();
    const results = join(dir, 'shared');
    const db = join(results, 'prunelab.sqlite');
    const shardIds = async (index: number) => (await planSweep({ file, shard: { index, count: 2 } })).runs.map((r) => r.id);
    const [one, two] = [await shardIds(1), await shardIds(2)];
    expect(one.length + two.length).toBe(6);
    for (const i of [1, 2]) expect(prunelab(['run', file, '-j', '1', '--no-gpu', '--shard', `${i}/2`, '--results', results]).status).toBe(0);
    // A run of shard 1 failed in an earlier invocation (the state a crashed scorer leaves).
    const w = openDatabase(db);
    w.prepare(`UPDATE runs SET status = 'failed', error = 'boom' WHERE id = ?`).run(one[0]);
    w.close();
    const first = prunelab(['run', file, '-j', '1', '--no-gpu', '--shard', '1/2', '--results', results]);
    expect(first.status).toBe(1);
    expect(first.stdout).toMatch(/1 failed \(1 in an earlier invocation\)/);
    expect(first.stdout).toMatch(/--shard 1\/2 .*--retry-failed/);
    expect(prunelab(['run', file, '-j', '1', '--no-gpu', '--shard', '2/2', '--results', results]).status).toBe(0);
  });
});
