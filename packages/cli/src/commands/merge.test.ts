import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runSweep } from '@prunelab/runner';
import { openDatabase } from '@prunelab/store';
import { main } from '../main.js';

let dir: string;
let sweep: string;
const shardDb = (i: number) => join(dir, 'shards', `shard-${i}`, 'prunelab.sqlite');

/** Runs the CLI in-process and captures what it prints. */
async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
  try {
    return { code: await main(argv), stdout, stderr };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'prunelab-cli-merge-'));
  sweep = join(dir, 'tiny.yaml');
  // Two seeds: two dense models, so shards 1/2 and 2/2 have two runs each.
  writeFileSync(
    sweep,
    `name: tiny
dataset: { name: synthetic, kind: blobs, dims: 8, classes: 3, trainSize: 300, valSize: 0, testSize: 200 }
model: { name: mlp, hidden: [16] }
train: { epochs: 1, batchSize: 50 }
finetune: { epochs: 0.2, batchSize: 50 }
prune: { sparsities: [0.5, 0.9] }
grid:
  scorer: [magnitude, random]
seeds: [0, 1]
`,
  );
  for (const index of [1, 2]) await runSweep({ file: sweep, results: join(dir, 'shards', `shard-${index}`), jobs: 1, gpu: false, shard: { index, count: 2 } });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prunelab merge --expect', () => {
  it('names the shards whose runs are missing or unfinished (exit 75), and is satisfied once every run is done', async () => {
    const into = join(dir, 'a', 'prunelab.sqlite');
    const partial = await cli('merge', shardDb(1), '--into', into, '--expect', sweep, '--shards', '2');
    expect(partial.code).toBe(75);
    expect(partial.stdout).toMatch(/tiny: 2 of 4 run\(s\) are not done: 2 in no merged database/);
    expect(partial.stdout).toMatch(/^ {2}shard 2\/2: 2 in no merged database/m);
    expect(partial.stdout).not.toMatch(/shard 1\/2/);
    expect(partial.stdout).toMatch(/Run those shards again/);
    const whole = await cli('merge', shardDb(1), shardDb(2), '--into', into, '--expect', sweep, '--shards', '2');
    expect(whole.code).toBe(0);
    expect(whole.stdout).toMatch(/2 run\(s\) added.*\ntiny: all 4 run\(s\) are done/);
  });

  it('a failed run exits 1 and says --retry-failed; an interrupted one is only unfinished', async () => {
    const copy = join(dir, 'failed', 'shard.sqlite');
    mkdirSync(join(dir, 'failed'));
    copyFileSync(shardDb(1), copy);
    const db = openDatabase(copy);
    const [a, b] = db.prepare(`SELECT id FROM runs ORDER BY id`).pluck().all() as string[];
    db.prepare(`UPDATE runs SET status = 'interrupted' WHERE id = ?`).run(a);
    const into = join(dir, 'b', 'prunelab.sqlite');
    db.close();
    const interrupted = await cli('merge', copy, shardDb(2), '--into', into, '--expect', sweep, '--shards', '2');
    expect(interrupted.code).toBe(75);
    expect(interrupted.stdout).toMatch(/^ {2}shard 1\/2: 1 interrupted$/m);
    const db2 = openDatabase(copy);
    db2.prepare(`UPDATE runs SET status = 'failed' WHERE id = ?`).run(b);
    db2.close();
    const failed = await cli('merge', copy, '--into', join(dir, 'c', 'prunelab.sqlite'), '--expect', sweep, '--shards', '2');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/shard 1\/2: 1 failed, 1 interrupted/);
    expect(failed.stdout).toMatch(/--retry-failed/);
  });

  it('with no database to merge, only checks: every shard never ran', async () => {
    const r = await cli('merge', '--into', join(dir, 'd', 'prunelab.sqlite'), '--expect', sweep, '--shards', '2');
    expect(r.code).toBe(75);
    expect(r.stdout).toMatch(/shard 1\/2: 2 in no merged database[\s\S]*shard 2\/2: 2 in no merged database/);
  });

  it('a bad --expect is a user error before anything is merged', async () => {
    const into = join(dir, 'e', 'prunelab.sqlite');
    const r = await cli('merge', shardDb(1), '--into', into, '--expect', join(dir, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.yaml/);
    expect(existsSync(into)).toBe(false);
    expect((await cli('merge', shardDb(1), '--into', into, '--shards', '2')).stderr).toMatch(/--set and --shards describe the sweep of --expect/);
  });
});
